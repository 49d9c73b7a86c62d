//go:build !linux

package main

import "os/exec"

// diesWithUs: only Linux can tie a child's life to its parent's.
func diesWithUs(cmd *exec.Cmd) *exec.Cmd { return cmd }

//go:build !linux

package benchproc

import "os/exec"

// DiesWithUs: only Linux can tie a child's life to its parent's.
func DiesWithUs(cmd *exec.Cmd) *exec.Cmd { return cmd }

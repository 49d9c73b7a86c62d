package main

import (
	"os/exec"
	"syscall"
)

// diesWithUs has the kernel kill a child when the benchmark dies: a
// cairbench cut short (Ctrl-C, a closed pipe) once left its cairbot
// running on the benchmark's database, whose River workers then took
// later runs' outbox jobs and sent them to a fake no one counted.
func diesWithUs(cmd *exec.Cmd) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

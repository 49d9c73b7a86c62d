// Package benchproc starts the benchmarks' child processes.
package benchproc

import (
	"os/exec"
	"syscall"
)

// DiesWithUs has the kernel kill a child when the benchmark dies: a
// cairbench cut short (Ctrl-C, a closed pipe) once left its cairbot
// running on the benchmark's database, whose River workers then took
// later runs' outbox jobs and sent them to a fake no one counted.
func DiesWithUs(cmd *exec.Cmd) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

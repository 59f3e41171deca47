//go:build unix

package collect

import (
	"os/exec"
	"syscall"
)

// inOwnGroup starts cmd as the leader of a process group of its own and
// makes its cancellation kill the whole group: a shell script's children
// die with it instead of holding the collect (and its stdout) open.
func inOwnGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	dieWithParent(cmd.SysProcAttr)
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// killGroup kills what is left of cmd's process group once cmd has
// exited: a child it started in the background (with or without its
// stdout) would otherwise run on after every collect.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // ESRCH: nothing was left
	}
}

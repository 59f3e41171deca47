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
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

//go:build unix && !linux

package collect

import "syscall"

// dieWithParent does nothing where the kernel has no parent-death
// signal: a command outlives a fleetq killed with SIGKILL.
func dieWithParent(*syscall.SysProcAttr) {}

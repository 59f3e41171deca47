package collect

import "syscall"

// dieWithParent has the kernel kill the command when fleetq dies (kill
// -9, the OOM killer), which leaves nobody to kill its process group:
// otherwise a hung command runs on for its whole timeout and beyond,
// beside the next collect's copy of it. What the command started itself
// is not reached: a process group has no parent-death signal.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

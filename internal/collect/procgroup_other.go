//go:build !unix

package collect

import "os/exec"

// inOwnGroup leaves cmd as it is where there are no process groups: its
// cancellation kills the process itself.
func inOwnGroup(*exec.Cmd) {}

// killGroup does nothing where there are no process groups.
func killGroup(*exec.Cmd) {}

//go:build !linux

package main

import "os"

// isTerminalFile falls back to "a character device" where termios is not
// asked (it also takes /dev/null for a terminal, which is harmless).
func isTerminalFile(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

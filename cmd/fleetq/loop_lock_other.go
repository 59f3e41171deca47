//go:build !unix

package main

import (
	"errors"
	"os"
)

// openLockFile opens the loop lock file. Where there is no flock a note
// is the lock: one left by a killed loop has to be removed by hand.
func openLockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
}

// lockFile refuses a file that holds a note.
func lockFile(f *os.File) error {
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		return errors.New("held")
	}
	return nil
}

func unlockFile(*os.File) {}

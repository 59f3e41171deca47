package store

import (
	"context"
	"time"
)

// CheckFileOnOpen is the check Open makes of an existing file before bbolt maps
// it (meta pages, length, page walk), for the open benchmarks.
func CheckFileOnOpen(path string, readOnly bool) error {
	return checkFile(context.Background(), path, Options{ReadOnly: readOnly, waited: new(bool)}, time.Now().Add(10*time.Second))
}

// OpenBoltOnly is bbolt's own open and close of path, nothing of fleetq's.
func OpenBoltOnly(path string) error {
	b, err := openBolt(path, Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	return b.Close()
}

//go:build unix

package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	berrors "go.etcd.io/bbolt/errors"
)

// lockWait takes the flock bbolt takes (LOCK_EX for a writer, LOCK_SH
// for a reader) on f, asking again every few milliseconds until deadline
// or until ctx is done; waiting is called once, at the first refusal. The
// lock is released when f is closed.
func lockWait(ctx context.Context, f *os.File, exclusive bool, deadline time.Time, waiting func()) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for waited := false; ; waited = true {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		if !waited {
			waiting()
		}
		left := time.Until(deadline)
		if left <= 0 {
			return berrors.ErrTimeout
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the lock of %s: %w", f.Name(), ctx.Err())
		case <-time.After(min(lockRetry, left)):
		}
	}
}

// lockRetry is how often lockWait asks for the lock again (bbolt's own
// flock loop asks every 50 ms).
const lockRetry = 50 * time.Millisecond

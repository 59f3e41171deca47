package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	berrors "go.etcd.io/bbolt/errors"

	bolt "go.etcd.io/bbolt"
)

// lockPoll is how long one attempt at the file lock waits: bbolt's
// Options.Timeout does not know contexts, so Open asks bbolt for the lock
// again and again, with this short timeout, and looks at the context
// between attempts. It bounds how long a cancelled wait goes on.
const lockPoll = 100 * time.Millisecond

// openBoltWait opens the file with bbolt, waiting up to opts.Timeout for
// its lock, or until ctx is done. An attempt that fails for want of the
// lock has opened nothing and written nothing; the first one calls
// opts.Waiting.
func openBoltWait(ctx context.Context, path string, opts Options, deadline time.Time) (*bolt.DB, error) {
	for waited := false; ; waited = true {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("waiting for the lock of %s: %w", path, err)
		}
		try := opts
		try.Timeout = min(lockPoll, time.Until(deadline))
		if try.Timeout <= 0 { // bbolt would read 0 as "wait forever"
			return nil, berrors.ErrTimeout
		}
		b, err := openBolt(path, try)
		if !errors.Is(err, berrors.ErrTimeout) || !time.Now().Before(deadline) {
			return b, err
		}
		if !waited {
			opts.waiting(path)
		}
	}
}

// waiting tells opts.Waiting, once per open, who holds the lock of path.
func (o *Options) waiting(path string) {
	if o.Waiting != nil && o.waited != nil && !*o.waited {
		*o.waited = true
		o.Waiting(lockHolder(path))
	}
}

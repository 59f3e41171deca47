//go:build !unix

package store

import (
	"context"
	"os"
	"time"
)

// lockWait takes no lock where fleetq has no flock: the check reads the
// file as it is (bbolt's open then takes its own lock).
func lockWait(context.Context, *os.File, bool, time.Time, func()) error { return nil }

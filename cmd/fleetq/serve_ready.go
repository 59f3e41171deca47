package main

import (
	"errors"
	"time"

	"github.com/fleetq/fleetq/internal/store"
)

// readyWait is how long a readiness check waits for the database's lock
// before taking a held lock as ready: a writer holding it (a cron ingest,
// a decision) delays requests, it does not stop them.
const readyWait = 100 * time.Millisecond

// serveReady is fleetq serve's readiness check (server.Config.Ready): the
// database opens read-only, its pages check, and it has a pass to decide
// on. It reads no more than that, and never waits longer than readyWait.
func serveReady(db *app) func() error {
	return func() error {
		d, err := store.OpenContext(db.context(), db.dbPath(), store.Options{ReadOnly: true, Timeout: readyWait})
		if errors.Is(err, store.ErrLocked) {
			return nil
		}
		if err != nil {
			return err
		}
		defer d.Close()
		return d.View(func(tx *store.Tx) error {
			if tx.LatestID() == 0 {
				return store.ErrNoPasses
			}
			return nil
		})
	}
}

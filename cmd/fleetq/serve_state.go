package main

import (
	"context"
	"time"

	"github.com/fleetq/fleetq/internal/server"
	"github.com/fleetq/fleetq/internal/store"
)

// stateLockWait is how long a read of the state stamp waits for the
// database's lock (an ingest or a decision holding it): a poll that does
// not get it is skipped, and the next one sees the write's result.
const stateLockWait = time.Second

// refusalsSkipped is how many refusal batches at the end of the audit log
// the stamp looks past: the serve's own refusal audit (a bad token, a
// visit before signing in) must not reload every open page, but a flood
// of them is not read to its start either.
const refusalsSkipped = 64

// serveState is the server's Config.State: the database's state stamp
// read in one read transaction of a few lookups (the newest pass's key,
// the ledger's change counter, the newest audit entry that is not a
// refusal batch), whatever the size of the fleet.
func serveState(db string) func(context.Context) (server.State, error) {
	return func(ctx context.Context) (server.State, error) {
		d, err := store.OpenContext(ctx, db, store.Options{ReadOnly: true, Timeout: stateLockWait})
		if err != nil {
			return server.State{}, err
		}
		defer d.Close()
		var st server.State
		err = d.View(func(tx *store.Tx) error {
			audit, err := tx.LastAuditExcept(store.KindRefused, refusalsSkipped)
			if err != nil {
				return err
			}
			st = server.State{Pass: tx.LatestID(), Ledger: tx.LedgerVersion(), Audit: audit}
			return tx.Err()
		})
		return st, err
	}
}

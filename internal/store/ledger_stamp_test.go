package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

// TestLastAuditExcept: the newest entry of another kind than the one
// skipped, past at most limit skipped ones; 0 on an empty log.
func TestLastAuditExcept(t *testing.T) {
	db := storetest.Open(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	last := func(limit int) int64 {
		var id int64
		require.NoError(t, db.View(func(tx *store.Tx) error {
			var err error
			id, err = tx.LastAuditExcept(store.KindRefused, limit)
			return err
		}))
		return id
	}
	assert.Equal(t, int64(0), last(64), "an empty log")
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		for _, kind := range []string{store.KindDecision, store.KindFreeze, store.KindRefused, store.KindRefused} {
			e := &store.AuditEntry{Time: now, Kind: kind, Expr: "all", Reason: "r", Approved: []string{}}
			if kind == store.KindRefused {
				e.Refusal = &store.AuditRefusal{Op: "GET /", Kind: "unauthenticated", Count: 1, First: now, Last: now}
			}
			if _, err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return nil
	}))
	assert.Equal(t, int64(2), last(64), "the freeze, past two refusal batches")
	assert.Equal(t, int64(3), last(1), "past one refusal batch at most")
	assert.Equal(t, int64(4), last(0))
}

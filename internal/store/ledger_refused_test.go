package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

// TestRefusedEntriesChainAndRoundTrip: refused entries, written between
// decisions, keep their counts when read back (by id and in a listing)
// and the chain verifies across them.
func TestRefusedEntriesChainAndRoundTrip(t *testing.T) {
	db := storetest.Open(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	refused := &store.AuditEntry{Time: now, Requester: "10.1.2.3", Kind: store.KindRefused, Approved: []string{},
		Refusal: &store.AuditRefusal{Op: "GET /v1/query", Kind: "unauthenticated", Remote: "10.1.2.3", Count: 212,
			First: now.Add(-time.Second), Last: now, Message: "the bearer token is unknown or revoked"}}
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		for _, e := range []*store.AuditEntry{{Time: now, Kind: store.KindDecision, Verb: "drain"}, refused,
			{Time: now, Kind: store.KindFreeze, Expr: "all", Reason: "r"}} {
			if _, err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, db.View(func(tx *store.Tx) error {
		got, err := tx.Audit(2)
		require.NoError(t, err)
		assert.Equal(t, store.KindRefused, got.KindOf())
		require.NotNil(t, got.Refusal)
		assert.Equal(t, *refused.Refusal, *got.Refusal)
		all, err := tx.AuditSince(0)
		require.NoError(t, err)
		require.Len(t, all, 3)
		assert.Equal(t, 212, all[1].Refusal.Count)
		assert.Nil(t, all[2].Refusal)
		check, err := tx.VerifyAudit()
		require.NoError(t, err)
		assert.True(t, check.OK(), "%v", check.Problems)
		assert.Equal(t, 3, check.Chained)
		return nil
	}))
	assert.Contains(t, store.AuditKinds, store.KindRefused, "fleetq audit --kind refused accepts it")
}

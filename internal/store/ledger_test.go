package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

func TestLedgerBucketsAreOptionalAndRoundTrip(t *testing.T) {
	db := storetest.Open(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	require.NoError(t, db.View(func(tx *store.Tx) error {
		l, err := tx.Ledger(now)
		require.NoError(t, err)
		assert.Zero(t, l.Version)
		assert.Empty(t, l.Leases)
		assert.Nil(t, l.Incident)
		_, err = tx.Audit(1)
		assert.ErrorIs(t, err, store.ErrNoAudit)
		return nil
	}), "a database that never ran an action reads as an empty ledger")

	require.NoError(t, db.Update(func(tx *store.Tx) error {
		require.NoError(t, tx.PutLeases([]store.Lease{
			{Host: "a", Verb: "drain", Cluster: "c", Start: now, Expiry: now.Add(time.Hour)},
			{Host: "b", Verb: "reboot", Cluster: "c", Start: now, Expiry: now.Add(time.Hour)},
		}))
		require.NoError(t, tx.PutFreeze(store.Freeze{Scope: "c", Reason: "r", Start: now}))
		require.NoError(t, tx.SetIncident(&store.Incident{Reason: "i", Start: now}))
		id, err := tx.AppendAudit(&store.AuditEntry{Time: now, Kind: "decision", Verb: "drain"})
		require.NoError(t, err)
		assert.Equal(t, int64(1), id)
		return nil
	}))
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		rel, err := tx.ReleaseLeases([]string{"a", "zzz"}, now.Add(10*time.Minute))
		require.NoError(t, err)
		assert.Len(t, rel, 1)
		had, err := tx.DeleteFreeze("c")
		assert.True(t, had)
		return err
	}))
	require.NoError(t, db.View(func(tx *store.Tx) error {
		l, err := tx.Ledger(now)
		require.NoError(t, err)
		assert.Equal(t, uint64(5), l.Version, "leases, freeze, incident, release, unfreeze")
		require.Len(t, l.Leases, 1)
		assert.Equal(t, "b", l.Leases[0].Host)
		assert.Empty(t, l.Freezes)
		assert.NotNil(t, l.Incident)
		assert.Len(t, l.Starts, 2)
		assert.Equal(t, now.Add(10*time.Minute), l.LastOp["a"])
		log, err := tx.AuditLog(time.Time{})
		require.NoError(t, err)
		assert.Len(t, log, 1)
		return nil
	}))
}

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

func TestAuditChainLinksEveryEntryToThePreviousOne(t *testing.T) {
	db := storetest.Open(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		assert.Equal(t, int64(1), tx.NextAuditID(), "an empty log")
		for i := range 3 {
			e := &store.AuditEntry{ID: tx.NextAuditID(), Time: now, Kind: store.KindDecision, Token: "t"}
			id, err := tx.AppendAudit(e)
			require.NoError(t, err)
			assert.Equal(t, int64(i+1), id, "NextAuditID is the id AppendAudit gives")
			assert.Len(t, e.Prev, 64)
		}
		_, err := tx.AppendAudit(&store.AuditEntry{ID: 9, Time: now, Kind: store.KindDecision})
		assert.ErrorContains(t, err, "expected id 4", "an entry cannot claim another id")
		return nil
	}))
	require.NoError(t, db.View(func(tx *store.Tx) error {
		log, err := tx.AuditLog(time.Time{})
		require.NoError(t, err)
		require.Len(t, log, 3)
		assert.NotEqual(t, log[0].Prev, log[1].Prev)
		r, err := tx.VerifyAudit()
		require.NoError(t, err)
		assert.True(t, r.OK(), "%v", r.Problems)
		assert.Equal(t, 3, r.Chained)
		later, err := tx.AuditSince(1)
		require.NoError(t, err)
		assert.Len(t, later, 2)
		return nil
	}))
}

func TestRecordExpiriesRecordsEachExpiredLeaseOnce(t *testing.T) {
	db := storetest.Open(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		return tx.PutLeases([]store.Lease{
			{Host: "a", Verb: "drain", Start: now.Add(-2 * time.Hour), Expiry: now.Add(-time.Hour), Audit: 3},
			{Host: "b", Verb: "drain", Start: now, Expiry: now.Add(time.Hour)},
		})
	}))
	for range 2 {
		require.NoError(t, db.Update(func(tx *store.Tx) error { return tx.RecordExpiries(now, "op") }))
	}
	require.NoError(t, db.View(func(tx *store.Tx) error {
		log, err := tx.AuditLog(time.Time{})
		require.NoError(t, err)
		require.Len(t, log, 1, "a once, b not expired")
		assert.Equal(t, store.KindLeaseExpired, log[0].Kind)
		assert.Equal(t, "a", log[0].Lease.Host)
		l, err := tx.Ledger(now)
		require.NoError(t, err)
		assert.Equal(t, uint64(1), l.Version, "an expiry does not bump the ledger")
		assert.Equal(t, log[0].ID, l.Leases[0].Expired)
		return nil
	}))
}

// TestCancelEntriesAreAKindOfTheLog: both forms of a cancel (a plan
// withdrawn, leases ended) append, read back whole and verify, and the
// kind is listed with the others (audit --kind accepts it).
func TestCancelEntriesAreAKindOfTheLog(t *testing.T) {
	db := storetest.Open(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	assert.Contains(t, store.AuditKinds, store.KindCancel)
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		require.NoError(t, tx.PutLeases([]store.Lease{{Host: "h1", Verb: "drain", Requester: "rob", Start: now, Expiry: now.Add(time.Hour), Audit: 1}}))
		for _, e := range []*store.AuditEntry{
			{Time: now, Requester: "rob", Kind: store.KindCancel, Plan: 1, Token: "a1.p1.l0.abc.s1", Reason: "moved", Approved: []string{}},
			{Time: now, Requester: "rob", Kind: store.KindCancel, Reason: "aborted", Committed: true, Approved: []string{"h1"},
				Hosts: []store.AuditHost{{Host: "h1", Verb: "drain", Result: "cancelled"}}},
		} {
			_, err := tx.AppendAudit(e)
			require.NoError(t, err)
		}
		_, err := tx.ReleaseLeases([]string{"h1"}, now)
		return err
	}))
	require.NoError(t, db.View(func(tx *store.Tx) error {
		log, err := tx.AuditLog(time.Time{})
		require.NoError(t, err)
		require.Len(t, log, 2)
		assert.Equal(t, int64(1), log[0].Plan)
		assert.Equal(t, "cancelled", log[1].Hosts[0].Result)
		assert.Equal(t, store.KindCancel, log[1].KindOf())
		r, err := tx.VerifyAudit()
		require.NoError(t, err)
		assert.True(t, r.OK(), "%v", r.Problems)
		return nil
	}))
}

// A release is an operation the cooldown counts from; a cancel is not:
// the host was never taken down, so its last operation stays as it was.
func TestCancelLeavesTheLastOperation(t *testing.T) {
	db := storetest.Open(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		return tx.PutLeases([]store.Lease{
			{Host: "released", Verb: "drain", Cluster: "c", Start: now, Expiry: now.Add(time.Hour)},
			{Host: "cancelled", Verb: "drain", Cluster: "c", Start: now, Expiry: now.Add(time.Hour)},
		})
	}))
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		if _, err := tx.ReleaseLeases([]string{"released"}, now.Add(time.Minute)); err != nil {
			return err
		}
		ended, err := tx.CancelLeases([]string{"cancelled"}, now.Add(time.Minute))
		assert.Len(t, ended, 1)
		return err
	}))
	require.NoError(t, db.View(func(tx *store.Tx) error {
		l, err := tx.Ledger(now)
		require.NoError(t, err)
		assert.Empty(t, l.Leases)
		assert.Equal(t, now.Add(time.Minute), l.LastOp["released"])
		_, had := l.LastOp["cancelled"]
		assert.False(t, had, "a cancelled lease starts no cooldown")
		return nil
	}))
}

package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

func TestWeeksRoundTripAndOnlyPlannedUnendedOnesReachTheLedger(t *testing.T) {
	db := storetest.Open(t)
	mon := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	step := func(n int, start time.Time, hosts ...string) store.WeekStep {
		return store.WeekStep{N: n, Start: start, End: start.Add(4 * time.Hour), Hosts: hosts,
			Parts: []store.WeekPart{{Expr: "all", Matched: len(hosts), Taken: len(hosts)}}}
	}
	w := &store.Week{Name: "kernel", Scope: "all", State: store.WeekPlanned, Verbs: []string{"reboot"},
		Steps: []store.WeekStep{step(1, mon, "a"), step(2, mon.Add(32*time.Hour), "b", "c")}}
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		return tx.CreateWeek(w, func(w *store.Week) *store.AuditEntry {
			return &store.AuditEntry{Time: mon, Kind: "week", Expr: w.Ref(), Committed: true, Approved: []string{}}
		})
	}))
	assert.Equal(t, int64(1), w.ID)
	assert.Equal(t, int64(1), w.Audit)
	start, end := w.Span()
	assert.Equal(t, mon, start)
	assert.Equal(t, mon.Add(36*time.Hour), end)
	assert.True(t, w.Running(mon.Add(time.Hour)))
	assert.False(t, w.Running(end), "the span is half-open")

	require.NoError(t, db.View(func(tx *store.Tx) error {
		got, err := tx.FindWeek("w1")
		require.NoError(t, err)
		assert.Equal(t, "w1 (kernel)", got.Label())
		assert.Equal(t, []string{"b", "c"}, got.Steps[1].Hosts)
		_, err = tx.FindWeek("w9")
		assert.ErrorIs(t, err, store.ErrNoWeek)
		l, err := tx.Ledger(mon)
		require.NoError(t, err)
		assert.Len(t, l.Weeks, 1)
		assert.Equal(t, uint64(1), l.Version, "a planned week changes decisions")
		l, err = tx.Ledger(end)
		require.NoError(t, err)
		assert.Empty(t, l.Weeks, "a week that ended is not read by later decisions")
		return nil
	}))
	w.State = store.WeekCancelled
	require.NoError(t, db.Update(func(tx *store.Tx) error { return tx.UpdateWeek(w) }))
	require.NoError(t, db.View(func(tx *store.Tx) error {
		l, err := tx.Ledger(mon)
		require.NoError(t, err)
		assert.Empty(t, l.Weeks, "a cancelled week gates nothing")
		assert.Equal(t, uint64(2), l.Version)
		return nil
	}))
}

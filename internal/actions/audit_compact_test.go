package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

// TestCompactAuditRecordRoundTripsRandomDecisions records random
// decisions (dry runs and commits, on random fleets in a real database)
// in the compact form and reads them back: the entry must be exactly the
// full form the log held before (one denied object per host in Denied,
// and the decision record with its whole denied list), and the log must
// verify.
func TestCompactAuditRecordRoundTripsRandomDecisions(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed^3))
	for round := 0; round < 12; round++ {
		msg := fmt.Sprintf("seed %d round %d", seed, round)
		_, a := randomFleet(rng)
		if len(a.life) == 0 {
			continue
		}
		db := storetest.Open(t)
		_, err := db.CreatePass(store.NewPass{Created: time.Now().Add(-time.Minute), Sources: []*store.SourceData{inventoryOf(a)}})
		require.NoError(t, err, msg)
		pol := randomPolicy(t, rng)
		for i := 0; i < 3; i++ {
			req := Request{Verb: []string{"drain", "reboot"}[rng.IntN(2)], Expr: []string{"all", `lifecycle = "active"`, "all | sample 7"}[rng.IntN(3)],
				Reason: "test", Requester: "tester", Seed: rng.Uint64(), Now: time.Now()}
			commit := rng.IntN(3) == 0
			require.NoError(t, db.Update(func(tx *store.Tx) error {
				out, err := Run(context.Background(), tx, pol, req, commit)
				require.NoError(t, err, msg)
				want := fullAuditForm(t, out)
				got, err := tx.Audit(out.Audit)
				require.NoError(t, err, msg)
				requireSameEntry(t, want, got, msg)
				since, err := tx.AuditSince(out.Audit - 1)
				require.NoError(t, err, msg)
				requireSameEntry(t, want, &since[0], msg)
				return nil
			}), msg)
		}
		require.NoError(t, db.View(func(tx *store.Tx) error {
			check, err := tx.VerifyAudit()
			require.NoError(t, err, msg)
			require.True(t, check.OK(), "%s: %v", msg, check.Problems)
			return nil
		}))
	}
}

// fullAuditForm is the entry a decision's record held before the compact
// form: Denied one by one, the decision record with every denied host.
func fullAuditForm(t *testing.T, out *Outcome) *store.AuditEntry {
	d := out.Decision
	e := d.AuditEntry(out.Committed)
	e.DeniedSets = nil
	e.Denied = make([]store.Denied, len(d.Denied))
	for i, x := range d.Denied {
		e.Denied[i] = store.Denied{Host: x.Host, Rule: x.Rule, Detail: x.Detail}
	}
	var err error
	e.Decision, err = json.Marshal(d)
	require.NoError(t, err)
	return e
}

func requireSameEntry(t *testing.T, want, got *store.AuditEntry, msg string) {
	t.Helper()
	require.Nil(t, got.DeniedSets, msg)
	require.Equal(t, want.Denied, got.Denied, msg)
	require.Equal(t, string(want.Decision), string(got.Decision), msg)
	require.Equal(t, want.Approved, got.Approved, msg)
	require.Equal(t, want.Kind, got.Kind, msg)
}

// inventoryOf is an inventory source of a's hosts and attributes.
func inventoryOf(a fleetAttrs) *store.SourceData {
	hosts := slices.Sorted(maps.Keys(a.life))
	cols := []*store.Column{}
	for _, c := range []struct {
		name string
		vals map[string]string
	}{{"cluster", a.cluster}, {"rack", a.rack}, {"replica_group", a.group}, {"lifecycle", a.life}} {
		col := store.NewColumn(c.name, fleet.String, len(hosts))
		for i, h := range hosts {
			if v, ok := c.vals[h]; ok {
				col.Str[i], col.Has[i] = v, true
			}
		}
		cols = append(cols, col)
	}
	return &store.SourceData{Kind: "inventory", Name: "inventory", Path: "inventory.csv", ReadAt: time.Now().Add(-time.Minute),
		Records: len(hosts), Hosts: hosts, Attrs: cols}
}

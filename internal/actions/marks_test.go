package actions

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
)

// TestDeniedGroupsMatchThePerHostForm decides random requests on random
// fleets and compares the audit record's denied sets, which a decision
// builds from its marks (grouped by codes), with the reference: one
// store.DeniedHost per denied host of the Denied list, grouped by
// store.DeniedSetsOf on its strings.
func TestDeniedGroupsMatchThePerHostForm(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed^7))
	checked := 0
	for round := 0; round < 60; round++ {
		msg := fmt.Sprintf("seed %d round %d", seed, round)
		f, a := randomFleet(rng)
		if len(a.life) == 0 {
			continue
		}
		pol := randomPolicy(t, rng)
		ledger := randomLeases(rng, a)
		req := Request{Verb: []string{"drain", "reboot", "undrain"}[rng.IntN(3)], Expr: "all", Seed: rng.Uint64(), Now: t0, Requester: "tester"}
		snap := f.Snapshot()
		d := decide(t, snap, pol, ledger, req)
		if len(d.Denied) == 0 {
			continue
		}
		hosts := make([]store.DeniedHost, len(d.Denied))
		names := make([]string, len(d.Denied))
		for i, x := range d.Denied {
			names[i] = x.Host
		}
		ids, missing := snap.Hosts().Lookup(names)
		require.Empty(t, missing, msg)
		byName := map[string]uint32{}
		it := ids.Iterator()
		for it.HasNext() {
			id := it.Next()
			byName[snap.Hosts().Name(id)] = id
		}
		for i, x := range d.Denied {
			hosts[i] = store.DeniedHost{ID: byName[x.Host], Rule: x.Rule, Cluster: x.Cluster, Detail: x.Detail, Transient: x.Transient}
		}
		require.Equal(t, store.DeniedSetsOf(hosts), d.AuditEntry(false).DeniedSets, msg)
		checked++
	}
	require.Positive(t, checked, "no round denied anything")
}

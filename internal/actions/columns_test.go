package actions

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query/querytest"
	"github.com/fleetq/fleetq/internal/store"
)

// indexedSnap shows a snapshot's string attributes as indexed ones (a
// fleet.ValueLister, as the store's value index is), so a decision reads
// them through their groups.
type indexedSnap struct{ fleet.Snapshot }

func (s indexedSnap) Current() fleet.Pass { return indexedPass{s.Snapshot.Current()} }

type indexedPass struct{ fleet.Pass }

func (p indexedPass) Attr(name string) (fleet.Attr, bool, error) {
	a, ok, err := p.Pass.Attr(name)
	if !ok || err != nil || a.Type() != fleet.String {
		return a, ok, err
	}
	return &indexedAttr{Attr: a}, true, nil
}

type indexedAttr struct {
	fleet.Attr
	groups []fleet.Group
}

func (a *indexedAttr) Groups() []fleet.Group {
	if a.groups == nil {
		a.groups = a.Attr.Groups()
	}
	return a.groups
}

func (a *indexedAttr) Values() []string {
	var out []string
	for _, g := range a.Groups() {
		out = append(out, g.Value.Str)
	}
	return out
}

// codedSnap shows a snapshot's string attributes as dictionary-coded
// ones (fleet.Coded, as the store's 'D' encoding is), built naively from
// their groups, so a decision reads the few clusters it touches by code.
type codedSnap struct{ fleet.Snapshot }

func (s codedSnap) Current() fleet.Pass { return codedPass{s.Snapshot.Current()} }

type codedPass struct{ fleet.Pass }

func (p codedPass) Attr(name string) (fleet.Attr, bool, error) {
	a, ok, err := p.Pass.Attr(name)
	if !ok || err != nil || a.Type() != fleet.String {
		return a, ok, err
	}
	gs := a.Groups()
	fleet.SortGroups(gs)
	return &codedAttr{Attr: a, groups: gs}, true, nil
}

type codedAttr struct {
	fleet.Attr
	groups []fleet.Group
}

func (a *codedAttr) DictLen() int              { return len(a.groups) }
func (a *codedAttr) DictValue(c uint32) string { return a.groups[c].Value.Str }
func (a *codedAttr) Groups() []fleet.Group     { return a.groups }
func (a *codedAttr) HostsWith(keep []bool) *roaring.Bitmap {
	out := roaring.New()
	for c, g := range a.groups {
		if keep[c] {
			out.Or(g.Hosts)
		}
	}
	return out
}

func (a *codedAttr) Codes(hosts *roaring.Bitmap) []uint32 {
	var out []uint32
	for _, id := range hosts.ToArray() {
		code := fleet.NoCode
		for c, g := range a.groups {
			if g.Hosts.Contains(id) {
				code = uint32(c)
				break
			}
		}
		out = append(out, code)
	}
	return out
}

// TestDecisionsAgreeAcrossAttributeReaders decides random requests on
// random fleets (some hosts without a cluster, a rack or a replica
// group) four ways: reading every attribute one Value per host (how
// decisions read them before the columns: the reference), through the
// columns, through the columns of indexed attributes, and through
// dictionary-coded ones. All four must
// be the same decision, to the byte.
func TestDecisionsAgreeAcrossAttributeReaders(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed^1))
	for round := 0; round < 60; round++ {
		msg := fmt.Sprintf("seed %d round %d", seed, round)
		f, a := randomFleet(rng)
		if len(a.life) == 0 {
			continue
		}
		pol := randomPolicy(t, rng)
		ledger := randomLeases(rng, a)
		for _, expr := range []string{"all", `lifecycle = "active"`, fmt.Sprintf("all | sample %d", 1+rng.IntN(8))} {
			req := Request{Verb: []string{"drain", "reboot", "undrain"}[rng.IntN(3)], Expr: expr, Seed: rng.Uint64(), Now: t0, Requester: "tester"}
			readByValue = true
			want := decide(t, f.Snapshot(), pol, ledger, req)
			readByValue = false
			for _, snap := range []fleet.Snapshot{f.Snapshot(), indexedSnap{f.Snapshot()}, codedSnap{f.Snapshot()}} {
				got := decide(t, snap, pol, ledger, req)
				requireSameDecision(t, want, got, msg+" "+expr)
			}
		}
	}
}

func requireSameDecision(t *testing.T, want, got *Decision, msg string) {
	t.Helper()
	w, err := json.Marshal(want)
	require.NoError(t, err)
	g, err := json.Marshal(got)
	require.NoError(t, err)
	require.JSONEq(t, string(w), string(g), msg)
	require.Equal(t, want.Leases(), got.Leases(), msg)
}

// randomFleet is checkRandomRound's fleet with a few hosts that lack a
// cluster, a rack or a replica group.
func randomFleet(rng *rand.Rand) (*querytest.Fleet, fleetAttrs) {
	a := fleetAttrs{map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}}
	for i := 0; i < 1+rng.IntN(4); i++ {
		n := rng.IntN(125)
		addCluster(a, clusterSpec{name: fmt.Sprintf("c%d-%s", i, []string{"dense", "web"}[rng.IntN(2)]),
			n: n, perRack: 1 + rng.IntN(20), groups: rng.IntN(4), dead: rng.IntN(n/4 + 1), repair: rng.IntN(n/8 + 1)})
	}
	for _, h := range slices.Sorted(maps.Keys(a.life)) {
		switch rng.IntN(30) {
		case 0:
			delete(a.cluster, h)
		case 1:
			delete(a.rack, h)
		case 2:
			delete(a.group, h)
		}
	}
	for i := 0; i < rng.IntN(5); i++ {
		a.life[fmt.Sprintf("loose-h%04d", i)] = "active"
	}
	return fleetOf(a), a
}

func randomPolicy(t *testing.T, rng *rand.Rand) *policy.Policy {
	pct := rng.IntN(30)
	health := []string{"", `health = 'lifecycle = "active"'`}[rng.IntN(2)]
	return mustPolicy(t, fmt.Sprintf(health+`
unavailable = 'lifecycle in (dead, repair)'
max_replica_groups = %d
[[archetype]]
name = "small"
clusters = "size < 20"
any = { pct = %d, floor = %d, ceiling = %d }
[[archetype]]
name = "d"
any = { pct = %d, floor = 1, ceiling = %d }
[limits]
per_rack = %d
per_group = %d
[verb.reboot]
rate = "%d/1h"
cooldown = "30m"
`, 1, pct, rng.IntN(3), 3+rng.IntN(3), pct, 5+rng.IntN(20), rng.IntN(4), rng.IntN(4), 1+rng.IntN(10)))
}

// randomLeases are active, expired and stuck leases on random hosts, and
// recent operations for cooldowns.
func randomLeases(rng *rand.Rand, a fleetAttrs) *store.Ledger {
	l := &store.Ledger{LastOp: map[string]time.Time{}}
	for _, h := range slices.Sorted(maps.Keys(a.life)) {
		switch rng.IntN(40) {
		case 0, 1:
			l.Leases = append(l.Leases, store.Lease{Host: h, Verb: "drain", Cluster: a.cluster[h], Start: t0.Add(-time.Hour), Expiry: t0.Add(time.Duration(1+rng.IntN(60)) * time.Minute)})
		case 2:
			l.Leases = append(l.Leases, store.Lease{Host: h, Verb: "drain", Cluster: a.cluster[h], Start: fleetCreated.Add(time.Minute), Expiry: t0.Add(-time.Minute)})
		case 3:
			l.LastOp[h] = t0.Add(-10 * time.Minute)
		case 4:
			l.Starts = append(l.Starts, store.Start{Host: h, Verb: "reboot", Cluster: a.cluster[h], At: t0.Add(-20 * time.Minute)})
		}
	}
	return l
}

// TestSortByNameMatchesASort: the run-merging name sort puts random
// names, sorted runs of them and mixes of both in the order a plain sort
// does.
func TestSortByNameMatchesASort(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed^2))
	for round := 0; round < 300; round++ {
		var names []string
		for len(names) < rng.IntN(2000) {
			run := make([]string, 1+rng.IntN(300))
			for i := range run {
				run[i] = fmt.Sprintf("h%0*d.%s", 1+rng.IntN(5), rng.IntN(5000), strings.Repeat("x", rng.IntN(3)))
			}
			if rng.IntN(2) == 0 {
				slices.Sort(run)
			}
			names = append(names, run...)
		}
		want := make([]int32, len(names))
		for i := range want {
			want[i] = int32(i)
		}
		slices.SortStableFunc(want, func(a, b int32) int { return strings.Compare(names[a], names[b]) })
		got := sortByName(names)
		gotNames := make([]string, len(got))
		for i, k := range got {
			gotNames[i] = names[k]
		}
		require.True(t, slices.IsSorted(gotNames), "seed %d round %d", seed, round)
		require.ElementsMatch(t, want, got, "seed %d round %d", seed, round)
	}
}

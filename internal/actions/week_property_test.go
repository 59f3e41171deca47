package actions

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/query/querytest"
	"github.com/fleetq/fleetq/internal/schedule"
	"github.com/fleetq/fleetq/internal/store"
)

// TestPlanWeekProperty plans random schedules on random fleets and checks
// the selection against a naive reference: each selection matches the
// hosts of its kinds in the scope that no earlier step or selection took,
// takes exactly its share of them (a percentage rounded up, in integer
// arithmetic; a count capped), the selections are pairwise disjoint,
// together with the unslotted hosts they are the scope, and every share
// is spread across racks: no rack with hosts left over holds two fewer
// than the fullest. FLEETQ_WEEK_SEED replays a seed.
func TestPlanWeekProperty(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FLEETQ_WEEK_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (FLEETQ_WEEK_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	for round := range 60 {
		weekRound(t, rng, round)
	}
}

var weekKinds = []string{"a", "b", "c", "d", "e"}

func weekRound(t *testing.T, rng *rand.Rand, round int) {
	n := 1 + rng.IntN(600)
	kind, rack, dc := map[string]string{}, map[string]string{}, map[string]string{}
	racks := 1 + rng.IntN(30)
	for i := range n {
		h := fmt.Sprintf("h%04d", i)
		kind[h] = weekKinds[rng.IntN(len(weekKinds))]
		if rng.IntN(10) > 0 { // some hosts have no rack
			rack[h] = "r" + strconv.Itoa(rng.IntN(racks))
		}
		dc[h] = []string{"x", "y"}[rng.IntN(2)]
	}
	dc["h0000"] = "x" // the scope is never empty: planning an empty one is an error
	f := querytest.NewFleet()
	f.NewPassAt(fleetCreated).SetString("kind", kind).SetString("rack", rack).SetString("dc", dc)
	s := randomSchedule(rng)
	env := &query.Env{Ctx: context.Background(), Snap: f.Snapshot(), Seed: rng.Uint64()}
	p, err := planWeek(env, s, "rack")
	require.NoError(t, err, "round %d", round)
	where := fmt.Sprintf("round %d: %d hosts, %d racks", round, n, racks)

	scope := map[string]bool{}
	for h := range kind {
		if dc[h] == "x" {
			scope[h] = true
		}
	}
	taken := map[string]bool{}
	for i, st := range s.Steps {
		for j, tk := range st.Takes {
			want := map[string]bool{}
			for h := range scope {
				if !taken[h] && strings.Contains(tk.Expr, `"`+kind[h]+`"`) {
					want[h] = true
				}
			}
			got := f.Names(p.taken[i][j])
			require.Equal(t, len(want), p.matched[i][j], "%s: step %d selection %d matched", where, st.N, j+1)
			require.Equal(t, naiveShare(tk.Max, len(want)), len(got), "%s: step %d selection %d: %s of %d", where, st.N, j+1, tk.Max, len(want))
			perRack := map[string]int{}
			left := map[string]bool{}
			for _, h := range got {
				require.True(t, want[h], "%s: %s taken but not matched (or taken twice)", where, h)
				taken[h] = true
				perRack[rack[h]]++
			}
			for h := range want {
				if !taken[h] {
					left[rack[h]] = true
				}
			}
			fullest := 0
			for _, c := range perRack {
				fullest = max(fullest, c)
			}
			for r := range left {
				require.GreaterOrEqual(t, perRack[r], fullest-1, "%s: step %d selection %d: rack %q got %d, another %d, with hosts left", where, st.N, j+1, r, perRack[r], fullest)
			}
		}
	}
	var rest []string
	for h := range scope {
		if !taken[h] {
			rest = append(rest, h)
		}
	}
	sort.Strings(rest)
	require.Equal(t, nonNil(rest), nonNil(f.Names(p.unslotted)), "%s: unslotted", where)

	again, err := planWeek(env, s, "rack")
	require.NoError(t, err)
	for i := range p.taken {
		for j := range p.taken[i] {
			require.True(t, p.taken[i][j].Equals(again.taken[i][j]), "%s: the same seed plans the same week", where)
		}
	}
}

// naiveShare: the smallest k with k >= pct% of n, by integers on the
// percentage's hundredths; a count capped at n; all of n.
func naiveShare(l schedule.Limit, n int) int {
	switch {
	case l.Pct > 0:
		h := int(l.Pct*100 + 0.5)
		k := 0
		for k*10000 < h*n {
			k++
		}
		return k
	case l.Count > 0:
		return min(l.Count, n)
	}
	return n
}

func randomSchedule(rng *rand.Rand) *schedule.Schedule {
	s := &schedule.Schedule{File: "random.toml", Scope: `dc = "x"`, Zone: time.UTC}
	steps := 1 + rng.IntN(6)
	for i := range steps {
		st := schedule.Step{N: i + 1}
		for range 1 + rng.IntN(3) {
			var ks []string
			for _, k := range weekKinds {
				if rng.IntN(2) == 0 {
					ks = append(ks, `"`+k+`"`)
				}
			}
			if len(ks) == 0 {
				ks = []string{`"a"`}
			}
			tk := schedule.Take{Expr: "kind in (" + strings.Join(ks, ", ") + ")"}
			switch rng.IntN(3) {
			case 0:
				tk.Max = schedule.Limit{Pct: float64(1+rng.IntN(10000)) / 100}
			case 1:
				tk.Max = schedule.Limit{Count: 1 + rng.IntN(40)}
			}
			st.Takes = append(st.Takes, tk)
		}
		s.Steps = append(s.Steps, st)
	}
	return s
}

// TestPlanWeekRefusesOverlap: a week overlapping a planned week in time
// on a shared host is refused; a cancelled or disjoint one is not.
func TestPlanWeekRefusesOverlap(t *testing.T) {
	day := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	week := func(hosts []string, start time.Time, state string) storeWeek {
		return storeWeek{ID: 1, State: state, Steps: []storeStep{{N: 1, Start: start, End: start.Add(4 * time.Hour), Hosts: hosts}}}
	}
	planned := []storeWeek{week([]string{"a", "b"}, day, "planned")}
	require.ErrorIs(t, WeekOverlap(planned, ptr(week([]string{"b", "c"}, day.Add(2*time.Hour), "planned"))), ErrRefused)
	require.NoError(t, WeekOverlap(planned, ptr(week([]string{"c"}, day, "planned"))), "no shared host")
	require.NoError(t, WeekOverlap(planned, ptr(week([]string{"a"}, day.Add(4*time.Hour), "planned"))), "after it ends")
	planned[0].State = "cancelled"
	require.NoError(t, WeekOverlap(planned, ptr(week([]string{"a"}, day, "planned"))), "cancelled")
}

func ptr[T any](v T) *T { return &v }

type (
	storeWeek = store.Week
	storeStep = store.WeekStep
)

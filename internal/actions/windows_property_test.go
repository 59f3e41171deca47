package actions

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query/querytest"
	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/window"
)

// randomWindowSet is a round's random maintenance windows: a
// maint_window value per host (some empty, some unparsable), a window
// rule per some clusters, and maybe a running week with slots.
type randomWindowSet struct {
	value   map[string]string
	cluster map[string]string // cluster → its rule's windows
	slot    map[string]window.Slot
	// unslotted are the week's hosts without a slot.
	unslotted map[string]bool
	policy    string
	week      *store.Week
}

var randomZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"}

// randomWindowText is one to three windows around the tests' clock t0
// (Friday 12:00 UTC), so that about half are open then.
func randomWindowText(rng *rand.Rand) string {
	var parts []string
	for range 1 + rng.IntN(3) {
		days := []string{"Thu", "Fri", "Sat", "Mon-Fri", "Fri,Sat", "Sun"}[rng.IntN(6)]
		start := rng.IntN(24*4) * 15
		end := (start + 15*(1+rng.IntN(16))) % (24 * 60)
		parts = append(parts, fmt.Sprintf("%s %02d:%02d-%02d:%02d %s", days, start/60, start%60, end/60, end%60, randomZones[rng.IntN(len(randomZones))]))
	}
	return strings.Join(parts, "; ")
}

func randomWindows(rng *rand.Rand, f *querytest.Fleet, a fleetAttrs) randomWindowSet {
	w := randomWindowSet{value: map[string]string{}, cluster: map[string]string{}, slot: map[string]window.Slot{}, unslotted: map[string]bool{}}
	for _, h := range slices.Sorted(maps.Keys(a.cluster)) {
		switch rng.IntN(10) {
		case 0:
		case 1:
			w.value[h] = "Fri 11:00-13:00" // no zone
		default:
			w.value[h] = randomWindowText(rng)
		}
	}
	f.Newest().SetString("maint_window", w.value)
	var b strings.Builder
	fmt.Fprintf(&b, "[windows]\nattr = \"maint_window\"\n")
	for _, c := range slices.Sorted(maps.Keys(invert(a.cluster))) {
		if rng.IntN(2) == 0 {
			w.cluster[c] = randomWindowText(rng)
			fmt.Fprintf(&b, "[[windows.rule]]\ncluster = %q\nwindows = [%q]\n", c, w.cluster[c])
		}
	}
	w.policy = b.String()
	if rng.IntN(2) == 0 {
		w.week = randomWeek(rng, a, &w)
	}
	return w
}

// randomWeek is a week running at t0 whose steps take random hosts.
func randomWeek(rng *rand.Rand, a fleetAttrs, w *randomWindowSet) *store.Week {
	week := &store.Week{ID: 1, State: store.WeekPlanned, Verbs: []string{"reboot"}}
	start := t0.Add(-2 * time.Hour)
	for n := 1; n <= 3; n++ {
		s := store.WeekStep{N: n, Start: start.Add(time.Duration(rng.IntN(5*60)) * time.Minute)}
		s.End = s.Start.Add(time.Duration(30+rng.IntN(4*60)) * time.Minute)
		week.Steps = append(week.Steps, s)
	}
	week.Steps[0].Start = start // the week runs at t0
	week.Steps[0].End = t0.Add(3 * time.Hour)
	for _, h := range slices.Sorted(maps.Keys(a.cluster)) {
		switch k := rng.IntN(6); {
		case k < 3:
			st := &week.Steps[k]
			st.Hosts = append(st.Hosts, h)
			w.slot[h] = window.Slot{Start: st.Start, End: st.End}
		case k == 3:
			week.Unslotted = append(week.Unslotted, h)
			w.unslotted[h] = true
		}
	}
	return week
}

// reference is the host's windows as docs/windows.md says: a slot of the
// running week, else its own value, else its cluster's rule; ok false
// for none, bad for an unparsable value.
func (w randomWindowSet) reference(h, cluster string) (sched windowSchedule, ok, bad bool) {
	if s, in := w.slot[h]; in {
		return s, true, false
	}
	if w.unslotted[h] {
		return nil, false, false
	}
	if v := w.value[h]; v != "" {
		set, err := window.Parse(v)
		return set, err == nil, err != nil
	}
	if v, in := w.cluster[cluster]; in {
		set, err := window.Parse(v)
		if err != nil {
			panic(err)
		}
		return set, true, false
	}
	return nil, false, false
}

// openThrough reports, minute by minute, whether s is open from now for
// d.
func openThrough(s windowSchedule, now time.Time, d time.Duration) bool {
	for m := now; m.Before(now.Add(d)); m = m.Add(time.Minute) {
		if !s.Open(m) {
			return false
		}
	}
	return true
}

// checkWindowsRound decides a reboot of every host at a random clock,
// maybe forced, and checks every approval and window denial against the
// reference: no host is approved outside its window unless forced.
func checkWindowsRound(t *testing.T, rng *rand.Rand, f *querytest.Fleet, a fleetAttrs, ledger *store.Ledger, msg string) {
	w := randomWindows(rng, f, a)
	lease := []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour}[rng.IntN(3)]
	pol := mustPolicy(t, fmt.Sprintf(`unavailable = 'lifecycle in (dead, repair)'
max_request = 1000
[[archetype]]
name = "d"
any = { max = 1000 }
[verb.reboot]
lease = %q
`, lease)+w.policy)
	l := *ledger
	if w.week != nil {
		l.Weeks = []store.Week{*w.week}
	}
	now := t0.Add(time.Duration(rng.IntN(100)-10) * time.Minute)
	force := rng.IntN(4) == 0
	d := decide(t, f.Snapshot(), pol, &l, Request{Verb: "reboot", Expr: "all", Seed: rng.Uint64(), Now: now, Force: force, Reason: "r"})
	msg = fmt.Sprintf("%s (windows at %s, lease %s, force %v)", msg, now.Format(time.RFC3339), lease, force)
	forced := map[string]bool{}
	for _, x := range d.Leases() {
		forced[x.Host] = x.Forced
	}
	for _, h := range d.Approved {
		s, ok, _ := w.reference(h, a.cluster[h])
		inside := ok && openThrough(s, now, lease)
		if !inside {
			require.True(t, force && forced[h], "%s: %s approved outside its window (%v) without force", msg, h, s)
		}
	}
	for _, x := range d.Denied {
		s, ok, bad := w.reference(x.Host, a.cluster[x.Host])
		switch x.Rule {
		case RuleWindowClosed:
			assert.True(t, ok && !s.Open(now), "%s: %s denied %s: %s", msg, x.Host, x.Rule, x.Detail)
		case RuleWindowOverrun, RuleWindowTooShort:
			assert.True(t, ok && !openThrough(s, now, lease), "%s: %s denied %s: %s", msg, x.Host, x.Rule, x.Detail)
		case RuleWindowNone:
			assert.True(t, !ok && !bad, "%s: %s denied %s: %s", msg, x.Host, x.Rule, x.Detail)
		case RuleWindowInvalid:
			assert.True(t, bad, "%s: %s denied %s: %s", msg, x.Host, x.Rule, x.Detail)
		}
		if force {
			assert.NotContains(t, x.Rule, "window:", "%s: --force lifts the windows", msg)
		}
	}
}

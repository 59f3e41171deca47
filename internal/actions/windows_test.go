package actions

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query/querytest"
	"github.com/fleetq/fleetq/internal/store"
)

// winFleet is one cluster "web" of hosts a..f with the given windows.
func winFleet(windows map[string]string) *querytest.Fleet {
	f := querytest.NewFleet()
	cluster, life := map[string]string{}, map[string]string{}
	for _, h := range []string{"a", "b", "c", "d", "e", "f"} {
		cluster[h], life[h] = "web", "active"
	}
	cluster["k1"], life["k1"] = "kafka-1", "active"
	f.NewPassAt(fleetCreated).SetString("cluster", cluster).SetString("rack", map[string]string{}).SetString("lifecycle", life).
		SetString("maint_window", windows).SetString("role", map[string]string{"k1": "kafka", "f": "kafka"})
	return f
}

const winPolicy = `
[[archetype]]
name = "all"
any = { max = 100 }
[verb.reboot]
lease = "2h"
[windows]
attr = "maint_window"
[[windows.rule]]
role = "kafka"
windows = ["Fri 11:00-12:30 UTC"]
`

// TestWindowsDecide: at Friday 2026-11-20 12:00 UTC (t0), with a 2h
// reboot lease.
func TestWindowsDecide(t *testing.T) {
	f := winFleet(map[string]string{
		"a": "Fri 11:00-15:00 UTC",                      // open, the lease fits
		"b": "Mon 09:00-11:00 Europe/Berlin",            // closed: next Monday 08:00 UTC
		"c": "Fri 11:30-13:00 UTC",                      // open, but closes at 13:00
		"d": "Fri 11:00-15:00",                          // no zone: unparsable
		"e": "",                                         // none: denied by default
		"f": "Fri 11:00-12:30 UTC; Sat 02:00-06:00 UTC", // own value beats the role rule
	})
	pol := mustPolicy(t, winPolicy)
	d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "reboot", Expr: "all"})
	assert.Equal(t, []string{"a"}, d.Approved)
	got := map[string]string{}
	for _, x := range d.Denied {
		got[x.Host] = x.Rule + " | " + x.Detail
	}
	assert.Equal(t, map[string]string{
		"b":  `window:closed | outside its maintenance window: next opens 2026-11-23T08:00:00Z (Mon 2026-11-23 09:00 CET Europe/Berlin) (maint_window "Mon 09:00-11:00 Europe/Berlin": Mon 09:00-11:00 Europe/Berlin)`,
		"c":  `window:too-short | the 2h lease from now ends 2026-11-20T14:00:00Z, after the window closes at 2026-11-20T13:00:00Z (Fri 2026-11-20 13:00 UTC), and no opening within two weeks holds it (maint_window "Fri 11:30-13:00 UTC": Fri 11:30-13:00 UTC); shorten it with --duration or widen the window`,
		"d":  `window:invalid | maint_window "Fri 11:00-15:00" does not parse: window "Fri 11:00-15:00": expected DAYS HH:MM-HH:MM ZONE, e.g. "Mon-Fri 09:00-11:00 Europe/Berlin" (fail closed); fix the CMDB value`,
		"e":  `window:none | no maint_window value and no [[windows.rule]] for it ([windows] missing = deny, the default for a disruptive verb)`,
		"f":  `window:overrun | the 2h lease from now ends 2026-11-20T14:00:00Z, after the window closes at 2026-11-20T12:30:00Z (Fri 2026-11-20 12:30 UTC); it fits from 2026-11-21T02:00:00Z (Sat 2026-11-21 02:00 UTC) (maint_window "Fri 11:00-12:30 UTC; Sat 02:00-06:00 UTC": Fri 11:00-12:30 UTC; Sat 02:00-06:00 UTC)`,
		"k1": `window:too-short | the 2h lease from now ends 2026-11-20T14:00:00Z, after the window closes at 2026-11-20T12:30:00Z (Fri 2026-11-20 12:30 UTC), and no opening within two weeks holds it ([[windows.rule]] 1 (role kafka): Fri 11:00-12:30 UTC); shorten it with --duration or widen the window`,
	}, got)
	assert.True(t, Transient(RuleWindowClosed) && Transient(RuleWindowOverrun))
	assert.False(t, Transient(RuleWindowNone) || Transient(RuleWindowInvalid) || Transient(RuleWindowTooShort))
	assert.Contains(t, d.Notes, "maintenance windows gate reboot: checked at 2026-11-20T12:00:00Z, the 2h lease must fit; candidates by source: 4 by maint_window, 1 with an unparsable maint_window, 1 without a window, 1 by [[windows.rule]]")

	// A shorter --duration fits c's window (1h30m); drain is not gated.
	d = decide(t, f.Snapshot(), pol, nil, Request{Verb: "reboot", Expr: `"c"`, Duration: Span(time.Hour)})
	assert.Equal(t, []string{"c"}, d.Approved)
	d = decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: "all"})
	assert.Len(t, d.Approved, 7)

	// --force --reason lifts every window rule, recorded as forced.
	d = decide(t, f.Snapshot(), pol, nil, Request{Verb: "reboot", Expr: "all", Force: true, Reason: "CVE"})
	assert.Len(t, d.Approved, 7)
	assert.True(t, d.Forced)
	for _, l := range d.Leases() {
		assert.Equal(t, l.Host != "a", l.Forced, l.Host)
	}
}

// TestWindowsWeek: while a week runs, its slot is the host's window.
func TestWindowsWeek(t *testing.T) {
	f := winFleet(map[string]string{"a": "Fri 11:00-15:00 UTC", "b": "Fri 11:00-15:00 UTC", "c": "Fri 11:00-15:00 UTC"})
	pol := mustPolicy(t, winPolicy)
	week := store.Week{ID: 2, Name: "kernel", State: store.WeekPlanned, Verbs: []string{"reboot"}, Zone: "Europe/Berlin",
		Steps: []store.WeekStep{
			{N: 1, Start: t0.Add(-time.Hour), End: t0.Add(3 * time.Hour), Hosts: []string{"b", "e"}},
			{N: 2, Start: t0.Add(24 * time.Hour), End: t0.Add(28 * time.Hour), Hosts: []string{"a"}},
		}, Unslotted: []string{"c"}}
	l := &store.Ledger{Weeks: []store.Week{week}}
	d := decide(t, f.Snapshot(), pol, l, Request{Verb: "reboot", Expr: `"a,b,c,d,e"`})
	assert.Equal(t, []string{"b", "e"}, d.Approved, "the slot is the window: e has none of its own")
	got := map[string]string{}
	for _, x := range d.Denied {
		got[x.Host] = x.Rule + " | " + x.Detail
	}
	assert.Equal(t, `window:closed | outside its maintenance window: next opens 2026-11-21T12:00:00Z (Sat 2026-11-21 13:00 CET Europe/Berlin) (slot of week w2 (kernel) step 2: 2026-11-21T12:00Z/2026-11-21T16:00Z)`, got["a"])
	assert.Equal(t, `window:none | week w2 (kernel) gave the host no slot (unslotted) while it runs: no window; --force --reason to override`, got["c"])
	assert.Equal(t, "window:none", got["d"][:11], "d is not in the week: its own (missing) windows apply")

	// A second week overlapping the first that lists b: fail closed.
	other := store.Week{ID: 3, State: store.WeekPlanned, Verbs: []string{"reboot"},
		Steps: []store.WeekStep{{N: 1, Start: t0.Add(-2 * time.Hour), End: t0.Add(2 * time.Hour), Hosts: []string{"b"}}}}
	l = &store.Ledger{Weeks: []store.Week{week, other}}
	d = decide(t, f.Snapshot(), pol, l, Request{Verb: "reboot", Expr: `"b"`})
	require.Len(t, d.Denied, 1)
	assert.Equal(t, "window:week-conflict", d.Denied[0].Rule)
	assert.Equal(t, "weeks w2 (kernel) and w3 overlap and both list the host: no single slot to hold it to (fail closed); cancel one week", d.Denied[0].Detail)

	// A week that gates another verb leaves reboot to the windows.
	week.Verbs = []string{"firmware"}
	d = decide(t, f.Snapshot(), pol, &store.Ledger{Weeks: []store.Week{week}}, Request{Verb: "reboot", Expr: `"a,b,c"`})
	assert.Equal(t, []string{"a", "b", "c"}, d.Approved)
}

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

// The case: Tuesday 2026-12-01 20:11 UTC. The pass is half an
// hour old then (fresh evidence for the what-if clock).
const (
	winClock = "2026-12-01T20:11:00Z"
	winPass  = "2026-12-01T19:41:00Z"
)

var winPolicyText = `
unavailable = 'lifecycle in ("dead", "repair")'

[[archetype]]
name = "all"
any = { max = 100 }

[verb.reboot]
lease = "2h"

[windows]
attr = "maint_window"
`

// winHosts are the fixture's hosts and their maint_window values.
var winHosts = [][2]string{
	{"h1", "Tue 20:00-23:00 UTC"},                      // open; the 2h lease ends 22:11, inside
	{"h2", "Mon 09:00-11:00 Europe/Berlin"},            // closed: next Monday 08:00 UTC, 09:00 CET
	{"h3", "Tue 21:00-23:00 America/New_York"},         // closed: 15:11 in New York, opens 21:00 EST = 02:00 UTC
	{"h4", "Tue 19:00-04:00 Asia/Kolkata"},             // open: Tue 13:30-22:30 UTC, across midnight in India
	{"h5", ""},                                         // no window: denied by default
	{"h6", "Tue 20:00-21:00 UTC; Thu 01:00-05:00 UTC"}, // open, but closes before the lease ends
	{"h7", "Tue 20:00-23:00"},                          // no zone: unparsable, fail closed
}

func newWindowFixture(t *testing.T) *actionFixture {
	f := &actionFixture{t: t, dir: t.TempDir()}
	f.db = filepath.Join(f.dir, "fleetq.db")
	f.policy = filepath.Join(f.dir, "policy.toml")
	require.NoError(t, os.WriteFile(f.policy, []byte(winPolicyText), 0o644))
	var inv strings.Builder
	inv.WriteString("host,cluster,rack,lifecycle,maint_window\n")
	for i, h := range winHosts {
		fmt.Fprintf(&inv, "%s,web,r%d,active,%s\n", h[0], i, h[1])
	}
	path := filepath.Join(f.dir, "inventory.csv")
	require.NoError(t, os.WriteFile(path, []byte(inv.String()), 0o644))
	f.ok("ingest", path, "--at", winPass)
	t.Cleanup(func() { storetest.MustCheck(t, f.db) })
	return f
}

type winDecision struct {
	decisionJSON
	Now    time.Time `json:"now"`
	Forced bool      `json:"forced"`
	Notes  []string  `json:"notes"`
}

func (f *actionFixture) winDecide(args ...string) winDecision {
	f.t.Helper()
	var d winDecision
	require.NoError(f.t, json.Unmarshal([]byte(f.ok(append(args, "--format", "json")...)), &d))
	return d
}

func denials(d winDecision) map[string]string {
	out := map[string]string{}
	for _, x := range d.Denied {
		out[x.Host] = x.Rule + ": " + x.Detail
	}
	return out
}

// TestWindowsDoneWhen is the Done-when for windows, through the
// binary at a fixed clock (--what-if, a dry run that records nothing).
func TestWindowsDoneWhen(t *testing.T) {
	f := newWindowFixture(t)

	d := f.winDecide("reboot", `"h1,h2,h3,h4"`, "--reason", "kernel", "--what-if", winClock)
	assert.Equal(t, []string{"h1", "h4"}, d.Approved, "exactly the hosts whose window is open")
	assert.Equal(t, map[string]string{
		"h2": `window:closed: outside its maintenance window: next opens 2026-12-07T08:00:00Z (Mon 2026-12-07 09:00 CET Europe/Berlin) (maint_window "Mon 09:00-11:00 Europe/Berlin": Mon 09:00-11:00 Europe/Berlin)`,
		"h3": `window:closed: outside its maintenance window: next opens 2026-12-02T02:00:00Z (Tue 2026-12-01 21:00 EST America/New_York) (maint_window "Tue 21:00-23:00 America/New_York": Tue 21:00-23:00 America/New_York)`,
	}, denials(d))
	assert.Equal(t, winClock, d.Now.Format(time.RFC3339), "the decision records its clock")

	text := f.ok("reboot", `"h1,h2,h3,h4"`, "--reason", "kernel", "--what-if", winClock)
	assert.Contains(t, text, "WHAT-IF at 2026-12-01T20:11:00Z")
	assert.Contains(t, text, "note: maintenance windows gate reboot: checked at 2026-12-01T20:11:00Z, the 2h lease must fit; candidates by source: 4 by maint_window\n")
	assert.Contains(t, text, "window:closed      2  transient")

	d = f.winDecide("reboot", `"h5,h7"`, "--reason", "kernel", "--what-if", winClock)
	assert.Empty(t, d.Approved)
	assert.Equal(t, map[string]string{
		"h5": `window:none: no maint_window value and no [[windows.rule]] for it ([windows] missing = deny, the default for a disruptive verb)`,
		"h7": `window:invalid: maint_window "Tue 20:00-23:00" does not parse: window "Tue 20:00-23:00": expected DAYS HH:MM-HH:MM ZONE, e.g. "Mon-Fri 09:00-11:00 Europe/Berlin" (fail closed); fix the CMDB value`,
	}, denials(d))

	d = f.winDecide("reboot", `"h1,h6"`, "--reason", "kernel", "--what-if", winClock)
	assert.Equal(t, []string{"h1"}, d.Approved)
	assert.Equal(t, map[string]string{
		"h6": `window:overrun: the 2h lease from now ends 2026-12-01T22:11:00Z, after the window closes at 2026-12-01T21:00:00Z (Tue 2026-12-01 21:00 UTC); it fits from 2026-12-03T01:00:00Z (Thu 2026-12-03 01:00 UTC) (maint_window "Tue 20:00-21:00 UTC; Thu 01:00-05:00 UTC": Tue 20:00-21:00 UTC; Thu 01:00-05:00 UTC)`,
	}, denials(d))
	d = f.winDecide("reboot", `"h6"`, "--reason", "kernel", "--what-if", winClock, "--duration", "45m")
	assert.Equal(t, []string{"h6"}, d.Approved, "a 45m --duration fits before 21:00")
	d = f.winDecide("reboot", `"h1,h3"`, "--reason", "kernel", "--what-if", "2026-12-01T21:30:00Z", "--duration", "1h30m")
	assert.Equal(t, []string{"h1"}, d.Approved, "h1 closes at 23:00: 21:30 + 1h30m fits exactly")

	// drain is not disruptive: no window gates it.
	d = f.winDecide("drain", "all", "--reason", "swap", "--what-if", winClock)
	assert.Len(t, d.Approved, 7)

	// --force --reason approves and is recorded (a real dry run: the
	// clock is the machine's, so only hosts no window ever opens for).
	f.ok("ingest", filepath.Join(f.dir, "inventory.csv"))
	d = f.winDecide("reboot", `"h5,h7"`, "--force", "--reason", "CVE-2026-1234")
	assert.Equal(t, []string{"h5", "h7"}, d.Approved)
	assert.True(t, d.Forced)
	var entry struct {
		Time   time.Time `json:"time"`
		Forced bool      `json:"forced"`
		Reason string    `json:"reason"`
	}
	require.NoError(t, json.Unmarshal([]byte(f.ok("audit", "show", fmt.Sprint(d.Audit), "--format", "json")), &entry))
	assert.True(t, entry.Forced, "the audit entry records the force")
	assert.Equal(t, "CVE-2026-1234", entry.Reason)
	assert.True(t, entry.Time.Equal(d.Now), "the audit entry records the decision's clock")
	assert.Contains(t, f.ok("audit", "show", fmt.Sprint(d.Audit)), "FORCED")
	assert.Contains(t, f.ok("audit", "replay", fmt.Sprint(d.Audit)), "match: the decision comes out the same")
}

// TestWindowsWeekSlot: a maintenance week (made here through
// internal/store, as plan week would) running at the clock makes its
// step's slot the window of the hosts it lists.
func TestWindowsWeekSlot(t *testing.T) {
	f := newWindowFixture(t)
	tue := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	w := &store.Week{Name: "kernel", Scope: "all", State: store.WeekPlanned, Verbs: []string{"reboot"}, Zone: "UTC",
		Steps: []store.WeekStep{
			{N: 1, Start: tue, End: tue.Add(3 * time.Hour), Hosts: []string{"h2", "h5"}},
			{N: 2, Start: tue.Add(24 * time.Hour), End: tue.Add(28 * time.Hour), Hosts: []string{"h3"}},
		}, Unslotted: []string{"h1"}}
	db, err := store.Open(f.db, store.Options{})
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		return tx.CreateWeek(w, func(w *store.Week) *store.AuditEntry {
			return &store.AuditEntry{Time: tue.Add(-time.Hour), Requester: "planner", Kind: "week", Expr: w.Ref(), Committed: true, Approved: []string{}}
		})
	}))
	require.NoError(t, db.Close())

	d := f.winDecide("reboot", `"h1,h2,h3,h4,h5"`, "--reason", "kernel", "--what-if", winClock)
	assert.Equal(t, []string{"h2", "h4", "h5"}, d.Approved, "h2 and h5 in their slot; h4 is not in the week: its own window is open")
	assert.Equal(t, map[string]string{
		"h1": "window:none: week w1 (kernel) gave the host no slot (unslotted) while it runs: no window; --force --reason to override",
		"h3": "window:closed: outside its maintenance window: next opens 2026-12-02T20:00:00Z (Wed 2026-12-02 20:00 UTC) (slot of week w1 (kernel) step 2: 2026-12-02T20:00Z/2026-12-03T00:00Z)",
	}, denials(d))

	// The week has not started at 19:50: everyone's own windows apply
	// (h4's is open, h5 has none).
	d = f.winDecide("reboot", `"h4,h5"`, "--reason", "kernel", "--what-if", "2026-12-01T19:50:00Z")
	assert.Equal(t, []string{"h4"}, d.Approved)

	// check windows counts the slots of the week to come or running.
	out, _, code := f.run("check", "windows", "--at", winClock)
	assert.Equal(t, 4, code, out)
	assert.Contains(t, out, "weeks: w1 (kernel)")
	assert.Contains(t, out, "covered 5 of 7; by source: attr 2, invalid 1, slot 3, unslotted 1\n")
	assert.Contains(t, out, "  h1    web      unslotted  week w1 (kernel) gave the host no slot (unslotted)\n")
	assert.Contains(t, out, "  h7    web      invalid    maint_window \"Tue 20:00-23:00\": window")
}

// TestCheckWindows: `fleetq check windows` lists the hosts without a
// usable window and exits 4 when any; --verb picks the verb's rules.
func TestCheckWindows(t *testing.T) {
	f := newWindowFixture(t)
	before, err := os.ReadFile(f.db)
	require.NoError(t, err)
	out, errOut, code := f.run("check", "windows")
	assert.Equal(t, 4, code, out+errOut)
	assert.Equal(t, `windows of 'all' for every verb: 7 hosts in pass 1, clock `+strings.SplitN(strings.SplitN(out, "clock ", 2)[1], "\n", 2)[0]+`
covered 5 of 7; by source: attr 5, invalid 1, none 1

without a usable window 2:
  HOST  CLUSTER  KIND     DETAIL
  h5    web      none     no maint_window value, no [[windows.rule]] for it, and no week slot
  h7    web      invalid  maint_window "Tue 20:00-23:00": window "Tue 20:00-23:00": expected DAYS HH:MM-HH:MM ZONE, e.g. "Mon-Fri 09:00-11:00 Europe/Berlin"
`, out)
	assert.Empty(t, errOut, "exit 4 is the answer, not an error")

	var c struct {
		Hosts, Covered int
		Gaps           []struct{ Host, Kind string }
	}
	js, _, code := f.run("check", "windows", "--format", "json")
	assert.Equal(t, 4, code)
	require.NoError(t, json.Unmarshal([]byte(js), &c))
	assert.Equal(t, 7, c.Hosts)
	assert.Equal(t, 5, c.Covered)
	require.Len(t, c.Gaps, 2)
	assert.Equal(t, "h5", c.Gaps[0].Host)
	assert.Equal(t, "none", c.Gaps[0].Kind)

	out = f.ok("check", "windows", `"h1,h2,h3"`)
	assert.Contains(t, out, "ok: every host has a window")
	out = f.ok("check", "windows", "--verb", "drain")
	assert.Contains(t, out, "no maintenance window gates drain")
	_, _, code = f.run("check", "windows", "--verb", "reboot")
	assert.Equal(t, 4, code)
	_, errOut, code = f.run("check", "windows", "--verb", "reimage")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `--verb "reimage": expected one of`)

	after, err := os.ReadFile(f.db)
	require.NoError(t, err)
	assert.Equal(t, before, after, "check windows writes nothing")
}

// TestPolicyShowWindows: policy show lists the windows that may apply
// to a cluster's hosts, in precedence order, with where each is written;
// policy check evaluates the rules' expressions and attributes.
func TestPolicyShowWindows(t *testing.T) {
	f := newWindowFixture(t)
	text := winPolicyText + `
[[windows.rule]]
cluster = "web"
windows = ["Tue 20:00-23:00 UTC"]

[[windows.rule]]
expr = 'rack = "r1"'
windows = ["Sun 02:00-04:00 Europe/Berlin"]
`
	require.NoError(t, os.WriteFile(f.policy, []byte(text), 0o644))
	out := f.ok("policy", "show", "web")
	assert.Contains(t, out, `
maintenance windows gate reboot, rekick, burnin, firmware; a host without one: deny for a disruptive verb, allow for the others
a host's windows, first match wins:
  its own maint_window value (6 hosts have one)
  [[windows.rule]] 2, expr rack = "r1" (the hosts it holds): Sun 02:00-04:00 Europe/Berlin  (`+f.policy+`:18)
  [[windows.rule]] 1, cluster web (7 hosts): Tue 20:00-23:00 UTC  (`+f.policy+`:14)
`)
	assert.Contains(t, f.ok("policy", "check"), "3 expressions compile and evaluate", "unavailable, decommissioned and the rule's")

	// h5 (no value) now falls to the cluster rule, open at the clock.
	d := f.winDecide("reboot", `"h5"`, "--reason", "k", "--what-if", winClock)
	assert.Equal(t, []string{"h5"}, d.Approved)

	require.NoError(t, os.WriteFile(f.policy, []byte(winPolicyText+"\n[[windows.rule]]\ncluster = \"web\"\nwindows = [\"Sat 02:00-06:00\"]\n"), 0o644))
	_, errOut, code := f.run("reboot", "all", "--reason", "k")
	assert.Equal(t, 1, code)
	assert.Equal(t, "fleetq: "+f.policy+`:16: invalid policy: [[windows.rule]] 1: windows: window "Sat 02:00-06:00": expected DAYS HH:MM-HH:MM ZONE, e.g. "Mon-Fri 09:00-11:00 Europe/Berlin"`+"\n", errOut)
}

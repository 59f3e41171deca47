package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeSchedule writes a two-step schedule of scope: one host on Monday,
// the rest on Tuesday (next week, UTC).
func writeSchedule(t *testing.T, dir, name, scope string) string {
	path := filepath.Join(dir, name+".toml")
	text := fmt.Sprintf("name = %q\nscope = '%s'\n\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\nmax = 1\n\n[[step]]\nstart = \"Tue 09:00\"\nexpr = 'all'\n", name, scope)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

// weekDemo is the demo fleet of examples/demo.sh (genfleet --hosts 5000
// --seed 7), its first inventory ingested, built once per test binary.
var weekDemo = sync.OnceValues(func() (string, error) {
	dir := filepath.Join(filepath.Dir(fleetqBin), "week-demo")
	gen := filepath.Join(dir, "genfleet")
	if out, err := exec.Command("go", "build", "-o", gen, "github.com/fleetq/fleetq/examples/genfleet").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build genfleet: %v: %s", err, out)
	}
	if out, err := exec.Command(gen, "--out", filepath.Join(dir, "fleet"), "--hosts", "5000", "--passes", "1", "--seed", "7", "--control-planes=false").CombinedOutput(); err != nil {
		return "", fmt.Errorf("genfleet: %v: %s", err, out)
	}
	db := filepath.Join(dir, "fleetq.db")
	cmd := exec.Command(fleetqBin, "--create", "ingest", filepath.Join(dir, "fleet", "pass-001", "inventory.csv"))
	cmd.Env = append(os.Environ(), "FLEETQ_DB="+db)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("ingest: %v: %s", err, out)
	}
	return dir, nil
})

// newWeekFixture is a copy of the demo database, with no policy (the
// defaults: racks from the rack attribute).
func newWeekFixture(t *testing.T) (*actionFixture, string) {
	demo, err := weekDemo()
	require.NoError(t, err)
	f := &actionFixture{t: t, dir: t.TempDir()}
	f.db, f.policy = filepath.Join(f.dir, "fleetq.db"), filepath.Join(f.dir, "no-policy.toml")
	copyFile(t, filepath.Join(demo, "fleetq.db"), f.db)
	return f, filepath.Join(demo, "fleet", "pass-001", "inventory.csv")
}

// weekJSON is the JSON of plan week and week show.
type weekJSON struct {
	ID    string `json:"id"`
	Steps []struct {
		N     int       `json:"n"`
		Start time.Time `json:"start"`
		End   time.Time `json:"end"`
		Hosts []string  `json:"hosts"`
		Parts []struct {
			Expr    string `json:"expr"`
			Limit   string `json:"limit"`
			Matched int    `json:"matched"`
			Taken   int    `json:"taken"`
		} `json:"parts"`
	} `json:"steps"`
	Days []struct {
		Day   string `json:"day"`
		Hosts int    `json:"hosts"`
	} `json:"days"`
	Unslotted []string `json:"unslotted"`
	Check     struct {
		Passed  bool     `json:"passed"`
		Missing []string `json:"missing"`
	} `json:"cross_check"`
	DryRun bool `json:"dry_run"`
}

func (f *actionFixture) hosts(expr string) []string {
	out := strings.Fields(f.ok("query", "--seed", "7", expr))
	sort.Strings(out)
	return out
}

// TestPlanWeekDemo: examples/week.toml on the demo fleet gives eight
// steps, more hosts each day from Monday to Thursday, every host of the
// location exactly one slot, and each selection exactly its share of
// the hosts that match it and no earlier step took (checked against the
// queries themselves), spread across racks.
func TestPlanWeekDemo(t *testing.T) {
	f, inventory := newWeekFixture(t)
	var w weekJSON
	require.NoError(t, json.Unmarshal([]byte(f.ok("plan", "week", "../../examples/week.toml", "--seed", "7", "--format", "json")), &w))
	require.Len(t, w.Steps, 8)
	assert.Equal(t, "w1", w.ID)
	var sizes []int
	for _, st := range w.Steps {
		sizes = append(sizes, len(st.Hosts))
		assert.Equal(t, 4*time.Hour, st.End.Sub(st.Start))
	}
	assert.Equal(t, []int{30, 2, 43, 289, 372, 864, 180, 14}, sizes)
	var days []string
	var perDay []int
	for _, d := range w.Days {
		days, perDay = append(days, d.Day), append(perDay, d.Hosts)
	}
	assert.Equal(t, []string{"Mon", "Tue", "Wed", "Thu", "Sat"}, days)
	assert.Equal(t, []int{75, 289, 372, 864, 194}, perDay)
	assert.True(t, perDay[0] < perDay[1] && perDay[1] < perDay[2] && perDay[2] < perDay[3], "one, few, many: %v", perDay)
	assert.Equal(t, time.Monday, w.Steps[0].Start.Weekday())
	assert.Equal(t, "09:00", w.Steps[0].Start.Format("15:04"))
	assert.Equal(t, "Sat 13:00", w.Steps[7].Start.Format("Mon 15:04"))

	scope := f.hosts(`dc = "smf1"`)
	require.Len(t, scope, 1794)
	var union []string
	for _, st := range w.Steps {
		union = append(union, st.Hosts...)
	}
	sort.Strings(union)
	assert.Equal(t, scope, union, "every host of the scope exactly one slot: the steps' hosts are the scope, none twice")
	assert.Empty(t, w.Unslotted)
	assert.True(t, w.Check.Passed)

	racks := map[string]string{}
	hosts := csvHosts(t, inventory)
	for i, r := range csvColumn(t, inventory, "rack") {
		racks[hosts[i]] = r
	}
	inScope := setOf(scope)
	taken := map[string]bool{}
	for _, st := range w.Steps {
		inStep := setOf(st.Hosts)
		got := 0
		for _, p := range st.Parts {
			var matched, took []string
			for _, h := range f.hosts(p.Expr) {
				if inScope[h] && !taken[h] {
					matched = append(matched, h)
					if inStep[h] {
						took = append(took, h)
					}
				}
			}
			for _, h := range took {
				taken[h] = true
			}
			got += len(took)
			assert.Equal(t, len(matched), p.Matched, "step %d %s", st.N, p.Expr)
			assert.Equal(t, len(took), p.Taken, "step %d %s", st.N, p.Expr)
			assert.Equal(t, shareOf(p.Limit, len(matched)), len(took), "step %d %s: %s of %d", st.N, p.Expr, p.Limit, len(matched))
			if p.Limit != "" {
				requireSpread(t, racks, matched, took)
			}
		}
		assert.Equal(t, len(st.Hosts), got, "step %d: its hosts are its selections'", st.N)
	}

	assert.Equal(t, w.Steps[1].Hosts, f.hosts("week:w1/s2"), "the language names a step's hosts")
	assert.Equal(t, scope, f.hosts("week:smf1-kernel"), "and the week's, by name")
	assert.Empty(t, f.hosts("week:w1/unslotted"))
	assert.Equal(t, "0\n", f.ok("query", "week:w1/s1 & week:w1/s7 | count"))
	_, errOut, code := f.run("query", "week:w1/s9")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, `fleetq: 1:1: unknown name: no week step "week:w1/s9" (write week:w1/s4, week:w1 or week:w1/unslotted;`)

	show := f.ok("week", "show")
	assert.Contains(t, show, "  its hosts in the language: week:w1 (every step), week:w1/s1 … week:w1/s8, week:w1/unslotted\n")
	assert.Contains(t, show, "week w1 (smf1-kernel) planned: 1794 hosts of dc = \"smf1\"")
	assert.Contains(t, show, "cross-check passed: every host of the scope has exactly one slot (1794 hosts when planned; pass 1 adds none)")
	assert.Regexp(t, `(?m)^1\s+Mon \d{4}-\d\d-\d\d 09:00-13:00\s+30  automation management, monitoring, package builders$`, show)
	assert.Regexp(t, `(?m)^Thu\s+\S+\s+1\s+864$`, show)
	assert.Regexp(t, `(?m)^4\s+up to 5%\s+107\s+6  service = "vm" & env = "prod" - tests$`, show)
}

func setOf(hosts []string) map[string]bool {
	out := map[string]bool{}
	for _, h := range hosts {
		out[h] = true
	}
	return out
}

// shareOf is the documented rounding: a percentage rounded up, a count
// capped, everything when there is no limit.
func shareOf(limit string, n int) int {
	var x float64
	switch {
	case limit == "":
		return n
	case strings.HasSuffix(limit, "%"):
		_, _ = fmt.Sscanf(limit, "%g%%", &x)
		k := 0
		for float64(k) < x*float64(n)/100-1e-9 {
			k++
		}
		return k
	}
	_, _ = fmt.Sscanf(limit, "%g", &x)
	return min(int(x), n)
}

// requireSpread: the hosts taken are dealt rack by rack: a rack with
// matching hosts left over holds at most one fewer than the fullest.
func requireSpread(t *testing.T, racks map[string]string, matched, took []string) {
	t.Helper()
	per, left := map[string]int{}, map[string]bool{}
	for _, h := range took {
		per[racks[h]]++
	}
	tookSet := setOf(took)
	for _, h := range matched {
		if !tookSet[h] {
			left[racks[h]] = true
		}
	}
	fullest := 0
	for _, n := range per {
		fullest = max(fullest, n)
	}
	for r := range left {
		assert.GreaterOrEqual(t, per[r], fullest-1, "rack %s has %d of the share, another %d", r, per[r], fullest)
	}
}

// TestPlanWeekUnslotted: a schedule that leaves hosts of the scope
// without a slot fails the cross-check with exit 4, naming them, and
// records nothing; --allow-unslotted records it with its unslotted hosts.
func TestPlanWeekUnslotted(t *testing.T) {
	f, _ := newWeekFixture(t)
	file := filepath.Join(f.dir, "partial.toml")
	require.NoError(t, os.WriteFile(file, []byte(`scope = 'dc = "smf1"'
[[step]]
start = "Mon 09:00"
expr = 'service in (storage, vm, kvm, builder, monitoring)'
`), 0o644))
	missing := f.hosts(`dc = "smf1" & service in (automation, router)`)
	require.Len(t, missing, 28)
	out, errOut, code := f.run("plan", "week", file, "--seed", "1", "--format", "json")
	require.Equal(t, exitAssert, code, errOut)
	var w weekJSON
	require.NoError(t, json.Unmarshal([]byte(out), &w))
	assert.Equal(t, missing, w.Unslotted)
	assert.False(t, w.Check.Passed)
	assert.True(t, w.DryRun, "not recorded")
	assert.Contains(t, errOut, "fleetq: cross-check failed: 28 hosts of the scope have no slot in the week ("+strings.Join(missing[:5], ", ")+", … 23 more)")
	assert.Equal(t, "no week planned (fleetq plan week FILE plans one)\n", f.ok("week", "list"))

	text, _, code := f.run("plan", "week", file, "--seed", "1", "--allow-unslotted")
	require.Equal(t, exitAssert, code)
	assert.Contains(t, text, "week w1 planned: 1794 hosts")
	assert.Contains(t, text, "cross-check FAILED:\n  28 hosts of the scope no step took: "+strings.Join(missing, " ")+"\n")
	assert.Regexp(t, `(?m)^w1\s+planned\s.*\s1\s+1766\s+28\s+1\s+dc = "smf1"$`, f.ok("week", "list"))
	assert.Contains(t, f.ok("week", "show", "w1"), "cross-check FAILED:\n  28 hosts of the scope no step took: ")
}

// TestPlanWeekBadFiles: a bad schedule is one error line naming the file
// and the line, and the database is unchanged.
func TestPlanWeekBadFiles(t *testing.T) {
	f, _ := newWeekFixture(t)
	before := f.ok("audit", "--format", "json") + f.ok("week", "list", "--format", "json")
	for _, c := range []struct{ text, want string }{
		{"scope = 'dc = \"smf1\"'\nstarts = 1\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n", `invalid schedule: FILE:2: unknown key "starts" (expected name, week, zone, scope, verbs, length, customer, [[step]])`},
		{"scope = 'dc = \"smf1\"'\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n[[step]]\nstart = \"Mon 10:00\"\nexpr = 'all'\n", "invalid schedule: FILE:6: step 2 starts at Mon 10:00, before step 1 ends (Mon 13:00): shorten step 1's length"},
		{"scope = 'dc = \"smf1\"'\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\nmax = \"150%\"\n", `invalid schedule: FILE:5: step 1: max = "150%": expected a percentage above 0 and at most 100`},
		{"scope = 'dc = \"smf1\"'\nweek = \"2026-02-03\"\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n", `invalid schedule: FILE:2: week "2026-02-03": 2026-02-03 is a Tuesday; expected the week's Monday`},
		{"scope = 'dc = \"smf1\"'\nweek = \"2026-02-02\"\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n", "FILE:3: step 1 of the week of 2026-02-02 started at 2026-02-02T09:00:00Z, in the past"},
		{"scope = 'dc = \"smf1\"'\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n\n[[step]]\nstart = \"Tue 09:00\"\nexpr = 'servce in (kvm)'\n", `FILE:8: step 2: 1:1: unknown name: no attribute "servce" in pass 1 (did you mean service?)`},
		{"scope = 'dc = \"smf1\" |'\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n", "FILE: scope:"},
		{"scope = 'dc = \"mars\"'\n[[step]]\nstart = \"Mon 09:00\"\nexpr = 'all'\n", `FILE: scope "dc = \"mars\"" selects no hosts in pass 1: nothing to plan`},
	} {
		file := filepath.Join(f.dir, "bad.toml")
		require.NoError(t, os.WriteFile(file, []byte(c.text), 0o644))
		_, errOut, code := f.run("plan", "week", file)
		assert.Equal(t, exitFailure, code, c.text)
		assert.True(t, strings.HasPrefix(errOut, "fleetq: "), errOut)
		assert.Contains(t, strings.SplitN(errOut, "\n", 2)[0], strings.ReplaceAll(c.want, "FILE", file), c.text)
	}
	assert.Equal(t, before, f.ok("audit", "--format", "json")+f.ok("week", "list", "--format", "json"), "the database is unchanged")
}

// TestPlanWeekOverlapAndCancel: a second week on the same hosts is
// refused until the first is cancelled, which is audited.
func TestPlanWeekOverlapAndCancel(t *testing.T) {
	f, _ := newWeekFixture(t)
	f.ok("plan", "week", "../../examples/week.toml", "--seed", "1")
	_, errOut, code := f.run("plan", "week", "../../examples/week.toml", "--seed", "2")
	require.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "fleetq: refused: the week overlaps week w1 (smf1-kernel) (")
	assert.Contains(t, errOut, "on 1794 hosts (ci00001.smf1, ci00002.smf1, ci00003.smf1, …): cancel it first (fleetq week cancel w1 --reason TEXT)")
	other := writeSchedule(t, f.dir, "atla", `dc = "atla"`)
	f.ok("plan", "week", other, "--seed", "3") // other hosts: no overlap

	_, _, code = f.run("week", "cancel", "w1")
	assert.Equal(t, exitUsage, code, "--reason is required")
	assert.Equal(t, "week w1 (smf1-kernel) cancelled\n", f.ok("week", "cancel", "smf1-kernel", "--reason", "kernel pulled"))
	_, errOut, _ = f.run("week", "cancel", "w1", "--reason", "again")
	assert.Contains(t, errOut, "fleetq: refused: week w1 (smf1-kernel) is cancelled already")
	audit := f.ok("audit", "--kind", "week,week-cancel")
	assert.Contains(t, audit, "cancelled w1 (smf1-kernel): kernel pulled")
	assert.Contains(t, audit, "planned w2 (atla) from "+other+": 2 steps")
	assert.Contains(t, f.ok("plan", "week", "../../examples/week.toml", "--seed", "2"), "week w3 (smf1-kernel) planned")
	list := f.ok("week", "list")
	assert.Regexp(t, `(?m)^w1\s+smf1-kernel\s+cancelled\s`, list)
	assert.Regexp(t, `(?m)^w3\s+smf1-kernel\s+planned\s`, list)
	assert.True(t, slices.Contains(strings.Fields(list), "atla"))
}

// TestWeekShowNewHosts: week show runs the cross-check again on the
// newest pass: a host that joined the scope after the plan has no slot.
// A schedule in another zone shows its slots in both.
func TestWeekShowNewHosts(t *testing.T) {
	f, inventory := newWeekFixture(t)
	file := filepath.Join(f.dir, "ny.toml")
	require.NoError(t, os.WriteFile(file, []byte(`scope = 'dc = "atla"'
zone = "America/New_York"
week = "2099-W10"
[[step]]
start = "Mon 09:00"
expr = 'all'
max = "1%"
[[step]]
start = "Sun 20:00"
expr = 'all'
`), 0o644))
	f.ok("plan", "week", file, "--seed", "5")
	data, err := os.ReadFile(inventory)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	var added string
	for _, l := range lines {
		if strings.Contains(l, ".atla,atla,") {
			added = "zz00001.atla" + l[strings.IndexByte(l, ','):]
			break
		}
	}
	next := filepath.Join(f.dir, "inventory.csv")
	require.NoError(t, os.WriteFile(next, []byte(strings.Join(append(lines, added), "\n")+"\n"), 0o644))
	f.ok("ingest", next)

	show := f.ok("week", "show")
	assert.Contains(t, show, "STEP  SLOT (UTC)                  SLOT (America/New_York)     HOSTS")
	assert.Regexp(t, `(?m)^1\s+Mon 2099-03-02 14:00-18:00\s+Mon 2099-03-02 09:00-13:00\s+12$`, show, "EST: UTC-5")
	assert.Regexp(t, `(?m)^2\s+Mon 2099-03-09 00:00-04:00\s+Sun 2099-03-08 20:00-00:00\s+1149$`, show, "DST began that morning in New York: 20:00 EDT is 00:00 UTC, the slot ends with the week")
	assert.Contains(t, show, "cross-check FAILED:\n  1 hosts of the scope in pass 2 have no slot: zz00001.atla\n")
	var w weekJSON
	require.NoError(t, json.Unmarshal([]byte(f.ok("week", "show", "--format", "json")), &w))
	assert.False(t, w.Check.Passed)
	assert.Equal(t, []string{"zz00001.atla"}, w.Check.Missing)
}

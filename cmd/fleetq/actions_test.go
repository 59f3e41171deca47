package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store/storetest"
)

// The action tests drive the real binary against real temporary bbolt
// files; the concurrency test runs eight real processes at once.

var fleetqBin string

func TestMain(m *testing.M) {
	if path := os.Getenv("FLEETQ_TEST_HOLD_LOCK"); path != "" {
		os.Exit(holdLock(path)) // a lock holder for interrupt_test.go, not a test run
	}
	dir, err := os.MkdirTemp("", "fleetq-actions-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fleetqBin = filepath.Join(dir, "fleetq")
	if out, err := exec.Command("go", "build", "-o", fleetqBin, "github.com/fleetq/fleetq/cmd/fleetq").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// actionPolicy is the scenario policy of docs/actions.md: 6% for dense clusters, 5%
// with a floor of 1 for small ones, one host at a time for critical.
// There is no rack limit, and the fixture's inventory has no replica
// groups, so the cluster arithmetic alone decides.
var actionPolicy = scenarioPolicy(`
unavailable = 'lifecycle in ("dead", "repair")'
max_request = 500
health = 'responsive'

`)

// scenarioPolicy is head, a test's own top-level keys, then the
// scenario's archetypes that the tests of every package share.
func scenarioPolicy(head string) string {
	b, err := os.ReadFile("../../internal/policy/testdata/policy.toml")
	if err != nil {
		panic(err)
	}
	return head + string(b)
}

type actionFixture struct {
	t      *testing.T
	dir    string
	db     string
	policy string
	base   time.Time // when the first pass was made: fresh evidence
}

// newActionFixture ingests a fleet: smf1-dense-02 with 412 hosts (9 dead,
// 8 in repair), ams1-zk-01 with 10, smf1-critical-01 with 30; every
// active host is in the host list `responsive`.
func newActionFixture(t *testing.T) *actionFixture {
	return newActionFixtureAt(t, time.Now().UTC().Add(-30*time.Minute).Truncate(time.Second))
}

// newActionFixtureAt is newActionFixture with its first pass made at base.
func newActionFixtureAt(t *testing.T, base time.Time) *actionFixture {
	f := &actionFixture{t: t, dir: t.TempDir(), base: base}
	f.db = filepath.Join(f.dir, "fleetq.db")
	f.policy = filepath.Join(f.dir, "policy.toml")
	require.NoError(t, os.WriteFile(f.policy, []byte(actionPolicy), 0o644))
	f.ingest(f.base, nil)
	t.Cleanup(func() { storetest.MustCheck(t, f.db) })
	return f
}

// ingest writes the fixture inventory (with lifecycle overrides) as a pass
// made at at; the zero time is the clock.
func (f *actionFixture) ingest(at time.Time, override map[string]string) {
	var inv, resp strings.Builder
	inv.WriteString("host,cluster,rack,lifecycle\n")
	add := func(cluster, host string, i, perRack int, life string) {
		if o, ok := override[host]; ok {
			life = o
		}
		fmt.Fprintf(&inv, "%s,%s,%s-r%02d,%s\n", host, cluster, cluster, i/perRack, life)
		if life == "active" {
			resp.WriteString(host + "\n")
		}
	}
	for i := 0; i < 412; i++ {
		life := "active"
		switch {
		case i%40 == 3 && i < 360:
			life = "dead" // 9
		case i%40 == 23 && i < 320:
			life = "repair" // 8
		}
		add("smf1-dense-02", fmt.Sprintf("dn%04d.smf1", i), i, 20, life)
	}
	for i := 0; i < 10; i++ {
		add("ams1-zk-01", fmt.Sprintf("zk%02d.ams1", i), i, 5, "active")
	}
	for i := 0; i < 30; i++ {
		add("smf1-critical-01", fmt.Sprintf("db%02d.smf1", i), i, 10, "active")
	}
	invPath, respPath := filepath.Join(f.dir, "inventory.csv"), filepath.Join(f.dir, "responsive")
	require.NoError(f.t, os.WriteFile(invPath, []byte(inv.String()), 0o644))
	require.NoError(f.t, os.WriteFile(respPath, []byte(resp.String()), 0o644))
	args := []string{"ingest", invPath, "hosts:" + respPath}
	if !at.IsZero() {
		args = append(args, "--at", at.Format(time.RFC3339))
	}
	f.ok(args...)
}

// at is the time d after the fixture's first pass, as RFC 3339.
func (f *actionFixture) at(d time.Duration) string { return f.base.Add(d).Format(time.RFC3339) }

// runCmd runs a prepared command of the built binary and returns its
// stdout, stderr and exit code (a failure to start fails the test).
func runCmd(t *testing.T, cmd *exec.Cmd) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return out.String(), errOut.String(), code
}

// run runs the binary and returns stdout, stderr and the exit code.
func (f *actionFixture) run(args ...string) (string, string, int) {
	cmd := exec.Command(fleetqBin, args...)
	cmd.Env = append(os.Environ(), "FLEETQ_DB="+f.db, "FLEETQ_POLICY="+f.policy)
	return runCmd(f.t, cmd)
}

func (f *actionFixture) ok(args ...string) string {
	f.t.Helper()
	out, errOut, code := f.run(args...)
	require.Equal(f.t, 0, code, "fleetq %v\nstdout: %s\nstderr: %s", args, out, errOut)
	return out
}

type decisionJSON struct {
	Approved []string `json:"approved"`
	Denied   []struct{ Host, Rule, Detail string }
	Clusters []struct {
		Cluster                                 string
		Headroom, Unavailable, Leased, Approved int
	}
	Refused   string `json:"refused"`
	Token     string `json:"token"`
	Committed bool   `json:"committed"`
	Audit     int64  `json:"audit"`
	Seed      uint64 `json:"seed"`
}

func (f *actionFixture) decide(args ...string) decisionJSON {
	f.t.Helper()
	var d decisionJSON
	require.NoError(f.t, json.Unmarshal([]byte(f.ok(append(args, "--format", "json")...)), &d))
	return d
}

type leaseJSON struct {
	Host, Verb, State, Requester, Ghost string
}

func (f *actionFixture) leases(args ...string) []leaseJSON {
	var ls []leaseJSON
	require.NoError(f.t, json.Unmarshal([]byte(f.ok(append([]string{"leases", "--format", "json"}, args...)...)), &ls))
	return ls
}

const dense = `cluster = "smf1-dense-02"`

func TestDrainScenario412(t *testing.T) {
	f := newActionFixture(t)
	before, err := os.ReadFile(f.db)
	require.NoError(t, err)
	dry := f.decide("drain", dense, "--reason", "disk swap", "--seed", "42")
	assert.Len(t, dry.Approved, 7, "6%% of 412 = 24, 17 unavailable: headroom 7")
	assert.Len(t, dry.Denied, 412-7)
	assert.NotEmpty(t, dry.Token)
	assert.Empty(t, f.leases(), "a dry run grants nothing")
	after, _ := os.ReadFile(f.db)
	assert.NotEqual(t, before, after, "the audit log did change")

	committed := f.decide("drain", dense, "--reason", "disk swap", "--seed", "42", "--commit", "--yes")
	assert.Equal(t, dry.Approved, committed.Approved, "same seed, same ledger: same hosts")
	ls := f.leases()
	require.Len(t, ls, 7)
	assert.Equal(t, "drain", ls[0].Verb)

	out := f.ok("drain", dense, "--reason", "more", "--commit", "--yes", "--as", "cron")
	assert.Contains(t, out, "smf1-dense-02 (dense): 6% of 412 = 24 (floor 1, ceiling 200); unavailable 24 = dead 9 + repair 8 + leased 7; headroom 0")
	assert.Contains(t, out, "approved 0:")
	assert.Contains(t, out, "nothing approved: do nothing now")
	assert.Contains(t, out, "budget:cluster")
	assert.Contains(t, out, "invariant:one-operation")
	assert.Len(t, f.leases(), 7)
}

func TestSmallClusterFloorAndCriticalException(t *testing.T) {
	f := newActionFixture(t)
	d := f.decide("reboot", `cluster = "ams1-zk-01"`, "--reason", "kernel")
	assert.Len(t, d.Approved, 1, "5% of 10 = 0, raised to the floor 1")
	d = f.decide("reboot", `cluster = "smf1-critical-01"`, "--reason", "kernel")
	assert.Len(t, d.Approved, 1)
}

// TestConcurrentCommitsNeverExceedBudget starts eight real processes that
// each commit a drain of 3 hosts of a cluster with a headroom of 7.
func TestConcurrentCommitsNeverExceedBudget(t *testing.T) {
	f := newActionFixture(t)
	var wg sync.WaitGroup
	results := make([]decisionJSON, 8)
	errs := make([]string, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, errOut, code := f.run("drain", dense+` & lifecycle = "active" | sample 3`, "--reason", "parallel",
				"--commit", "--yes", "--seed", fmt.Sprint(i+1), "--as", fmt.Sprintf("op%d", i), "--format", "json", "--timeout", "60s")
			if code != 0 {
				errs[i] = fmt.Sprintf("exit %d: %s", code, errOut)
				return
			}
			errs[i] = jsonErr(json.Unmarshal([]byte(out), &results[i]))
		}()
	}
	wg.Wait()
	total := 0
	seen := map[string]bool{}
	for i, r := range results {
		require.Empty(t, errs[i], "process %d", i)
		assert.True(t, r.Committed)
		total += len(r.Approved)
		for _, h := range r.Approved {
			require.False(t, seen[h], "%s approved twice", h)
			seen[h] = true
		}
	}
	assert.Equal(t, 7, total, "together the eight committers take exactly the headroom")
	assert.Len(t, f.leases(), 7)
}

func jsonErr(err error) string {
	if err != nil {
		return err.Error()
	}
	return ""
}

// --commit grants leases: off a terminal it needs --yes, and without it
// nothing is decided, leased or audited (STYLE: exact y on a terminal,
// --yes in scripts, never hang on a closed stdin).
func TestCommitOffATerminalNeedsYes(t *testing.T) {
	f := newActionFixture(t)
	before := f.ok("audit")
	_, stderr, code := f.run("drain", dense, "--reason", "x", "--commit")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "scripts add --yes")
	assert.Empty(t, f.leases())
	assert.Equal(t, before, f.ok("audit"), "nothing audited")
}

func TestEmptySelectionAndMaxRequest(t *testing.T) {
	f := newActionFixture(t)
	out := f.ok("drain", dense+` & lifecycle = "provisioning"`, "--reason", "x", "--commit", "--yes")
	assert.Contains(t, out, "empty selection: nothing to do")
	assert.Contains(t, out, "approved 0:")

	require.NoError(t, os.WriteFile(f.policy, []byte(strings.Replace(actionPolicy, "max_request = 500", "max_request = 100", 1)), 0o644))
	stdout, stderr, code := f.run("drain", "all", "--reason", "oops", "--commit", "--yes")
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "REFUSED")
	assert.Contains(t, stderr, "fleetq: refused: 452 hosts selected, more than max_request 100")
	assert.Empty(t, f.leases())
	assert.Contains(t, f.ok("audit"), "REFUSED")

	_, stderr, code = f.run("drain", dense)
	assert.Equal(t, 2, code, "--reason is required")
	assert.Contains(t, stderr, "--reason is required")
}

func TestApplyTokenCommitsExactlyThePlan(t *testing.T) {
	f := newActionFixture(t)
	plan := f.decide("drain", dense, "--reason", "plan", "--seed", "9")
	applied := f.decide("apply", plan.Token)
	assert.Equal(t, plan.Approved, applied.Approved)
	assert.True(t, applied.Committed)
	assert.Len(t, f.leases(), 7)

	_, stderr, code := f.run("apply", plan.Token)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "already applied (audit 2)")

	plan2 := f.decide("reboot", `cluster = "ams1-zk-01"`, "--reason", "k")
	f.ok("reboot", `cluster = "smf1-critical-01"`, "--reason", "k", "--commit", "--yes")
	_, stderr, code = f.run("apply", plan2.Token)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "the ledger changed since the plan")

	_, stderr, code = f.run("apply", "a1.p1.l0.deadbeef.s1")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "bad plan token")
}

func TestFreezeIncidentAndForce(t *testing.T) {
	f := newActionFixture(t)
	f.ok("freeze", "smf1-dense-02", "--reason", "HDFS upgrade", "--until", "8h")
	out := f.ok("drain", dense, "--reason", "x")
	assert.Contains(t, out, "invariant:freeze")
	assert.Contains(t, out, "permanent")
	assert.Contains(t, out, "approved 0:")
	forced := f.decide("drain", dense, "--reason", "urgent", "--force", "--commit", "--yes")
	assert.Len(t, forced.Approved, 7, "forced, within the budget")
	assert.Contains(t, f.ok("audit"), "FORCED")
	_, stderr, code := f.run("freeze", "smf1-dnse-02", "--reason", "typo")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `no cluster "smf1-dnse-02"`)
	f.ok("unfreeze", "smf1-dense-02")

	f.ok("incident", "start", "--reason", "INC-1")
	assert.Contains(t, f.ok("incident", "status"), "INCIDENT MODE")
	d := f.decide("reboot", `cluster = "ams1-zk-01"`, "--reason", "k")
	assert.Empty(t, d.Approved)
	assert.Equal(t, "invariant:incident", d.Denied[0].Rule)
	f.ok("incident", "stop")
	assert.Len(t, f.decide("reboot", `cluster = "ams1-zk-01"`, "--reason", "k").Approved, 1)
}

func TestReleaseNeedsHealthAndGhostsReleaseSafely(t *testing.T) {
	f := newActionFixture(t)
	d := f.decide("rekick", `"dn0003.smf1,dn0043.smf1"`, "--reason", "x")
	assert.Empty(t, d.Approved, "no hdfs source: nothing shows HDFS let them go")
	assert.Equal(t, "invariant:unserved", d.Denied[0].Rule)

	c := f.decide("drain", `"dn0003.smf1,dn0005.smf1"`, "--reason", "dead one and a live one", "--commit", "--yes")
	require.Len(t, c.Approved, 2)
	out, stderr, code := f.run("release", "dn0003.smf1", "dn0005.smf1")
	assert.Equal(t, 1, code, "no pass since the drain: health is not known yet")
	assert.Contains(t, stderr, "2 of 2 leases kept")
	assert.Contains(t, out, "not yet: no evidence since the lease was granted")
	require.Len(t, f.leases(), 2)

	f.ingest(time.Time{}, nil) // a pass sealed after the leases
	_, stderr, code = f.run("release", "dn0003.smf1", "dn0005.smf1")
	assert.Equal(t, 1, code, "dn0003 is dead: not healthy")
	assert.Contains(t, stderr, "1 of 2 leases kept")
	ls := f.leases()
	require.Len(t, ls, 1)
	assert.Equal(t, "dn0003.smf1", ls[0].Host)

	f.ingest(time.Time{}, map[string]string{"dn0003.smf1": "decommissioned"})
	ls = f.leases()
	require.Len(t, ls, 1)
	assert.Equal(t, "ghost", ls[0].State)
	assert.Contains(t, ls[0].Ghost, "decommissioned")
	assert.Contains(t, f.ok("release", "--ghosts"), "safe to release")
	assert.Empty(t, f.leases())
}

// TestStuckLeasesKeepTheirBudget: a lease that expired while its host is
// not back in the health set on a newer pass still counts as out, so the
// budget is not freed by the clock alone (docs/actions.md, "What no input can make fleetq do").
func TestStuckLeasesKeepTheirBudget(t *testing.T) {
	f := newActionFixture(t)
	require.NoError(t, os.WriteFile(f.policy, []byte(actionPolicy+"\n[verb.reboot]\nlease = \"1h\"\n"), 0o644))
	first := f.decide("reboot", `cluster = "smf1-critical-01"`, "--reason", "kernel", "--commit", "--yes")
	require.Len(t, first.Approved, 1, "max = 1")

	// 90 minutes on, the lease has expired but no pass shows the host back.
	ls := f.leases("--what-if", "90m")
	require.Len(t, ls, 1)
	assert.Equal(t, "stuck", ls[0].State)
	out := f.ok("reboot", `cluster = "smf1-critical-01"`, "--reason", "kernel", "--what-if", "90m")
	assert.Contains(t, out, "unavailable 1 = stuck 1; headroom 0")
	assert.Contains(t, out, "approved 0:")
	assert.Contains(t, out, "WHAT-IF at")
	assert.NotContains(t, out, "plan token")

	// A what-if writes nothing and cannot commit.
	_, stderr, code := f.run("reboot", `cluster = "smf1-critical-01"`, "--reason", "k", "--what-if", "90m", "--commit", "--yes")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--what-if is for dry runs")

	// A pass sealed after the lease with the host healthy frees it.
	f.ingest(time.Time{}, nil)
	assert.Empty(t, f.leases("--what-if", "90m"), "recovered: no longer listed")
	assert.Equal(t, "expired", f.leases("--what-if", "90m", "--all")[0].State)
	d := f.decide("reboot", `cluster = "smf1-critical-01"`, "--reason", "kernel", "--what-if", "90m")
	assert.Len(t, d.Approved, 1, "the recovered host's budget is back")

	// The same host dead on the newer pass: stuck again, until forced.
	f.ingest(time.Time{}, map[string]string{first.Approved[0]: "repair"})
	assert.Equal(t, "stuck", f.leases("--what-if", "90m")[0].State)
	out, _, code = f.run("release", first.Approved[0])
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "not back in the health set")
	assert.Contains(t, f.ok("release", first.Approved[0], "--force", "--reason", "RMA 4411"), "FORCED")
	assert.Empty(t, f.leases("--what-if", "90m", "--all"))
}

// TestNoHiddenClock: no flag moves the clock of a decision that writes;
// --what-if only reads (docs/actions.md, "What no input can make fleetq do").
func TestNoHiddenClock(t *testing.T) {
	f := newActionFixture(t)
	_, stderr, code := f.run("drain", dense, "--reason", "x", "--now", "2099-01-01T00:00:00Z", "--commit", "--yes")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "unknown flag: --now")
	before, err := os.ReadFile(f.db)
	require.NoError(t, err)
	f.ok("drain", dense, "--reason", "x", "--what-if", "2h")
	after, err := os.ReadFile(f.db)
	require.NoError(t, err)
	assert.Equal(t, before, after, "a what-if decision leaves the database byte-identical")
	_, stderr, code = f.run("ingest", "--at", "2099-01-01T00:00:00Z", filepath.Join(f.dir, "inventory.csv"))
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "after the clock")
}

// TestStaleEvidenceRefuses: a pass older than max_evidence_age, or a
// carried source the unavailable expression reads, refuses every host
// until fresh sources are read or --force --reason (docs/actions.md, "What no input can make fleetq do").
func TestStaleEvidenceRefuses(t *testing.T) {
	f := newActionFixture(t)
	f.ingest(time.Now().UTC().Add(-3*time.Hour), nil) // the newest pass is 3h old
	d := f.decide("drain", dense, "--reason", "x")
	assert.Empty(t, d.Approved)
	require.NotEmpty(t, d.Denied)
	assert.Equal(t, "invariant:stale-evidence", d.Denied[0].Rule)
	assert.Contains(t, d.Denied[0].Detail, "pass 2 is 3h00m old, max 2h00m")
	forced := f.ok("drain", dense, "--reason", "INC-9 drain now", "--force")
	assert.Contains(t, forced, "FORCED past stale evidence: pass 2 is 3h00m old")
	assert.Contains(t, forced, "FORCED (INC-9 drain now)")

	// HDFS read 11 days ago and carried: the unavailable count reads
	// hdfs.state, so a drain refuses naming the source.
	g := newActionFixture(t)
	hdfs := filepath.Join(g.dir, "report.txt")
	require.NoError(t, os.WriteFile(hdfs, []byte(smallHDFSReport), 0o644))
	g.ok("ingest", "--at", time.Now().UTC().Add(-11*24*time.Hour).Format(time.RFC3339), "hdfs:"+hdfs)
	g.ingest(time.Time{}, nil) // fresh inventory; hdfs carried
	d = g.decide("drain", dense, "--reason", "x")
	assert.Empty(t, d.Approved)
	assert.Equal(t, "invariant:stale-evidence", d.Denied[0].Rule)
	assert.Contains(t, d.Denied[0].Detail, "hdfs:hdfs (read by unavailable) is 11d0h old, max 2h00m")
}

// smallHDFSReport is the shape of `hdfs dfsadmin -report` (see
// internal/ingest/testdata/fixtures/hdfs) for two datanodes of the fixture.
const smallHDFSReport = `Configured Capacity: 1000 (1000 B)
Present Capacity: 1000 (1000 B)
DFS Remaining: 500 (500 B)
DFS Used: 500 (500 B)
DFS Used%: 50.00%

-------------------------------------------------
Live datanodes (2):

Name: 10.0.0.1:9866 (dn0001.smf1)
Hostname: dn0001.smf1
Decommission Status : Normal
Configured Capacity: 500 (500 B)
DFS Used: 250 (250 B)
DFS Used%: 50.00%
Last contact: Thu Aug 20 08:59:55 UTC 2026

Name: 10.0.0.2:9866 (dn0002.smf1)
Hostname: dn0002.smf1
Decommission Status : Normal
Configured Capacity: 500 (500 B)
DFS Used: 250 (250 B)
DFS Used%: 50.00%
Last contact: Thu Aug 20 08:59:55 UTC 2026

`

func TestAuditReplayMatches(t *testing.T) {
	f := newActionFixture(t)
	f.ok("drain", dense, "--reason", "x", "--commit", "--yes", "--seed", "5")
	d := f.decide("drain", dense+` & lifecycle = "active" | sample 20`, "--reason", "y")
	out := f.ok("audit", "replay", fmt.Sprint(d.Audit))
	assert.Contains(t, out, "match: the decision comes out the same")
	assert.Contains(t, out, "leased 7")
	var entries []map[string]any
	require.NoError(t, json.Unmarshal([]byte(f.ok("audit", "--format", "json")), &entries))
	require.Len(t, entries, 2)
	assert.Equal(t, "drain", entries[0]["verb"])
	assert.Len(t, entries[0]["approved"], 7)
	assert.Contains(t, f.ok("audit", "show", "1"), "approved 7:")
}

func TestActionCommandsHaveHelp(t *testing.T) {
	f := newActionFixture(t)
	for _, c := range [][]string{{"drain"}, {"undrain"}, {"reboot"}, {"rekick"}, {"burnin"}, {"firmware"}, {"apply"},
		{"leases"}, {"release"}, {"freeze"}, {"freezes"}, {"unfreeze"}, {"incident"}, {"audit"}, {"audit", "replay"}, {"audit", "show"}, {"audit", "verify"},
		{"plan", "rollout"}, {"check", "wave"}} {
		out := f.ok(append(c, "--help")...)
		assert.Contains(t, out, "Examples:", c)
		assert.Contains(t, out, "Exit status:", c)
	}
}

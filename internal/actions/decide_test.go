package actions

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
)

// The scenario of docs/actions.md: 412 hosts at 6% is a cap of 24; 17 unavailable
// leave a headroom of 7, so exactly 7 are approved; the next request
// approves nothing, exits cleanly and explains the arithmetic by cause.
func TestScenario412(t *testing.T) {
	f := buildFleet(clusterSpec{name: "smf1-dense-02", n: 412, perRack: 20, dead: 9, repair: 8})
	pol := mustPolicy(t, testPolicy)
	req := Request{Verb: "drain", Expr: `cluster = "smf1-dense-02"`, Reason: "disks", Seed: 42}
	d := decide(t, f.Snapshot(), pol, nil, req)
	require.Len(t, d.Approved, 7)
	require.Len(t, d.Denied, 412-7)
	require.Len(t, d.Clusters, 1)
	c := d.Clusters[0]
	assert.Equal(t, "smf1-dense-02 (dense): 6% of 412 = 24 (floor 1, ceiling 200); unavailable 17 = dead 9 + repair 8; headroom 7", c.String())
	assert.Equal(t, 7, c.Approved)
	assert.Equal(t, []RuleCount{{Rule: RuleCluster, Hosts: 405, Transient: true}}, d.Rules)
	assert.Empty(t, d.Blocked())

	l := leaseAll(&store.Ledger{}, d)
	req.Now = t0.Add(time.Minute)
	next := decide(t, f.Snapshot(), pol, l, req)
	assert.Empty(t, next.Approved)
	assert.Equal(t, "smf1-dense-02 (dense): 6% of 412 = 24 (floor 1, ceiling 200); unavailable 24 = dead 9 + repair 8 + leased 7; headroom 0", next.Clusters[0].String())
	assert.Equal(t, "transient", next.Blocked())
	for _, x := range next.Denied {
		if x.Rule == RuleCluster {
			assert.Contains(t, x.Detail, "retry after the oldest lease expires at 2026-11-21T12:00:00Z")
			break
		}
	}
	assert.Equal(t, 7, next.Rules[1].Hosts, "the leased hosts: one operation per host")
	assert.Equal(t, RuleOneOperation, next.Rules[1].Rule)
}

func TestSmallClusterGetsTheFloor(t *testing.T) {
	f := buildFleet(clusterSpec{name: "atla-zk-01", n: 10, perRack: 5})
	d := decide(t, f.Snapshot(), mustPolicy(t, testPolicy), nil, Request{Verb: "reboot", Expr: "all", Seed: 1})
	assert.Len(t, d.Approved, 1)
	assert.Equal(t, "atla-zk-01 (small): 5% of 10 = 0 → 1 (floor 1, ceiling 5); unavailable 0 = none; headroom 1", d.Clusters[0].String())
}

func TestEmptySelectionApprovesNothing(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-01", n: 10})
	d := decide(t, f.Snapshot(), mustPolicy(t, testPolicy), nil, Request{Verb: "drain", Expr: `cluster = "c-01" & lifecycle = "dead"`})
	assert.Equal(t, 0, d.Requested)
	assert.Empty(t, d.Approved)
	assert.Empty(t, d.Denied)
	assert.Empty(t, d.Refused)
	assert.Contains(t, d.Notes[0], "empty selection")
}

func TestOverMaxRequestRefusedFirst(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-01", n: 20})
	pol := mustPolicy(t, "max_request = 10\nunavailable = 'no_such_attr = 1'\n[[archetype]]\nname = \"d\"\nany = { pct = 50 }\n")
	d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: "all"})
	assert.Contains(t, d.Refused, "20 hosts selected, more than max_request 10")
	assert.Empty(t, d.Approved)
	assert.Empty(t, d.Clusters, "no policy ran: not even the broken unavailable expression")
}

func TestFreezeAndIncident(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-01", n: 100}, clusterSpec{name: "c-02", n: 100})
	pol := mustPolicy(t, testPolicy)
	frozen := &store.Ledger{Freezes: []store.Freeze{{Scope: "c-01", Reason: "release", Requester: "rel", Start: t0}}}
	d := decide(t, f.Snapshot(), pol, frozen, Request{Verb: "drain", Expr: "all", Seed: 3})
	assert.Len(t, d.Approved, 3, "c-02 only")
	for _, h := range d.Approved {
		assert.Contains(t, h, "c-02")
	}
	assert.Equal(t, "release", d.Clusters[0].Frozen)
	assert.Equal(t, 100, countRule(d, RuleFreeze))

	forced := decide(t, f.Snapshot(), pol, frozen, Request{Verb: "drain", Expr: `cluster = "c-01"`, Seed: 3, Force: true, Reason: "urgent fix"})
	assert.Len(t, forced.Approved, 3, "forced, but within the budget")
	assert.True(t, forced.Forced)
	assert.True(t, forced.Leases()[0].Forced)
	assert.Equal(t, t0.Add(pol.ForceLease), forced.Leases()[0].Expiry, "a forced lease expires sooner")

	expired := &store.Ledger{Freezes: []store.Freeze{{Scope: "all", Until: t0.Add(-time.Hour)}}}
	assert.Len(t, decide(t, f.Snapshot(), pol, expired, Request{Verb: "drain", Expr: "all"}).Approved, 6)

	inc := &store.Ledger{Incident: &store.Incident{Reason: "outage", Start: t0}}
	d = decide(t, f.Snapshot(), pol, inc, Request{Verb: "reboot", Expr: "all"})
	assert.Empty(t, d.Approved)
	assert.Equal(t, "permanent", d.Blocked())
	_, err := Decide(Input{Snap: f.Snapshot(), Policy: pol, Ledger: inc}, Request{Verb: "reboot", Expr: "all", Force: true})
	assert.ErrorIs(t, err, ErrNeedReason)
}

func TestRekickNeedsControlPlanes(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-01", n: 100})
	pol := mustPolicy(t, testPolicy)
	d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "rekick", Expr: "all"})
	assert.Empty(t, d.Approved)
	assert.Equal(t, 100, countRule(d, RuleUnserved))
	assert.Contains(t, d.Denied[0].Detail, "no hdfs source")

	p := f.Newest()
	p.AddSet("hdfs", "c-01-h0000", "c-01-h0001", "c-01-h0002").SetString("hdfs.state", map[string]string{
		"c-01-h0000": "decommissioned", "c-01-h0001": "in_service", "c-01-h0002": "dead"})
	p.AddSet("yarn", "c-01-h0000", "c-01-h0003").SetString("yarn.state", map[string]string{"c-01-h0000": "lost", "c-01-h0003": "running"})
	d = decide(t, f.Snapshot(), pol, nil, Request{Verb: "rekick", Expr: `"c-01-h[0000-0004]"`})
	// h0000 (decommissioned, lost) and h0004 (in neither) are free; h0000
	// and h0002 count as unavailable (HDFS decommissioned, dead), so the
	// headroom is 3 - 2 = 1.
	require.Len(t, d.Approved, 1)
	assert.Contains(t, []string{"c-01-h0000", "c-01-h0004"}, d.Approved[0])
	assert.Equal(t, 3, countRule(d, RuleUnserved))
	assert.Equal(t, 1, countRule(d, RuleCluster))
	assert.Equal(t, "c-01 (default): 3% of 100 = 3 (floor 1, ceiling 100); unavailable 2 = hdfs decommissioned 1 + hdfs dead 1; headroom 1", d.Clusters[0].String())
}

func countRule(d *Decision, rule string) int {
	for _, r := range d.Rules {
		if r.Rule == rule {
			return r.Hosts
		}
	}
	return 0
}

func TestSeededAndRecorded(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-dense-01", n: 400, perRack: 20})
	pol := mustPolicy(t, testPolicy)
	a := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: "all", Seed: 7})
	b := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: "all", Seed: 7})
	c := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: "all", Seed: 8})
	assert.Equal(t, a.Approved, b.Approved)
	assert.NotEqual(t, a.Approved, c.Approved)
	assert.Equal(t, uint64(7), a.Seed)
}

func TestCriticalExceptionAndNoBudget(t *testing.T) {
	f := buildFleet(clusterSpec{name: "smf1-critical-01", n: 60})
	d := decide(t, f.Snapshot(), mustPolicy(t, testPolicy), nil, Request{Verb: "drain", Expr: "all"})
	assert.Len(t, d.Approved, 1)
	assert.Equal(t, "smf1-critical-01 (default, exception): max 1; unavailable 0 = none; headroom 1", d.Clusters[0].String())

	pol := mustPolicy(t, "[[archetype]]\nname = \"d\"\ndrain = { pct = 50 }\n")
	d = decide(t, f.Snapshot(), pol, nil, Request{Verb: "reboot", Expr: "all"})
	assert.Empty(t, d.Approved)
	assert.Equal(t, 60, countRule(d, RuleNoBudget))
	assert.Equal(t, "permanent", d.Blocked())
	undrain := decide(t, f.Snapshot(), pol, nil, Request{Verb: "undrain", Expr: "all"})
	assert.Len(t, undrain.Approved, 60, "undrain returns capacity: not budgeted")
}

func TestRackAndReplicaGroupLimits(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-dense-01", n: 400, perRack: 20, groups: 3, dead: 2})
	pol := mustPolicy(t, `
unavailable = 'lifecycle = "dead"'
max_replica_groups = 1
[[archetype]]
name = "d"
any = { pct = 10 }
[limits]
per_rack = 2
`)
	d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: `lifecycle = "active"`, Seed: 5})
	require.NotEmpty(t, d.Approved)
	groups, racks := map[string]bool{}, map[string]int{}
	for _, h := range d.Approved {
		var i int
		_, _ = sscanHost(h, &i)
		racks[fmtRack(i)]++
		groups[fmtGroup(i)] = true
	}
	assert.Len(t, groups, 1, "K=1: one replica group")
	for r, n := range racks {
		assert.LessOrEqual(t, n, 2, r)
	}
	assert.Positive(t, countRule(d, RuleReplicaGroups))
	assert.Positive(t, countRule(d, RuleRack))
}

func TestRateAndCooldown(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-01", n: 400})
	pol := mustPolicy(t, testPolicy+"\n[verb.reboot]\nrate = \"5/1h\"\ncooldown = \"2h\"\nlease = \"10m\"\n")
	req := Request{Verb: "reboot", Expr: "all", Seed: 1}
	d := decide(t, f.Snapshot(), pol, nil, req)
	assert.Len(t, d.Approved, 5, "rate 5/1h binds before the 12-host budget")
	assert.Equal(t, 395, countRule(d, RuleRate))
	l := leaseAll(&store.Ledger{}, d)
	req.Now = t0.Add(30 * time.Minute) // the leases expired (the hosts are stuck), the window has not
	assert.Empty(t, decide(t, f.Snapshot(), pol, l, req).Approved)
	l.Leases = nil // released once healthy: the cooldown starts at the lease's end
	l.LastOp = map[string]time.Time{d.Approved[0]: t0.Add(10 * time.Minute)}
	req.Now, req.Expr = t0.Add(90*time.Minute), `"`+d.Approved[0]+`"`
	c := decide(t, f.Snapshot(), pol, l, req)
	assert.Equal(t, RuleCooldown, c.Denied[0].Rule)
	assert.Contains(t, c.Denied[0].Detail, "cooldown 2h0m0s until 2026-11-20T14:10:00Z")
}

// TestStaleEvidenceInvariant: a pass older than max_evidence_age refuses
// every host; --force with a reason goes past it, recorded.
func TestStaleEvidenceInvariant(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-01", n: 100})
	pol := mustPolicy(t, testPolicy)
	req := Request{Verb: "drain", Expr: "all", Seed: 1, Now: fleetCreated.Add(3 * time.Hour)}
	d := decide(t, f.Snapshot(), pol, nil, req)
	assert.Empty(t, d.Approved)
	assert.Equal(t, 100, countRule(d, RuleStaleEvidence))
	assert.Contains(t, d.Denied[0].Detail, "pass 1 is 3h00m old, max 2h00m")
	require.NotEmpty(t, d.Evidence)
	assert.True(t, d.Evidence[0].Stale)
	assert.Equal(t, int64(3*3600), d.Evidence[0].AgeSec)

	req.Force, req.Reason = true, "INC-7"
	forced := decide(t, f.Snapshot(), pol, nil, req)
	assert.Len(t, forced.Approved, 3, "forced, still within the budget (3% of 100)")
	assert.Contains(t, forced.ForcedStale, "pass 1 is 3h00m old")
	for _, l := range forced.Leases() {
		assert.True(t, l.Forced)
	}

	req.Force, req.Now = false, fleetCreated.Add(2*time.Hour)
	assert.Len(t, decide(t, f.Snapshot(), pol, nil, req).Approved, 3, "exactly max_evidence_age old is still evidence")
}

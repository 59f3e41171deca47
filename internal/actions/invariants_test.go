package actions

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
)

var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func TestOneOperation(t *testing.T) {
	_, bad := oneOperation(&hostFacts{})
	assert.False(t, bad)
	d, bad := oneOperation(&hostFacts{lease: &store.Lease{Verb: "reboot", Requester: "ana", Expiry: t0, Audit: 4}})
	assert.True(t, bad)
	assert.Equal(t, "already held for reboot by ana until 2026-11-20T12:00:00Z (audit 4)", d)
}

func TestIncidentAndFreeze(t *testing.T) {
	_, bad := incidentMode(&hostFacts{})
	assert.False(t, bad)
	d, bad := incidentMode(&hostFacts{incident: &store.Incident{Reason: "outage", Requester: "oncall", Start: t0}})
	assert.True(t, bad)
	assert.Contains(t, d, "incident mode since 2026-11-20T12:00:00Z (oncall: outage)")
	_, bad = frozen(&hostFacts{})
	assert.False(t, bad)
	d, _ = frozen(&hostFacts{freeze: &store.Freeze{Scope: "all", Requester: "rel", Reason: "holiday"}})
	assert.Equal(t, "all frozen by rel until unfrozen: holiday; --force --reason to override", d)
	d, _ = frozen(&hostFacts{freeze: &store.Freeze{Scope: "c1", Requester: "rel", Reason: "x", Until: t0}})
	assert.Contains(t, d, "c1 frozen by rel until 2026-11-20T12:00:00Z")
}

// TestUnservedExhaustive tries every verb against every combination of
// what HDFS and YARN may say about a host.
func TestUnservedExhaustive(t *testing.T) {
	hdfsStates := []string{"", "in_service", "decommissioning", "decommissioned", "dead", "entering_maintenance", "in_maintenance"}
	yarnStates := []string{"", "new", "running", "unhealthy", "decommissioning", "decommissioned", "lost", "shutdown", "rebooted"}
	type obs struct{ observed, seen bool }
	views := []obs{{false, false}, {true, false}, {true, true}}
	released := func(plane string, o obs, state string) bool {
		if !o.observed {
			return false
		}
		if !o.seen {
			return true
		}
		if plane == "hdfs" {
			return state == "decommissioned"
		}
		return state == "decommissioned" || state == "lost" || state == "shutdown"
	}
	n := 0
	for _, verb := range []string{"drain", "undrain", "reboot", "rekick", "burnin", "firmware"} {
		for _, ho := range views {
			for _, hs := range hdfsStates {
				for _, yo := range views {
					for _, ys := range yarnStates {
						f := &hostFacts{verb: verb, planes: []planeFact{
							{name: "hdfs", observed: ho.observed, seen: ho.seen, state: hs},
							{name: "yarn", observed: yo.observed, seen: yo.seen, state: ys},
						}}
						want := (verb == "rekick" || verb == "burnin") && !(released("hdfs", ho, hs) && released("yarn", yo, ys))
						_, got := unserved(f)
						require.Equal(t, want, got, "verb %s hdfs %+v %q yarn %+v %q", verb, ho, hs, yo, ys)
						n++
					}
				}
			}
		}
	}
	assert.Equal(t, 6*3*7*3*9, n)
	d, _ := unserved(&hostFacts{verb: "rekick", planes: []planeFact{{name: "hdfs"}}})
	assert.Contains(t, d, "the pass has no hdfs source")
	d, _ = unserved(&hostFacts{verb: "rekick", planes: []planeFact{{name: "hdfs", observed: true, seen: true, state: "dead"}}})
	assert.Equal(t, "HDFS still serves it (hdfs.state dead); decommission it first", d)
	_, bad := unserved(&hostFacts{verb: "rekick"})
	assert.False(t, bad, "a policy naming no control planes checks none")
}

func TestReplicaGroupsExhaustive(t *testing.T) {
	groups := []string{"", "rg1", "rg2", "rg3"}
	maint := [][]string{nil, {"rg1"}, {"rg2"}, {"rg1", "rg2"}, {"rg1", "rg2", "rg3"}}
	for _, g := range groups {
		for _, m := range maint {
			for k := 1; k <= 3; k++ {
				in := false
				for _, x := range m {
					in = in || x == g
				}
				want := g != "" && !in && len(m) >= k
				_, got := replicaGroups(&hostFacts{group: g, inMaint: m, maxGroup: k})
				assert.Equal(t, want, got, "group %q in maintenance %v K=%d", g, m, k)
			}
		}
	}
	d, _ := replicaGroups(&hostFacts{group: "rg2", inMaint: []string{"rg1"}, maxGroup: 1})
	assert.Equal(t, "replica group rg2: rg1 in maintenance already (leased or approved), max 1 distinct", d)
}

// TestInvariantOrderAndForce tries all 64 combinations of the five
// invariants being violated and --force: the first violated invariant in
// order names the denial, and --force lifts only incident and freeze.
func TestInvariantOrderAndForce(t *testing.T) {
	for mask := 0; mask < 64; mask++ {
		lease, inc, frz, uns, grp, force := mask&1 != 0, mask&2 != 0, mask&4 != 0, mask&8 != 0, mask&16 != 0, mask&32 != 0
		f := &hostFacts{verb: "drain", force: force, maxGroup: 1}
		if lease {
			f.lease = &store.Lease{Verb: "drain"}
		}
		if inc {
			f.incident = &store.Incident{}
		}
		if frz {
			f.freeze = &store.Freeze{Scope: "c"}
		}
		if uns {
			f.verb, f.planes = "rekick", []planeFact{{name: "hdfs"}}
		}
		if grp {
			f.group, f.inMaint = "rg2", []string{"rg1"}
		}
		want := ""
		switch {
		case lease:
			want = RuleOneOperation
		case inc && !force:
			want = RuleIncident
		case frz && !force:
			want = RuleFreeze
		case uns:
			want = RuleUnserved
		case grp:
			want = RuleReplicaGroups
		}
		rule, _, forced := checkInvariants(f)
		name := fmt.Sprintf("lease=%v incident=%v freeze=%v unserved=%v group=%v force=%v", lease, inc, frz, uns, grp, force)
		assert.Equal(t, want, rule, name)
		assert.Equal(t, force && (inc || frz) && !lease, forced, name)
		assert.False(t, Transient(rule), "invariants are permanent blocks")
	}
}

// TestRolloutHalted: only hosts of waves after the halted one are held,
// and --force does not lift the hold.
func TestRolloutHalted(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-01", n: 10})
	r := store.Rollout{ID: 3, Name: "k", State: store.RolloutHalted,
		Waves: []store.RolloutWave{{N: 0, Hosts: []string{"c-01-h0000"}}, {N: 1, Hosts: []string{"c-01-h0001"}}, {N: 2, Hosts: []string{"c-01-h0002"}}},
		Halt:  &store.RolloutHalt{Wave: 1, At: t0, Requester: "ana", Audit: 9}}
	holds := rolloutHolds(f.Snapshot().Hosts(), []store.Rollout{r})
	var ids []uint32
	for _, h := range []string{"c-01-h0000", "c-01-h0001", "c-01-h0002"} {
		ids = append(ids, f.Bitmap(h).Minimum()) // one by one: ids need not follow name order
	}
	assert.Nil(t, holds[ids[0]])
	assert.Nil(t, holds[ids[1]], "the halted wave itself is not held")
	require.NotNil(t, holds[ids[2]])
	rule, d, _ := checkInvariants(&hostFacts{verb: "reboot", force: true, hold: holds[ids[2]], maxGroup: 1})
	assert.Equal(t, RuleRolloutHalted, rule, "--force does not lift a halt")
	assert.Equal(t, "wave 2 of rollout r3 (k), halted at wave 1 by ana at 2026-11-20T12:00:00Z (audit 9); fleetq rollout resume r3 --reason …", d)
	_, bad := rolloutHalted(&hostFacts{})
	assert.False(t, bad)
}

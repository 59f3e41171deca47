package actions

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query/querytest"
)

const gatePolicy = `
[[archetype]]
name = "kafka"
any = { pct = 10, floor = 1 }
[[archetype.gate]]
name = "no-under-replication"
expr = 'count(under_replicated & this) == 0'

[cluster."kafka-c"]
[[cluster."kafka-c".gate]]
name = "no-under-replication"
expr = 'count(under_replicated & this) <= 1'
`

// gateFleet is three 20-host clusters; bad hosts of pass 1 are
// under-replicated.
func gateFleet(bad ...string) *querytest.Fleet {
	f := querytest.NewFleet()
	gatePass(f, 0, bad...)
	return f
}

// gatePass adds a pass sealed m minutes after fleetCreated.
func gatePass(f *querytest.Fleet, m int, bad ...string) {
	cl := map[string]string{}
	for _, c := range []string{"kafka-a", "kafka-b", "kafka-c"} {
		for i := 0; i < 20; i++ {
			cl[fmt.Sprintf("%s-h%04d", c, i)] = c
		}
	}
	f.NewPassAt(fleetCreated.Add(time.Duration(m)*time.Minute)).SetString("cluster", cl).AddSet("under_replicated", bad...)
}

// A failing gate denies every candidate of its cluster, transient, with
// the value it evaluated to; the other clusters get their budget (10% of
// 20 = 2); an exception's gate of the same name replaces the archetype's.
func TestGateDeniesItsWholeCluster(t *testing.T) {
	f := gateFleet("kafka-a-h0003", "kafka-a-h0007", "kafka-a-h0011", "kafka-c-h0001")
	d := decide(t, f.Snapshot(), mustPolicy(t, gatePolicy), nil, Request{Verb: "drain", Expr: "all", Seed: 7})
	var gated, budget int
	for _, x := range d.Denied {
		switch x.Rule {
		case "gate:no-under-replication":
			gated++
			assert.Equal(t, "kafka-a", x.Cluster)
			assert.Equal(t, "count(under_replicated & this) = 3, want == 0", x.Detail)
			assert.True(t, x.Transient)
		case RuleCluster:
			budget++
		default:
			t.Fatalf("unexpected denial %+v", x)
		}
	}
	assert.Equal(t, 20, gated)
	assert.Equal(t, 36, budget)
	require.Len(t, d.Approved, 4)
	for _, h := range d.Approved {
		assert.NotContains(t, h, "kafka-a")
	}
	assert.Contains(t, d.Rules, RuleCount{Rule: "gate:no-under-replication", Hosts: 20, Transient: true})
}

// The gate lifts on the next pass, when the set is empty.
func TestGateLiftsOnTheNextPass(t *testing.T) {
	f := gateFleet("kafka-a-h0003")
	gatePass(f, 5)
	before := decide(t, f.SnapshotAt(1), mustPolicy(t, gatePolicy), nil, Request{Verb: "drain", Expr: `cluster = "kafka-a"`, Seed: 7})
	assert.Empty(t, before.Approved)
	d := decide(t, f.Snapshot(), mustPolicy(t, gatePolicy), nil, Request{Verb: "drain", Expr: `cluster = "kafka-a"`, Seed: 7})
	assert.Len(t, d.Approved, 2)
	for _, x := range d.Denied {
		assert.Equal(t, RuleCluster, x.Rule)
	}
}

// A gate naming a set the pass lacks fails closed: its cluster is denied,
// saying why.
func TestGateThatCannotEvaluateFailsClosed(t *testing.T) {
	f := querytest.NewFleet()
	f.NewPassAt(fleetCreated).SetString("cluster", map[string]string{"k1": "kafka-a", "k2": "kafka-a"})
	d := decide(t, f.Snapshot(), mustPolicy(t, gatePolicy), nil, Request{Verb: "drain", Expr: "all", Seed: 1})
	assert.Empty(t, d.Approved)
	require.Len(t, d.Denied, 2)
	assert.Equal(t, "gate:no-under-replication", d.Denied[0].Rule)
	assert.Contains(t, d.Denied[0].Detail, `cannot be evaluated: 1:7: unknown name: no set "under_replicated"`)
}

// --force lifts freezes, not gates.
func TestForceDoesNotLiftAGate(t *testing.T) {
	f := gateFleet("kafka-a-h0003")
	d := decide(t, f.Snapshot(), mustPolicy(t, gatePolicy), nil, Request{Verb: "drain", Expr: `cluster = "kafka-a"`, Seed: 7, Force: true, Reason: "r"})
	assert.Empty(t, d.Approved)
}

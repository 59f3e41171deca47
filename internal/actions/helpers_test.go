package actions

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query/querytest"
	"github.com/fleetq/fleetq/internal/store"
)

// clusterSpec describes one cluster of a test fleet: n hosts in racks of
// perRack, replica groups assigned per rack (as HDFS rack awareness
// does), the first dead hosts dead and the next repair in repair (spread
// by a stride so they do not share a rack).
type clusterSpec struct {
	name         string
	n, perRack   int
	groups       int
	dead, repair int
}

type fleetAttrs struct {
	cluster, rack, group, life map[string]string
}

func buildFleet(specs ...clusterSpec) *querytest.Fleet {
	a := fleetAttrs{map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}}
	for _, c := range specs {
		addCluster(a, c)
	}
	return fleetOf(a)
}

// fleetOf is a one-pass fleet of the attributes in a.
func fleetOf(a fleetAttrs) *querytest.Fleet {
	f := querytest.NewFleet()
	p := f.NewPassAt(fleetCreated).SetString("cluster", a.cluster).SetString("rack", a.rack).SetString("lifecycle", a.life)
	if len(a.group) > 0 {
		p.SetString("replica_group", a.group)
	}
	return f
}

// fleetCreated is when buildFleet's pass was sealed: ten minutes before
// the tests' clock t0, fresh evidence.
var fleetCreated = t0.Add(-10 * time.Minute)

func addCluster(a fleetAttrs, c clusterSpec) {
	perRack := max(c.perRack, 1)
	for i := 0; i < c.n; i++ {
		h := fmt.Sprintf("%s-h%04d", c.name, i)
		a.cluster[h] = c.name
		rack := i / perRack
		a.rack[h] = fmt.Sprintf("%s-r%03d", c.name, rack)
		if c.groups > 0 {
			a.group[h] = fmt.Sprintf("rg%d", rack%c.groups+1)
		}
		a.life[h] = "active"
	}
	stride := max(c.n/max(c.dead+c.repair, 1), 1)
	for k := 0; k < c.dead+c.repair && k*stride < c.n; k++ {
		h := fmt.Sprintf("%s-h%04d", c.name, k*stride)
		if k < c.dead {
			a.life[h] = "dead"
		} else {
			a.life[h] = "repair"
		}
	}
}

// testPolicy is the scenario policy of docs/actions.md (6% for dense clusters, 5%
// with a floor of 1 for small ones, one host at a time for critical),
// with hdfs and yarn as the control planes a rekick asks.
var testPolicy = scenarioPolicy(`
unavailable = 'lifecycle in ("dead", "repair")'
rekick_control_planes = ["hdfs", "yarn"]

`)

// scenarioPolicy is head, a test's own top-level keys, then the
// scenario's archetypes that the tests of every package share.
func scenarioPolicy(head string) string {
	b, err := os.ReadFile("../policy/testdata/policy.toml")
	if err != nil {
		panic(err)
	}
	return head + string(b)
}

func mustPolicy(t testing.TB, text string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(text))
	require.NoError(t, err)
	return p
}

func decide(t testing.TB, snap fleet.Snapshot, pol *policy.Policy, l *store.Ledger, req Request) *Decision {
	t.Helper()
	if l == nil {
		l = &store.Ledger{}
	}
	if req.Now.IsZero() {
		req.Now = t0
	}
	if req.Requester == "" {
		req.Requester = "tester"
	}
	d, err := Decide(Input{Ctx: context.Background(), Snap: snap, Policy: pol, Ledger: l}, req)
	require.NoError(t, err)
	return d
}

// leaseAll turns a decision's approvals into the ledger's active leases.
func leaseAll(l *store.Ledger, d *Decision) *store.Ledger {
	out := &store.Ledger{Version: l.Version + 1, Leases: append([]store.Lease(nil), l.Leases...), Freezes: l.Freezes, Incident: l.Incident}
	out.Leases = append(out.Leases, d.Leases()...)
	for _, x := range d.Leases() {
		out.Starts = append(out.Starts, store.Start{Host: x.Host, Verb: x.Verb, Cluster: x.Cluster, At: x.Start})
	}
	out.Starts = append(out.Starts, l.Starts...)
	return out
}

// sscanHost reads the host index of a test host name (c-dense-01-h0042).
func sscanHost(h string, i *int) (int, error) {
	return fmt.Sscanf(h[len(h)-4:], "%d", i)
}

func fmtRack(i int) string  { return fmt.Sprintf("r%03d", i/20) }
func fmtGroup(i int) string { return fmt.Sprintf("rg%d", (i/20)%3+1) }

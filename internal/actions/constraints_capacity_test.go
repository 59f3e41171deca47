package actions

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query/querytest"
	"github.com/fleetq/fleetq/internal/store"
)

// constraintPolicy is the scenario policy with a health set and the
// given keys added to the dense archetype and an exception for c-web-01.
func constraintPolicy(t *testing.T, dense, web string) string {
	t.Helper()
	text := scenarioPolicy(`
unavailable = 'lifecycle in ("dead", "repair")'
health = 'lifecycle = "active"'
`)
	text = strings.Replace(text, "any = { pct = 6, floor = 1, ceiling = 200 }", "any = { pct = 6, floor = 1, ceiling = 200 }\n"+dense, 1)
	return text + "\n[cluster.\"c-web-01\"]\nany = { max = 10 }\n" + web + "\n"
}

func rulesOf(d *Decision) map[string]int {
	out := map[string]int{}
	for _, x := range d.Denied {
		out[x.Rule]++
	}
	return out
}

// The scenario: 412 hosts, 17 out (9 dead + 8 in repair), so 395
// healthy; min_healthy = 390 lets exactly 5 go although the 6% budget
// (24, headroom 7) would let 7.
func TestMinHealthyApprovesExactlyFive(t *testing.T) {
	f := buildFleet(clusterSpec{name: "smf1-dense-02", n: 412, perRack: 20, dead: 9, repair: 8})
	for _, seed := range []uint64{1, 2, 3} {
		pol := mustPolicy(t, constraintPolicy(t, "min_healthy = 390", ""))
		d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: `lifecycle = "active"`, Seed: seed})
		require.Len(t, d.Approved, 5)
		require.Equal(t, map[string]int{RuleMinHealthy: 390}, rulesOf(d))
		require.Equal(t, "smf1-dense-02: would leave 389 healthy of 412, min_healthy 390", d.Denied[0].Detail)
		c := d.Clusters[0]
		require.Equal(t, 7, c.Headroom)
		require.Len(t, c.Constraints, 1)
		require.Equal(t, ConstraintLine{Rule: RuleMinHealthy, Bound: "390", Min: 390, Total: 412, Before: 395, After: 390,
			Text: "min_healthy 390: healthy and in service 395 of 412, after 390"}, c.Constraints[0])
		require.True(t, Transient(RuleMinHealthy))
	}
}

// A percentage rounds up: 95% of 412 is 391.4, so 392, and 3 may go.
func TestMinHealthyPercentRoundsUp(t *testing.T) {
	f := buildFleet(clusterSpec{name: "smf1-dense-02", n: 412, perRack: 20, dead: 9, repair: 8})
	pol := mustPolicy(t, constraintPolicy(t, `min_healthy = "95%"`, ""))
	d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: `lifecycle = "active"`, Seed: 7})
	require.Len(t, d.Approved, 3)
	require.Equal(t, "min_healthy 95% of 412 = 392: healthy and in service 395 of 412, after 392", d.Clusters[0].Constraints[0].Text)
}

// An unhealthy host (in service but not in the health set) costs no
// healthy host: it goes while the cluster is at its minimum, never below.
func TestMinHealthyUnhealthyHostCostsNothing(t *testing.T) {
	a := fleetAttrs{map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}}
	addCluster(a, clusterSpec{name: "c-dense-01", n: 100, perRack: 10})
	for i := 0; i < 4; i++ {
		a.life[fmt.Sprintf("c-dense-01-h%04d", i)] = "degraded"
	}
	f := fleetOf(a)
	pol := mustPolicy(t, constraintPolicy(t, "min_healthy = 96", ""))
	d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: `lifecycle = "degraded"`, Seed: 1})
	require.Len(t, d.Approved, 4) // 96 healthy stay
	d = decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: "all", Seed: 1})
	require.Len(t, d.Approved, 4) // the 4 degraded ones, whatever the order; no healthy one
	for _, h := range d.Approved {
		require.Equal(t, "degraded", a.life[h])
	}
	pol = mustPolicy(t, constraintPolicy(t, "min_healthy = 97", ""))
	d = decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: `lifecycle = "degraded"`, Seed: 1})
	require.Empty(t, d.Approved) // already below the minimum: nothing goes
	require.Equal(t, "c-dense-01: would leave 96 healthy of 100, min_healthy 97", d.Denied[0].Detail)
}

// skuFleet is a mixed-SKU cluster: 20 storage hosts (48 TB, 64 cores),
// 80 compute hosts (4 TB, 16 cores) and 5 without hdfs.capacity_bytes
// (16 cores); 1.28 PB and 2640 cores in all.
func skuFleet() (*querytest.Fleet, map[string]string) {
	a := fleetAttrs{map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}}
	addCluster(a, clusterSpec{name: "c-dense-01", n: 105, perRack: 10})
	sku, bytes, cores := map[string]string{}, map[string]float64{}, map[string]float64{}
	for i := 0; i < 105; i++ {
		h := fmt.Sprintf("c-dense-01-h%04d", i)
		switch {
		case i < 20:
			sku[h], bytes[h], cores[h] = "storage", 48e12, 64
		case i < 100:
			sku[h], bytes[h], cores[h] = "compute", 4e12, 16
		default:
			sku[h], cores[h] = "bare", 16
		}
	}
	f := fleetOf(a)
	f.Newest().SetString("sku", sku).SetNumber("hdfs.capacity_bytes", bytes).SetNumber("cores", cores)
	return f, sku
}

// The capacity minimum binds before the host count: the 6% budget (6
// hosts) would let 6 storage hosts go, 95% of 1.28 PB lets one (48 TB of
// 64 TB of room).
func TestCapacityMinimumBindsBeforeHostCount(t *testing.T) {
	f, _ := skuFleet()
	pol := mustPolicy(t, constraintPolicy(t, `min_capacity = [{ attr = "hdfs.capacity_bytes", pct = 95 }, { attr = "cores", min = 2500 }]`, ""))
	d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: `sku = "storage"`, Seed: 3})
	require.Len(t, d.Approved, 1)
	require.Equal(t, 6, d.Clusters[0].Arith.Cap)
	require.Equal(t, map[string]int{RuleCapacity: 19}, rulesOf(d))
	require.Equal(t, "hdfs.capacity_bytes: would leave 92.5% of 1.3 PB, minimum 95%", d.Denied[0].Detail)
	lines := d.Clusters[0].Constraints
	require.Len(t, lines, 2)
	require.Equal(t, ConstraintLine{Rule: RuleCapacity, Attr: "hdfs.capacity_bytes", Bound: "95%", Min: 1216e12, Total: 1280e12,
		Before: 1280e12, After: 1232e12, Missing: 5,
		Text: "min_capacity hdfs.capacity_bytes 95% of 1.3 PB = 1.2 PB: in service 1.3 PB (100.0%), after 1.2 PB (96.2%); 5 hosts without hdfs.capacity_bytes count as 0"}, lines[0])
	require.Equal(t, "min_capacity cores 2500: in service 2640 (100.0%), after 2576 (97.5%)", lines[1].Text)

	// cores: 40 of room; compute hosts cost 16, so 2 go (32), the third
	// would leave 2592.
	pol = mustPolicy(t, constraintPolicy(t, `min_capacity = [{ attr = "cores", min = 2600 }]`, ""))
	d = decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: `sku = "compute"`, Seed: 3})
	require.Len(t, d.Approved, 2)
	require.Equal(t, "cores: would leave 2592 of 2640, minimum 2600", d.Denied[0].Detail)
}

// Hosts without the attribute count as zero: they cost nothing, so only
// the host count bounds them; a cluster none of whose hosts reports the
// attribute is denied (the minimum cannot be checked).
func TestCapacityMissingAttribute(t *testing.T) {
	f, _ := skuFleet()
	pol := mustPolicy(t, constraintPolicy(t, `min_capacity = [{ attr = "hdfs.capacity_bytes", pct = 100 }]`, ""))
	d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: `sku = "bare"`, Seed: 3})
	require.Len(t, d.Approved, 5)
	pol = mustPolicy(t, constraintPolicy(t, `min_capacity = [{ attr = "gpus", min = 0 }]`, ""))
	d = decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: `sku = "bare"`, Seed: 3})
	require.Empty(t, d.Approved)
	require.Equal(t, map[string]int{RuleCapacity: 5}, rulesOf(d))
	require.Equal(t, "gpus: no host of the pass has it as a number: the capacity minimum cannot be checked", d.Denied[0].Detail)
}

// Hosts already out cost no capacity; the pct is of the total over every
// host of the cluster, in service or not, so hosts out shrink the room.
func TestCapacityTotalCountsHostsOut(t *testing.T) {
	f, _ := skuFleet()
	l := &store.Ledger{}
	for i := 0; i < 1; i++ { // one storage host leased: 48 of 64 TB of room gone
		l.Leases = append(l.Leases, store.Lease{Host: fmt.Sprintf("c-dense-01-h%04d", i), Verb: "drain", Cluster: "c-dense-01", Start: t0.Add(-time.Hour), Expiry: t0.Add(time.Hour)})
	}
	pol := mustPolicy(t, constraintPolicy(t, `min_capacity = [{ attr = "hdfs.capacity_bytes", pct = 95 }]`, ""))
	d := decide(t, f.Snapshot(), pol, l, Request{Verb: "drain", Expr: `sku = "compute" + sku = "storage"`, Seed: 5})
	for _, h := range d.Approved {
		require.NotEqual(t, "c-dense-01-h0000", h)
	}
	// 16 TB of room: exactly 4 compute hosts, or none once a storage
	// host went first (it is denied), so 4 compute hosts go.
	require.Len(t, d.Approved, 4)
	require.Equal(t, 1280e12-48e12, d.Clusters[0].Constraints[0].Before)
}

// undrainedFleet is c-web-01 (30 hosts, max 10 by exception): one dead,
// one leased for reboot, one leased for drain, two that HDFS reports
// decommissioned (out, and drained).
func undrainedFleet() (*querytest.Fleet, *store.Ledger) {
	a := fleetAttrs{map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}}
	addCluster(a, clusterSpec{name: "c-web-01", n: 30, perRack: 10})
	a.life["c-web-01-h0000"] = "dead"
	f := fleetOf(a)
	state := map[string]string{}
	for i := 0; i < 30; i++ {
		state[fmt.Sprintf("c-web-01-h%04d", i)] = "in_service"
	}
	state["c-web-01-h0003"], state["c-web-01-h0004"] = "decommissioned", "decommissioned"
	f.Newest().SetString("hdfs.state", state)
	lease := func(h, verb string) store.Lease {
		return store.Lease{Host: h, Verb: verb, Cluster: "c-web-01", Start: t0.Add(-time.Hour), Expiry: t0.Add(time.Hour)}
	}
	return f, &store.Ledger{Leases: []store.Lease{lease("c-web-01-h0001", "reboot"), lease("c-web-01-h0002", "drain")}}
}

// Down without a drain before the request: the dead host and the one
// rebooting (2). With max 3 one more in-service host may be rebooted;
// the decommissioned hosts are drained and go too; a drain is not
// limited at all.
func TestUndrainedDownCountsByCause(t *testing.T) {
	f, l := undrainedFleet()
	pol := mustPolicy(t, constraintPolicy(t, "", "max_undrained_down = 3"))
	for _, seed := range []uint64{1, 2, 3, 4} {
		d := decide(t, f.Snapshot(), pol, l, Request{Verb: "reboot", Expr: `lifecycle = "active"`, Seed: seed})
		require.Len(t, d.Approved, 3, "seed %d", seed)
		require.Contains(t, d.Approved, "c-web-01-h0003")
		require.Contains(t, d.Approved, "c-web-01-h0004")
		require.Equal(t, 24, rulesOf(d)[RuleUndrained])
		require.Equal(t, "max_undrained_down 3: down without a drain 2, after 3", d.Clusters[0].Constraints[0].Text)
		var detail string
		for _, x := range d.Denied {
			if x.Rule == RuleUndrained {
				detail = x.Detail
			}
		}
		require.Equal(t, "c-web-01: 3 hosts down without a drain (max_undrained_down 3): drain the host first, or wait for one to return", detail)
	}
	d := decide(t, f.Snapshot(), pol, l, Request{Verb: "drain", Expr: `lifecycle = "active"`, Seed: 1})
	require.Len(t, d.Approved, 5) // max 10, 5 out: the cluster budget binds
	require.Empty(t, d.Clusters[0].Constraints)
	pol = mustPolicy(t, constraintPolicy(t, "", "max_undrained_down = 2"))
	d = decide(t, f.Snapshot(), pol, l, Request{Verb: "firmware", Expr: `lifecycle = "active"`, Seed: 1})
	require.ElementsMatch(t, []string{"c-web-01-h0003", "c-web-01-h0004"}, d.Approved)
}

// An exception's key replaces the archetype's, the others are inherited.
func TestConstraintExceptionOverridesArchetype(t *testing.T) {
	f := buildFleet(clusterSpec{name: "c-web-01", n: 30, perRack: 10})
	text := scenarioPolicy("health = 'lifecycle = \"active\"'\n")
	text = strings.Replace(text, "any = { pct = 5, floor = 1, ceiling = 5 }", "any = { pct = 5, floor = 1, ceiling = 5 }\nmin_healthy = 30\nmax_undrained_down = 0", 1)
	pol := mustPolicy(t, text+"\n[cluster.\"c-web-01\"]\nany = { max = 10 }\nmin_healthy = 27\n")
	d := decide(t, f.Snapshot(), pol, nil, Request{Verb: "drain", Expr: "all", Seed: 1})
	require.Len(t, d.Approved, 3)
	d = decide(t, f.Snapshot(), pol, nil, Request{Verb: "reboot", Expr: "all", Seed: 1})
	require.Empty(t, d.Approved)
	require.Equal(t, map[string]int{RuleUndrained: 30}, rulesOf(d)) // the archetype's max_undrained_down 0 is inherited
	// undrain returns capacity: no constraint applies.
	d = decide(t, f.Snapshot(), pol, nil, Request{Verb: "undrain", Expr: "all", Seed: 1})
	require.Empty(t, d.Clusters[0].Constraints)
}

// BenchmarkDecideConstraints decides a drain of 200k candidates in one
// cluster without constraints and with all three: the constraints' sums
// are computed once, so the difference per candidate stays a few probes.
func BenchmarkDecideConstraints(b *testing.B) {
	a := fleetAttrs{map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}}
	addCluster(a, clusterSpec{name: "c-dense-01", n: 200000, perRack: 40, dead: 300})
	f := fleetOf(a)
	caps := map[string]float64{}
	for h := range a.cluster {
		caps[h] = float64(len(h))
	}
	f.Newest().SetNumber("cap", caps)
	head := "max_request = 1000000\nhealth = 'lifecycle = \"active\"'\nunavailable = 'lifecycle in (dead, repair)'\n"
	for _, c := range []struct{ name, keys string }{
		{"none", ""},
		{"all", "min_healthy = \"90%\"\nmin_capacity = [{ attr = \"cap\", pct = 90 }]\nmax_undrained_down = 100000\n"},
	} {
		pol := mustPolicy(b, head+"[[archetype]]\nname = \"d\"\nany = { pct = 20 }\n"+c.keys)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				decide(b, f.Snapshot(), pol, nil, Request{Verb: "reboot", Expr: "all", Seed: 1})
			}
		})
	}
}

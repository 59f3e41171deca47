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
)

// The scenario through the binary: smf1-dense-02 has 412 hosts,
// 17 out; min_healthy = 390 approves exactly 5 (the 6% budget would let
// 7 go), with its own line in the arithmetic and its own denial rule.
func TestMinHealthyScenario412(t *testing.T) {
	f := newActionFixture(t)
	require.NoError(t, os.WriteFile(f.policy, []byte(actionPolicy+"\n[cluster.\"smf1-dense-02\"]\nmin_healthy = 390\n"), 0o644))
	healthy := dense + " & responsive"
	d := f.decide("drain", healthy, "--reason", "disk swap", "--seed", "42")
	assert.Len(t, d.Approved, 5)
	rules := map[string]int{}
	for _, x := range d.Denied {
		rules[x.Rule]++
	}
	assert.Equal(t, map[string]int{"budget:min-healthy": 390}, rules)
	out := f.ok("drain", healthy, "--reason", "disk swap", "--seed", "42")
	assert.Contains(t, out, "smf1-dense-02 (dense): 6% of 412 = 24 (floor 1, ceiling 200); unavailable 17 = dead 9 + repair 8; headroom 7\n"+
		"    min_healthy 390: healthy and in service 395 of 412, after 390\n")
	assert.Contains(t, out, "budget:min-healthy")
	assert.Contains(t, out, "smf1-dense-02: would leave 389 healthy of 412, min_healthy 390")
	// The 17 hosts out cost no healthy host: with them in the request, 2
	// of them go too, up to the 6% budget (24).
	d = f.decide("drain", dense, "--reason", "disk swap", "--seed", "42")
	assert.Len(t, d.Approved, 7)
	raw := f.ok("drain", healthy, "--reason", "disk swap", "--seed", "42", "--format", "json")
	var j struct {
		Clusters []struct {
			Constraints []map[string]any `json:"constraints"`
		} `json:"clusters"`
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &j))
	require.Len(t, j.Clusters[0].Constraints, 1)
	c := j.Clusters[0].Constraints[0]
	assert.Equal(t, "budget:min-healthy", c["rule"])
	assert.Equal(t, "390", c["bound"])
	assert.Equal(t, []any{390.0, 412.0, 395.0, 390.0}, []any{c["min"], c["total"], c["before"], c["after"]})
}

// A mixed-SKU cluster through the binary: 20 storage hosts of 48 TB, 80
// compute hosts of 4 TB, 5 without capacity_bytes; 95% of 1.28 PB lets
// one storage host go where the 6% budget would let 6.
func TestCapacityMinimumScenario(t *testing.T) {
	dir := t.TempDir()
	var inv strings.Builder
	inv.WriteString("host,cluster,rack,lifecycle,sku,capacity_bytes,cores\n")
	for i := 0; i < 105; i++ {
		sku, bytes, cores := "compute", "4000000000000", 16
		switch {
		case i < 20:
			sku, bytes, cores = "storage", "48000000000000", 64
		case i >= 100:
			sku, bytes = "bare", ""
		}
		fmt.Fprintf(&inv, "h%03d.c,c-dense-01,r%02d,active,%s,%s,%d\n", i, i/10, sku, bytes, cores)
	}
	invPath := filepath.Join(dir, "inventory.csv")
	require.NoError(t, os.WriteFile(invPath, []byte(inv.String()), 0o644))
	f := &actionFixture{t: t, dir: dir, db: filepath.Join(dir, "fleetq.db"), policy: filepath.Join(dir, "policy.toml"), base: time.Now().UTC()}
	require.NoError(t, os.WriteFile(f.policy, []byte(actionPolicy+`
[cluster."c-dense-01"]
min_capacity = [{ attr = "capacity_bytes", pct = 95 }, { attr = "cores", min = 2500 }]
`), 0o644))
	f.ok("ingest", invPath)
	out := f.ok("drain", `sku = "storage"`, "--reason", "disk swap", "--seed", "3")
	assert.Contains(t, out, "c-dense-01 (dense): 6% of 105 = 6 (floor 1, ceiling 200); unavailable 0 = none; headroom 6\n"+
		"    min_capacity capacity_bytes 95% of 1.3 PB = 1.2 PB: in service 1.3 PB (100.0%), after 1.2 PB (96.2%); 5 hosts without capacity_bytes count as 0\n"+
		"    min_capacity cores 2500: in service 2640 (100.0%), after 2576 (97.5%)\n")
	assert.Contains(t, out, "approved 1:")
	assert.Contains(t, out, "capacity_bytes: would leave 92.5% of 1.3 PB, minimum 95%")
	d := f.decide("drain", `sku = "storage"`, "--reason", "disk swap", "--seed", "3")
	require.Len(t, d.Approved, 1)
	for _, x := range d.Denied {
		assert.Equal(t, "budget:capacity", x.Rule)
	}
}

// Downtime without a drain through the binary: of 30 hosts one is dead,
// two are decommissioned in HDFS (drained), one is leased for a reboot;
// max_undrained_down = 3 lets one more in-service host be rebooted (the
// decommissioned ones and the dead one go too: they add nothing), and
// refuses the rest.
func TestUndrainedDownScenario(t *testing.T) {
	dir := t.TempDir()
	var inv strings.Builder
	inv.WriteString("host,cluster,rack,lifecycle,hdfs.state\n")
	for i := 0; i < 30; i++ {
		life, state := "active", "in_service"
		switch i {
		case 0:
			life = "dead"
		case 3, 4:
			state = "decommissioned"
		}
		fmt.Fprintf(&inv, "w%02d.c,c-web-01,r%d,%s,%s\n", i, i/10, life, state)
	}
	invPath := filepath.Join(dir, "inventory.csv")
	require.NoError(t, os.WriteFile(invPath, []byte(inv.String()), 0o644))
	f := &actionFixture{t: t, dir: dir, db: filepath.Join(dir, "fleetq.db"), policy: filepath.Join(dir, "policy.toml"), base: time.Now().UTC()}
	require.NoError(t, os.WriteFile(f.policy, []byte(actionPolicy+`
[cluster."c-web-01"]
any = { max = 10 }
max_undrained_down = 3
`), 0o644))
	f.ok("ingest", invPath)
	first := f.decide("reboot", `"w01.c"`, "--reason", "kernel", "--commit", "--yes")
	require.Equal(t, []string{"w01.c"}, first.Approved)
	out := f.ok("reboot", `cluster = "c-web-01"`, "--reason", "kernel", "--seed", "9")
	assert.Contains(t, out, "    max_undrained_down 3: down without a drain 2, after 3\n")
	assert.Contains(t, out, "approved 4:\n  w00.c\n  w03.c\n  w04.c\n")
	assert.Contains(t, out, "budget:undrained-down       25  transient")
	assert.Contains(t, out, "c-web-01: 3 hosts down without a drain (max_undrained_down 3): drain the host first, or wait for one to return")
	// A drain is the drain: not limited by the rule.
	d := f.decide("drain", `cluster = "c-web-01" & lifecycle = "active"`, "--reason", "disks")
	assert.Len(t, d.Approved, 6) // max 10, 4 out
}

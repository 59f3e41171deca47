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

	"github.com/fleetq/fleetq/internal/store/storetest"
)

// newDCFixture ingests two clusters of n hosts, ams1-web-01 and
// ams1-kafka-01, each with hosts 0-19 in dc ams1a and 20-39 in ams1b, in
// racks of 10, and writes the policy head + a budget of pct.
func newDCFixture(t *testing.T, head string, n, pct int) *actionFixture {
	f := &actionFixture{t: t, dir: t.TempDir(), base: time.Now().UTC().Add(-5 * time.Minute).Truncate(time.Second)}
	f.db, f.policy = filepath.Join(f.dir, "fleetq.db"), filepath.Join(f.dir, "policy.toml")
	require.NoError(t, os.WriteFile(f.policy, []byte(fmt.Sprintf("%s\n[[archetype]]\nname = \"d\"\nany = { pct = %d }\n", head, pct)), 0o644))
	var inv strings.Builder
	inv.WriteString("host,cluster,rack,dc,lifecycle\n")
	for _, c := range []string{"web", "kafka"} {
		for i := 0; i < n; i++ {
			fmt.Fprintf(&inv, "%s%02d.ams1,ams1-%s-01,ams1-%s-r%d,ams1%c,active\n", c, i, c, c, i/10, 'a'+rune(i/20))
		}
	}
	path := filepath.Join(f.dir, "inventory.csv")
	require.NoError(t, os.WriteFile(path, []byte(inv.String()), 0o644))
	f.ok("ingest", path, "--at", f.base.Format(time.RFC3339))
	t.Cleanup(func() { storetest.MustCheck(t, f.db) })
	return f
}

type perDecisionJSON struct {
	Audit    int64
	Approved []string
	Denied   []struct{ Host, Rule, Detail string }
	Clusters []struct {
		Cluster string
		Bound   *struct {
			Rule, Attr, Value, Limit string
			Denied                   int
		}
	}
}

// TestPerDCBudgetThroughTheBinary: [[limits.per]] attr = "dc", max = 6
// over two clusters sharing two dcs: exactly 6 approved in each dc,
// whatever the cluster, the others refused as budget:per dc, and both
// clusters' lines name the dc budget that bound.
func TestPerDCBudgetThroughTheBinary(t *testing.T) {
	f := newDCFixture(t, "[[limits.per]]\nattr = \"dc\"\nmax = 6\n", 40, 50)
	var d perDecisionJSON
	require.NoError(t, json.Unmarshal([]byte(f.ok("drain", "all", "--reason", "psu swap", "--format", "json")), &d))
	require.Len(t, d.Approved, 12)
	byDC := map[string]int{}
	for _, h := range d.Approved {
		var i int
		_, err := fmt.Sscanf(h[strings.IndexAny(h, "0123456789"):], "%d", &i)
		require.NoError(t, err)
		byDC[[]string{"ams1a", "ams1b"}[i/20]]++
	}
	assert.Equal(t, map[string]int{"ams1a": 6, "ams1b": 6}, byDC)
	require.Len(t, d.Denied, 80-12)
	for _, x := range d.Denied {
		assert.Equal(t, "budget:per dc", x.Rule)
		assert.Contains(t, []string{"dc ams1a: 6 out (per dc max 6)", "dc ams1b: 6 out (per dc max 6)"}, x.Detail)
	}
	require.Len(t, d.Clusters, 2)
	for _, c := range d.Clusters {
		require.NotNil(t, c.Bound, c.Cluster)
		assert.Equal(t, "budget:per dc", c.Bound.Rule)
	}
	assert.Contains(t, f.ok("audit", "replay", fmt.Sprint(d.Audit)), "match: the decision comes out the same")
	text := f.ok("drain", "all", "--reason", "psu swap")
	assert.Contains(t, text, "; bound by dc ams1")
	assert.Contains(t, text, "(per dc max 6) and 1 more")
	assert.Contains(t, text, "budget:per dc")
}

// TestRackBoundOnClusterLineThroughTheBinary: per_rack 2 binds before
// the cluster's 50% of 40 = 20: 8 approved (4 racks of 10), and the line
// names a rack.
func TestRackBoundOnClusterLineThroughTheBinary(t *testing.T) {
	f := newDCFixture(t, "[limits]\nper_rack = 2\n", 40, 50)
	out := f.ok("drain", `cluster = "ams1-web-01"`, "--reason", "bios")
	assert.Contains(t, out, "ams1-web-01 (d): 50% of 40 = 20 (floor 1, ceiling none); unavailable 0 = none; headroom 20; bound by rack ams1-web-r")
	assert.Contains(t, out, "(per_rack 2) and 3 more")
	assert.Contains(t, out, "approved 8:")
}

// TestPercentRateThroughTheBinary: rate = "30%/10m" on a 10-host
// cluster: 3 start, the 4th is refused with the rate's arithmetic, and
// 11 minutes later (--what-if) 3 more may start.
func TestPercentRateThroughTheBinary(t *testing.T) {
	f := newDCFixture(t, "[verb.reboot]\nrate = \"30%/10m\"\n", 10, 100)
	web := `cluster = "ams1-web-01"`
	var d perDecisionJSON
	require.NoError(t, json.Unmarshal([]byte(f.ok("reboot", web, "--reason", "kernel", "--commit", "--yes", "--format", "json")), &d))
	require.Len(t, d.Approved, 3)
	require.Len(t, d.Denied, 7)
	assert.Equal(t, "reboot rate 30% of 10 = 3 per 10m0s in ams1-web-01: 3 started in the window", d.Denied[0].Detail)

	out := f.ok("reboot", web, "--reason", "kernel")
	assert.Contains(t, out, "approved 0:")
	assert.Contains(t, out, "budget:rate")
	assert.Contains(t, out, "reboot rate 30% of 10 = 3 per 10m0s in ams1-web-01: 3 started in the window")

	var later perDecisionJSON
	require.NoError(t, json.Unmarshal([]byte(f.ok("reboot", web, "--reason", "kernel", "--what-if", "11m", "--format", "json")), &later))
	assert.Len(t, later.Approved, 3, "after the window, a new 3")
	assert.Contains(t, f.ok("audit", "replay", fmt.Sprint(d.Audit)), "match: the decision comes out the same")
}

// TestPerLimitsBadPolicy: a bad [[limits.per]] or rate is a one-line
// load error naming the file and the key.
func TestPerLimitsBadPolicy(t *testing.T) {
	f := newDCFixture(t, "", 40, 50)
	for _, tc := range []struct{ toml, want string }{
		{"[[limits.per]]\nattr = \"dc\"\nmax = 6\nscop = \"cluster\"\n", "unknown key limits.per.scop"},
		{"[[limits.per]]\nattr = \"dc\"\nmax = 6\nscope = \"dc\"\n", `[[limits.per]] 1 (attr "dc"): scope = "dc": expected "fleet" or "cluster"`},
		{"[verb.reboot]\nrate = \"300%/10m\"\n", `[verb.reboot] rate: "300%/10m": "300%" is not a percentage between 0 and 100`},
	} {
		require.NoError(t, os.WriteFile(f.policy, []byte(tc.toml+"[[archetype]]\nname = \"d\"\nany = { pct = 50 }\n"), 0o644))
		_, stderr, code := f.run("drain", "all", "--reason", "x")
		assert.NotEqual(t, 0, code, tc.toml)
		assert.Contains(t, stderr, f.policy, tc.toml)
		assert.Contains(t, stderr, tc.want, tc.toml)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
	}
}

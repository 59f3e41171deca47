package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store/storetest"
)

const gateTestPolicy = `
[[archetype]]
name = "kafka"
any = { pct = 10, floor = 1 }
[[archetype.gate]]
name = "no-under-replication"
expr = 'count(kafka_server_replicamanager_underreplicatedpartitions > 0 & this) == 0'
`

// promVector is a Prometheus /api/v1/query answer (the shape of
// internal/ingest/testdata/fixtures/prometheus/live-prom2.42-query-vector-node_load1.json)
// of one gauge per broker: value per host, port 9308 on the instance.
func promVector(name string, at time.Time, vals map[string]int) string {
	var parts []string
	for _, h := range sortedHosts(vals) {
		parts = append(parts, fmt.Sprintf(`{"metric":{"__name__":%q,"instance":"%s:9308","job":"kafka"},"value":[%d,"%d"]}`,
			name, h, at.Unix(), vals[h]))
	}
	return `{"status":"success","data":{"resultType":"vector","result":[` + strings.Join(parts, ",") + `]}}`
}

func sortedHosts(m map[string]int) []string {
	var out []string
	for h := range m {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// TestGateOnPrometheusDeniesAClusterAndLifts: two 20-host Kafka clusters,
// a Prometheus answer where 3 brokers of kafka-a report under-replicated
// partitions. The gate denies all 20 candidates of kafka-a (transient,
// with the count); kafka-b gets its 10% of 20 = 2. On the next pass,
// where every broker reports 0, kafka-a gets its 2. fleetq check compiles
// the gate and names the line of a misspelt one.
func TestGateOnPrometheusDeniesAClusterAndLifts(t *testing.T) {
	f := &actionFixture{t: t, dir: t.TempDir(), base: time.Now().UTC().Add(-30 * time.Minute).Truncate(time.Second)}
	f.db, f.policy = filepath.Join(f.dir, "fleetq.db"), filepath.Join(f.dir, "policy.toml")
	require.NoError(t, os.WriteFile(f.policy, []byte(gateTestPolicy), 0o644))
	t.Cleanup(func() { storetest.MustCheck(t, f.db) })
	var inv strings.Builder
	inv.WriteString("host,cluster,rack,lifecycle\n")
	urp := map[string]int{}
	for _, c := range []string{"ka", "kb"} {
		for i := 0; i < 20; i++ {
			h := fmt.Sprintf("%s%02d.ams1", c, i)
			fmt.Fprintf(&inv, "%s,kafka-%s,%s-r%d,active\n", h, c[1:], c, i/5)
			urp[h] = 0
		}
	}
	invPath, promPath := filepath.Join(f.dir, "inventory.csv"), filepath.Join(f.dir, "prom-urp.json")
	require.NoError(t, os.WriteFile(invPath, []byte(inv.String()), 0o644))
	urp["ka03.ams1"], urp["ka07.ams1"], urp["ka11.ams1"] = 4, 1, 12
	metric := "kafka_server_replicamanager_underreplicatedpartitions"
	require.NoError(t, os.WriteFile(promPath, []byte(promVector(metric, f.base, urp)), 0o644))
	f.ok("ingest", invPath, promPath, "--at", f.base.Format(time.RFC3339))

	d := f.decide("drain", "all", "--reason", "broker upgrade", "--seed", "3")
	var gated int
	for _, x := range d.Denied {
		if x.Rule == "gate:no-under-replication" {
			gated++
			assert.True(t, strings.HasPrefix(x.Host, "ka"), x.Host)
			assert.Equal(t, "count("+metric+" > 0 & this) = 3, want == 0", x.Detail)
		}
	}
	assert.Equal(t, 20, gated)
	require.Len(t, d.Approved, 2)
	for _, h := range d.Approved {
		assert.True(t, strings.HasPrefix(h, "kb"), h)
	}
	text := f.ok("drain", `cluster = "kafka-a"`, "--reason", "broker upgrade", "--seed", "3")
	assert.Contains(t, text, "gate:no-under-replication     20  transient")
	assert.Contains(t, text, "A cluster gate fails (transient): retry after a newer pass shows it holding.")

	for h := range urp {
		urp[h] = 0
	}
	require.NoError(t, os.WriteFile(promPath, []byte(promVector(metric, f.base.Add(10*time.Minute), urp)), 0o644))
	f.ok("ingest", promPath, "--at", f.base.Add(10*time.Minute).Format(time.RFC3339))
	d = f.decide("drain", `cluster = "kafka-a"`, "--reason", "broker upgrade", "--seed", "3")
	assert.Len(t, d.Approved, 2, "the gate lifted on the next pass")
	for _, x := range d.Denied {
		assert.Equal(t, "budget:cluster", x.Rule)
	}

	out := f.ok("check")
	assert.Contains(t, out, "2 expressions compile and evaluate against pass 2") // decommissioned and the gate
	bad := strings.Replace(gateTestPolicy, "> 0 & this", "> 0 & thiss", 1)
	require.NoError(t, os.WriteFile(f.policy, []byte(bad), 0o644))
	out, _, code := f.run("check")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, out, "policy.toml:7: archetype kafka: gate no-under-replication: expr = 'count("+metric+" > 0 & thiss) == 0': 1:")
	assert.Contains(t, out, "did you mean this?")
}

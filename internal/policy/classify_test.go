package policy

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

// fleetOf builds a pass with clusters of the given sizes; every host of a
// cluster has the cluster's dc, and role "db" only in critical clusters.
func fleetOf(sizes map[string]int) *querytest.Fleet {
	f := querytest.NewFleet()
	p := f.NewPass()
	cl, dc, role := map[string]string{}, map[string]string{}, map[string]string{}
	for name, n := range sizes {
		for i := 0; i < n; i++ {
			h := fmt.Sprintf("h%04d.%s", i, name)
			cl[h], dc[h] = name, name[:4]
			role[h] = "worker"
			if name == "smf1-critical-01" || (name == "smf1-mixed-01" && i == 0) {
				role[h] = "db"
			}
		}
	}
	p.SetString("cluster", cl).SetString("dc", dc).SetString("role", role)
	return f
}

func TestClassify(t *testing.T) {
	_, err := Parse([]byte(scenarioTOML + `
[[archetype]]
name = "db"
clusters = 'role = "db"'
drain = { pct = 1 }
`))
	require.Error(t, err, "an archetype after the fallback is refused")
	p, err := Parse([]byte(scenarioPolicy("", `
[cluster."ams1-web-01"]
archetype = "dense"
`)))
	require.NoError(t, err)
	f := fleetOf(map[string]int{
		"smf1-dense-02": 412, "smf1-dense-03": 30, "smf1-critical-01": 60,
		"smf1-mixed-01": 60, "ams1-web-01": 100, "ams1-web-02": 100,
	})
	pass := f.Snapshot().Current()
	got, err := p.Classify(context.Background(), pass, mustClusters(t, pass), "drain")
	require.NoError(t, err)
	want := map[string]string{
		"smf1-dense-02":    "dense",
		"smf1-dense-03":    "small", // first match wins
		"smf1-critical-01": "default",
		"smf1-mixed-01":    "default",
		"ams1-web-01":      "dense", // exception
		"ams1-web-02":      "default",
	}
	for c, a := range want {
		assert.Equal(t, a, got[c].Archetype, c)
		assert.True(t, got[c].HasBudget, c, "drain has the any budget")
	}
	assert.Equal(t, 24, got["smf1-dense-02"].Budget.Cap(412).Cap)
	assert.Equal(t, 1, got["smf1-critical-01"].Budget.Cap(60).Cap, "exception max 1")
	assert.True(t, got["smf1-critical-01"].Exception)
	assert.False(t, got["smf1-mixed-01"].Exception)

	// A condition over any attribute, here role, before the fallback;
	// budgets for drain alone.
	p, err = Parse([]byte(`
[[archetype]]
name = "db"
clusters = 'role = "db"'
drain = { pct = 1 }
[[archetype]]
name = "default"
drain = { pct = 3, floor = 1, ceiling = 100 }
[cluster."smf1-critical-01"]
drain = { max = 1 }
`))
	require.NoError(t, err)
	got, err = p.Classify(context.Background(), pass, mustClusters(t, pass), "drain")
	require.NoError(t, err)
	assert.Equal(t, "db", got["smf1-critical-01"].Archetype, "role is db on every host")
	assert.Equal(t, "default", got["smf1-mixed-01"].Archetype, "role is db on one host only")
	assert.Equal(t, 1, got["smf1-critical-01"].Budget.Cap(60).Cap, "exception max 1")
	assert.True(t, got["smf1-critical-01"].Exception)

	reboot, err := p.Classify(context.Background(), pass, mustClusters(t, pass), "reboot")
	require.NoError(t, err)
	assert.False(t, reboot["smf1-dense-02"].HasBudget, "no reboot budget and no any: fail closed")
}

func TestClassifyBadCondition(t *testing.T) {
	p, err := Parse([]byte("[[archetype]]\nname = \"x\"\nclusters = 'sise < 50'\ndrain = { pct = 1 }\n[[archetype]]\nname = \"d\"\ndrain = { pct = 1 }\n"))
	require.NoError(t, err)
	f := fleetOf(map[string]int{"a-01": 3})
	pass := f.Snapshot().Current()
	_, err = p.Classify(context.Background(), pass, mustClusters(t, pass), "drain")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "archetype x")
	assert.Contains(t, err.Error(), "size")
}

func mustClusters(t *testing.T, pass fleet.Pass) []Cluster {
	t.Helper()
	cs, err := Clusters(pass, "cluster")
	require.NoError(t, err)
	return cs
}

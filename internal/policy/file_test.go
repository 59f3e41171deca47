package policy

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const issuePolicy = `
unavailable = 'lifecycle in ("dead", "repair")'
cluster_attr = "cluster"
rack_attr = "rack"

[[archetype]]
name = "small"
clusters = "size < 50"
drain = { pct = 5, floor = 1, ceiling = 5 }

[[archetype]]
name = "dense"
clusters = 'cluster ~ "-dense-"'
drain = { pct = 6, floor = 1, ceiling = 200 }

[[archetype]]
name = "default"
drain = { pct = 3, floor = 1, ceiling = 100 }
any = { pct = 2 }

[cluster."smf1-critical-01"]
drain = { max = 1 }

[limits]
per_rack = 5

[verb.reboot]
rate = "20/1h"
cooldown = "30m"
lease = "2h"
`

func TestParseIssuePolicy(t *testing.T) {
	p, err := Parse([]byte(issuePolicy))
	require.NoError(t, err)
	assert.Equal(t, 5, p.PerRack)
	assert.Len(t, p.Archetypes, 3)
	assert.Equal(t, "cluster", p.ClusterAttr)
	assert.Equal(t, "replica_group", p.GroupAttr)
	assert.Equal(t, 1, p.MaxGroups)
	assert.Equal(t, 500, p.MaxRequest)
	assert.Equal(t, 2*time.Hour, p.Rules("reboot").Lease)
	assert.Equal(t, 24*time.Hour, p.Rules("drain").Lease)
	assert.Equal(t, Rate{N: 20, Window: time.Hour}, p.Rules("reboot").Rate)
	assert.True(t, p.Rules("drain").Budgeted)
	assert.False(t, p.Rules("undrain").Budgeted)
	assert.Equal(t, 1, *p.Clusters["smf1-critical-01"].Budgets["drain"].Max)
	assert.Len(t, p.Hash, 64)
}

func TestParseErrors(t *testing.T) {
	fallback := "[[archetype]]\nname = \"default\"\ndrain = { pct = 3 }\n"
	cases := []struct{ name, text, want string }{
		{"unknown key", "unavailabel = 'x'\n" + fallback, "unknown key unavailabel"},
		{"unknown budget key", "[[archetype]]\nname = \"d\"\ndrain = { pct = 3, flor = 1 }\n", "unknown key archetype.drain.flor"},
		{"no archetype", "max_request = 5\n", "at least one"},
		{"no fallback", "[[archetype]]\nname = \"a\"\nclusters = 'size < 5'\ndrain = { pct = 3 }\n", "fallback"},
		{"pct above 100", "[[archetype]]\nname = \"d\"\ndrain = { pct = 101 }\n", "between 0 and 100"},
		{"too many decimals", "[[archetype]]\nname = \"d\"\ndrain = { pct = 1.00001 }\n", "4 decimals"},
		{"ceiling below floor", "[[archetype]]\nname = \"d\"\ndrain = { pct = 3, floor = 5, ceiling = 2 }\n", "below floor"},
		{"max with pct", "[[archetype]]\nname = \"d\"\ndrain = { pct = 3, max = 2 }\n", "max is absolute"},
		{"no pct", "[[archetype]]\nname = \"d\"\ndrain = { floor = 3 }\n", "pct (or max) is required"},
		{"unknown verb", fallback + "[verb.reimage]\nrate = \"1/1h\"\n", "unknown verb"},
		{"bad rate", fallback + "[verb.drain]\nrate = \"lots\"\n", "expected N/WINDOW"},
		{"bad duration", "lease = \"soon\"\n" + fallback, "expected e.g."},
		{"exception to unknown archetype", fallback + "[cluster.x]\narchetype = \"huge\"\n", "no archetype \"huge\""},
		{"duplicate archetype", fallback + fallback, "defined twice"},
		{"zero max_request", "max_request = 0\n" + fallback, "at least 1"},
		{"bad control plane", "rekick_control_planes = [\"k8s\"]\n" + fallback, "expected hdfs or yarn"},
		{"not toml", "[[[", "invalid policy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.text))
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetq.db")
	_, err := Find("", "", db)
	assert.ErrorIs(t, err, ErrNoPolicy)
	require.NoError(t, os.WriteFile(filepath.Join(dir, FileName), []byte(issuePolicy), 0o644))
	p, err := Find("", "", db)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, FileName), p)
	p, _ = Find("", "env.toml", db)
	assert.Equal(t, "env.toml", p)
	p, _ = Find("flag.toml", "env.toml", db)
	assert.Equal(t, "flag.toml", p)
	_, err = Load(filepath.Join(dir, "missing.toml"))
	assert.ErrorIs(t, err, ErrNoPolicy)
}

func TestExamplePolicyParses(t *testing.T) {
	p, err := Load("../../examples/policy.toml")
	if errors.Is(err, ErrNoPolicy) {
		t.Skip("examples/policy.toml not written yet")
	}
	require.NoError(t, err)
	assert.NotEmpty(t, p.Archetypes)
}

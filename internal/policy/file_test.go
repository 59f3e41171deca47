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

// scenarioTOML is the scenario policy of docs/actions.md with the cluster and rack
// attributes named, a rack limit, the reboot verb's rules, and a drain
// budget for one more cluster.
var scenarioTOML = scenarioPolicy(`
unavailable = 'lifecycle in ("dead", "repair")'
cluster_attr = "cluster"
rack_attr = "rack"

`, `
[cluster."ams1-web-01"]
drain = { max = 2 }

[limits]
per_rack = 5

[verb.reboot]
rate = "20/1h"
cooldown = "30m"
lease = "2h"
`)

// scenarioPolicy is head, a test's own top-level keys, then the
// scenario's archetypes that the tests of every package share
// (testdata/policy.toml), then tail, the test's own tables.
func scenarioPolicy(head, tail string) string {
	b, err := os.ReadFile("testdata/policy.toml")
	if err != nil {
		panic(err)
	}
	return head + string(b) + tail
}

func TestParseIssuePolicy(t *testing.T) {
	p, err := Parse([]byte(scenarioTOML))
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
	assert.Equal(t, 1, *p.Clusters["smf1-critical-01"].Budgets["any"].Max)
	assert.Equal(t, 2, *p.Clusters["ams1-web-01"].Budgets["drain"].Max)
	_, hasAny := p.Clusters["ams1-web-01"].Budgets["any"]
	assert.False(t, hasAny, "an exception budgets only the verbs it names")
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
	require.NoError(t, os.WriteFile(filepath.Join(dir, FileName), []byte(scenarioTOML), 0o644))
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

// TestParseRefusesTyposThatRemoveALimit: a negative ceiling, a negative
// duration and an executor with no program are load errors naming the
// key (docs/limits.md): each would otherwise quietly remove a cap, a wait or
// the executor, and the last fails only after the leases are granted.
func TestParseRefusesTyposThatRemoveALimit(t *testing.T) {
	arch := func(budget string) string {
		return "[[archetype]]\nname = \"d\"\ndrain = " + budget + "\n"
	}
	cases := []struct{ name, text, want string }{
		{"negative ceiling", arch("{ pct = 3, ceiling = -1 }"), "archetype d: drain: ceiling = -1: must not be negative (leave ceiling out for no ceiling)"},
		{"negative ceiling, no floor", arch("{ pct = 3, floor = 0, ceiling = -5 }"), "ceiling = -5: must not be negative"},
		{"negative ceiling in an exception", fallback + "[cluster.x]\ndrain = { pct = 3, ceiling = -1 }\n", "cluster x: drain: ceiling = -1: must not be negative"},
		{"negative floor", arch("{ pct = 3, floor = -1 }"), "floor = -1: must not be negative"},
		{"negative max", arch("{ max = -1 }"), "max = -1: must not be negative"},
		{"negative cooldown", fallback + "[verb.reboot]\ncooldown = \"-30m\"\n", `last key "verb.reboot.cooldown"): duration "-30m": must not be negative`},
		{"negative verb lease", fallback + "[verb.drain]\nlease = \"-2h\"\n", `last key "verb.drain.lease"): duration "-2h": must not be negative`},
		{"zero verb lease", fallback + "[verb.drain]\nlease = \"0s\"\n", "[verb.drain] lease: must be a positive duration"},
		{"negative lease", "lease = \"-1h\"\n" + fallback, `last key "lease"): duration "-1h": must not be negative`},
		{"negative force_lease", "force_lease = \"-4h\"\n" + fallback, `last key "force_lease"): duration "-4h": must not be negative`},
		{"negative days", "lease = \"-1d\"\n" + fallback, `duration "-1d": must not be negative`},
		{"negative part", "lease = \"1d-1h\"\n" + fallback, `duration "1d-1h": must not be negative`},
		{"negative max_evidence_age", "max_evidence_age = \"-30m\"\n" + fallback, `last key "max_evidence_age"): duration "-30m": must not be negative`},
		{"negative evidence_age", "[evidence_age]\nhdfs = \"-1h\"\n" + fallback, `last key "evidence_age.hdfs"): duration "-1h": must not be negative`},
		{"negative rate window", fallback + "[verb.drain]\nrate = \"5/-1h\"\n", `[verb.drain] rate: "5/-1h": "-1h" is not a positive duration`},
		{"negative rate count", fallback + "[verb.drain]\nrate = \"-5/1h\"\n", `[verb.drain] rate: "-5/1h": "-5" is not a count`},
		{"empty executor", "executor = [\"\"]\n" + fallback, `executor = [""]: the program (its first word) is empty`},
		{"blank executor", "executor = [\"  \", \"--hosts\"]\n" + fallback, `executor = ["  " "--hosts"]: the program (its first word) is empty`},
		{"empty verb executor", fallback + "[verb.reboot]\nexecutor = [\"\", \"x\"]\n", `[verb.reboot] executor = ["" "x"]: the program (its first word) is empty`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.text))
			require.ErrorIs(t, err, ErrInvalid)
			assert.ErrorContains(t, err, c.want)
		})
	}
}

// TestParseNoCeilingAndNoExecutor: only a missing key means "no
// ceiling", and executor = [] gives a verb no executor.
func TestParseNoCeilingAndNoExecutor(t *testing.T) {
	p, err := Parse([]byte("executor = [\"/bin/true\"]\n[[archetype]]\nname = \"d\"\ndrain = { pct = 50, floor = 0 }\nreboot = { pct = 50, ceiling = 0, floor = 0 }\n[verb.reboot]\nexecutor = []\ncooldown = \"0s\"\n"))
	require.NoError(t, err)
	drain := p.Archetypes[0].Budgets["drain"].Cap(1000)
	assert.Equal(t, 500, drain.Cap)
	assert.Equal(t, "50% of 1000 = 500 (floor 0, ceiling none)", drain.String())
	assert.Equal(t, 0, p.Archetypes[0].Budgets["reboot"].Cap(1000).Cap, "ceiling = 0 is a cap of 0")
	assert.Equal(t, []string{"/bin/true"}, p.Rules("drain").Executor)
	assert.Empty(t, p.Rules("reboot").Executor)
	assert.Zero(t, p.Rules("reboot").Cooldown)
}

package policy

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func constraintTOML(health, archetype, exception string) string {
	return health + `
[[archetype]]
name = "d"
any = { pct = 6 }
` + archetype + `
[cluster."smf1-c1"]
` + exception + "\n"
}

func TestParseConstraints(t *testing.T) {
	p, err := Parse([]byte(constraintTOML(`health = 'lifecycle = "active"'`,
		`min_healthy = "95%"
min_capacity = [{ attr = "hdfs.capacity_bytes", pct = 80 }, { attr = "cores", min = 2000 }]
max_undrained_down = 2`, `min_healthy = 390`)))
	require.NoError(t, err)
	c := p.Archetypes[0].Constraints
	require.Equal(t, "95%", c.MinHealthy.String())
	require.Equal(t, 392, c.MinHealthy.Of(412)) // 391.4 rounds up
	require.Equal(t, 2, c.MaxUndrainedDown)
	require.Len(t, c.MinCapacity, 2)
	require.Equal(t, 80.0, *c.MinCapacity[0].Pct)
	require.Equal(t, 2000.0, *c.MinCapacity[1].Min)
	// The exception replaces min_healthy and inherits the rest.
	e := p.constraintsOf("d", p.Clusters["smf1-c1"])
	require.Equal(t, 390, e.MinHealthy.Of(412))
	require.Equal(t, 2, e.MaxUndrainedDown)
	require.Len(t, e.MinCapacity, 2)
	other := p.constraintsOf("d", p.Clusters["smf1-c2"])
	require.Equal(t, 392, other.MinHealthy.Of(412))
	// No constraint at all: none applies.
	p, err = Parse([]byte(constraintTOML("", "", "")))
	require.NoError(t, err)
	require.True(t, p.constraintsOf("d", p.Clusters["smf1-c1"]).IsZero())
}

func TestClassifyCarriesConstraints(t *testing.T) {
	p, err := Parse([]byte(constraintTOML(`health = "all"`, "max_undrained_down = 1", "max_undrained_down = 4")))
	require.NoError(t, err)
	pass := fleetOf(map[string]int{"smf1-c1": 3, "smf1-c2": 4}).Newest()
	classes, err := p.Classify(context.Background(), pass, mustClusters(t, pass), "reboot")
	require.NoError(t, err)
	require.Equal(t, 4, classes["smf1-c1"].Constraints.MaxUndrainedDown)
	require.Equal(t, 1, classes["smf1-c2"].Constraints.MaxUndrainedDown)
}

func TestMinCountRounding(t *testing.T) {
	for _, c := range []struct {
		pct        float64
		size, want int
	}{{95, 412, 392}, {50, 10, 5}, {50, 11, 6}, {0, 100, 0}, {100, 7, 7}, {33.3333, 3, 1}, {0.0001, 1, 1}} {
		require.Equal(t, c.want, MinCount{Pct: c.pct}.Of(c.size), "%v%% of %d", c.pct, c.size)
	}
	require.Equal(t, 390, MinCount{Count: 390, Pct: -1}.Of(412))
}

func TestParseConstraintErrors(t *testing.T) {
	health := `health = 'lifecycle = "active"'`
	for _, c := range []struct{ health, arch, exc, want string }{
		{"", "min_healthy = 3", "", "archetype d: min_healthy needs the policy's health expression"},
		{"", "", "min_healthy = 3", "cluster smf1-c1: min_healthy needs the policy's health expression"},
		{health, "min_healthy = -1", "", "min_healthy = -1: must be a count from 0"},
		{health, `min_healthy = "101%"`, "", `min_healthy = "101%": expected a count (390) or a percentage`},
		{health, `min_healthy = "ninety"`, "", `min_healthy = "ninety"`},
		{health, `min_healthy = 9.5`, "", `min_healthy = 9.5: expected a count`},
		{health, `min_capacity = [{ attr = "cores" }]`, "", `archetype d: min_capacity[0]: attr "cores": give exactly one of pct`},
		{health, `min_capacity = [{ attr = "cores", pct = 5, min = 3 }]`, "", `give exactly one of pct`},
		{health, `min_capacity = [{ pct = 5 }]`, "", `archetype d: min_capacity[0]: attr is required`},
		{health, `min_capacity = [{ attr = "cores", pct = 120 }]`, "", `pct = 120: must be between 0 and 100`},
		{health, `min_capacity = [{ attr = "cores", min = -1 }]`, "", `min = -1: must be a number from 0`},
		{health, `min_capacity = [{ attr = "cores", min = 1 }, { attr = "cores", pct = 1 }]`, "", `attr "cores" given twice`},
		{health, `min_capacity = [{ attr = "cores", mn = 1 }]`, "", `unknown key archetype.min_capacity.mn`},
		{health, `max_undrained_down = -2`, "", `archetype d: max_undrained_down = -2: must not be negative`},
		{health, "", `max_undrained = 2`, `unknown key cluster.smf1-c1.max_undrained`},
	} {
		_, err := Parse([]byte(constraintTOML(c.health, c.arch, c.exc)))
		require.ErrorIs(t, err, ErrInvalid, c.want)
		require.Contains(t, err.Error(), c.want)
	}
}

func TestCapacityAttrRefs(t *testing.T) {
	p, err := Parse([]byte(constraintTOML("", `min_capacity = [{ attr = "cores", min = 1 }]`, `min_capacity = [{ attr = "gpus", pct = 50 }]`)))
	require.NoError(t, err)
	var got []AttrRef
	for _, r := range p.AttrRefs() {
		if r.Key == "min_capacity.attr" {
			got = append(got, r)
		}
	}
	require.Equal(t, []AttrRef{{"min_capacity.attr", "cores", 5, ""}, {"min_capacity.attr", "gpus", 7, ""}}, got)
}

package query_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query"
)

func why(t *testing.T, text, host string) *query.WhyReport {
	t.Helper()
	f := smallFleet()
	env := &query.Env{Snap: f.Snapshot()}
	st, err := parse(env, text)
	require.NoError(t, err, text)
	rep, err := query.Why(env, st, host, f.ID(host))
	require.NoError(t, err, text)
	assert.Nil(t, env.Trace, "Why leaves no trace behind")
	return rep
}

// The verdict names the term that decided, for every operator.
func TestWhyVerdict(t *testing.T) {
	for _, c := range []struct{ expr, host, verdict string }{
		{"all - dead", "h1", "removed by - dead (the host is in it)"},
		{"all - dead", "h2", "in: brought in by all; kept: not in dead"},
		{"a & b", "h4", "in: brought in by a; kept: also in b"},
		{"a & b", "h2", "removed by & b (the host is not in it)"},
		{"a & b", "h1", "not in a"},
		{"a + b", "h1", "in: brought in by + b"},
		{"a + b", "h2", "in: brought in by a"},
		{"a + b", "h3", "in neither a nor b"},
		{"a ^ b", "h4", "removed by ^ b (in both sides or neither)"},
		{"a ^ b", "h2", "in exactly one side of ^ b"},
		{"all - dead & a + b", "h1", "in: brought in by + b"},
		{"all - dead & a + b", "h2", "in: brought in by all; kept: not in dead; kept: also in a"},
		{"all - dead & a + b", "h3", "in neither all - dead & a nor b"},
		{"all - (dead + a)", "h4", "removed by - (dead + a) (the host is in it)"},
		{"a | head 1", "h4", "h4 was selected by the expression but not kept by the pipeline stages (head 1)"},
	} {
		assert.Equal(t, c.verdict, why(t, c.expr, c.host).Verdict, "%s for %s", c.expr, c.host)
	}
}

// Every node of a short expression is a step, with the host's membership
// and, for a predicate, the host's value.
func TestWhySteps(t *testing.T) {
	rep := why(t, `all - dead & (role = "web")`, "h4")
	var got []string
	for _, s := range rep.Steps {
		got = append(got, fmt.Sprintf("%d %s %v [%s] %v", s.Depth, s.Text, s.In, s.Value, s.Last))
	}
	assert.Equal(t, []string{
		`0 all - dead & role = "web" true [] true`,
		`1 all - dead true [] false`,
		`2 all true [] false`,
		`2 dead false [] true`,
		`1 role = "web" true [web] true`,
	}, got)
	assert.True(t, rep.In)
	assert.Equal(t, int64(2), rep.Pass)
}

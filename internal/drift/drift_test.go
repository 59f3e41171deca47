package drift

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

// values are what the random hosts declare and observe: few, so values
// collide, and two that one glob matches.
var values = []string{"a1", "a2", "b1", "c"}

// randomCase is a random fleet (one declared attribute d, up to three
// observers o1..o3, a host set crit) and random [drift] rules, as the
// policy text a user would write.
type randomCase struct {
	hosts     []string
	declared  map[string]string
	observed  []map[string]string // per observer, host → value
	observers []string
	crit      map[string]bool
	rules     []string // the [[drift.rule]] tables
}

func newRandomCase(r *rand.Rand) *randomCase {
	c := &randomCase{declared: map[string]string{}, crit: map[string]bool{}}
	n := 1 + r.IntN(60)
	for i := range n {
		h := fmt.Sprintf("h%03d", i)
		c.hosts = append(c.hosts, h)
		if r.IntN(5) > 0 {
			c.declared[h] = values[r.IntN(len(values))]
		}
		if r.IntN(4) == 0 {
			c.crit[h] = true
		}
	}
	for i := range 1 + r.IntN(3) {
		c.observers = append(c.observers, "o"+strconv.Itoa(i+1))
		m := map[string]string{}
		if r.IntN(6) > 0 { // else: an observer no host has
			for _, h := range c.hosts {
				switch {
				case r.IntN(3) == 0: // not reported
				case r.IntN(3) > 0 && c.declared[h] != "":
					m[h] = c.declared[h]
				default:
					m[h] = values[r.IntN(len(values))]
				}
			}
		}
		c.observed = append(c.observed, m)
	}
	for i := range r.IntN(5) {
		c.rules = append(c.rules, randomRule(r, i))
	}
	return c
}

func randomRule(r *rand.Rand, i int) string {
	pick := func() string {
		switch r.IntN(4) {
		case 0:
			return `"a*"`
		case 1:
			return `["` + values[r.IntN(len(values))] + `", "` + values[r.IntN(len(values))] + `"]`
		}
		return `"` + values[r.IntN(len(values))] + `"`
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[[drift.rule]]\nname = \"r%d\"\n", i)
	if r.IntN(2) == 0 {
		b.WriteString("attr = \"d\"\n")
	}
	if r.IntN(3) == 0 {
		b.WriteString("hosts = 'crit'\n")
	}
	if r.IntN(2) == 0 {
		b.WriteString("declared = " + pick() + "\n")
	}
	if r.IntN(4) == 0 {
		b.WriteString("declared_regex = '^[ab]'\n")
	}
	class := []string{"safe", "risky"}[r.IntN(2)]
	if class == "safe" || r.IntN(2) == 0 {
		if r.IntN(4) == 0 {
			b.WriteString("observed_regex = '2$'\n")
		} else {
			b.WriteString("observed = " + pick() + "\n")
		}
	}
	b.WriteString("class = \"" + class + "\"\n")
	return b.String()
}

func (c *randomCase) policy(t *testing.T) *policy.Policy {
	text := "[[archetype]]\nname = \"all\"\nany = { pct = 5 }\n\n[drift]\nd = [\"" + strings.Join(c.observers, `", "`) + "\"]\n\n" + strings.Join(c.rules, "\n")
	p, err := policy.Parse([]byte(text))
	require.NoError(t, err, text)
	return p
}

func (c *randomCase) fleet() *querytest.Fleet {
	f := querytest.NewFleet()
	p := f.NewPass().AddHosts(c.hosts...)
	crit := []string{}
	for h := range c.crit {
		crit = append(crit, h)
	}
	p.AddSet("crit", crit...)
	if len(c.declared) > 0 {
		p.SetString("d", c.declared)
	}
	for i, o := range c.observers {
		if len(c.observed[i]) > 0 {
			p.SetString(o, c.observed[i])
		}
	}
	return f
}

// naive is the reference: host by host, the rules in order, as
// docs/windows.md says it.
type naive struct {
	part        map[string]string // host → agree, drifted, unobserved, undeclared
	class, rule map[string]string
}

func (c *randomCase) naive(p *policy.Policy) naive {
	n := naive{part: map[string]string{}, class: map[string]string{}, rule: map[string]string{}}
	for _, h := range c.hosts {
		var obs []string
		for i := range c.observers {
			if v, ok := c.observed[i][h]; ok {
				obs = append(obs, v)
			}
		}
		d, declared := c.declared[h]
		switch {
		case !declared && len(obs) > 0:
			n.part[h] = "undeclared"
		case !declared:
		case len(obs) == 0:
			n.part[h] = "unobserved"
		case !slices.ContainsFunc(obs, func(v string) bool { return v != d }):
			n.part[h] = "agree"
		default:
			n.part[h] = "drifted"
			n.class[h], n.rule[h] = c.naiveClass(p, h, d, obs)
		}
	}
	return n
}

func (c *randomCase) naiveClass(p *policy.Policy, h, d string, obs []string) (string, string) {
	for _, v := range obs {
		if v != obs[0] {
			return policy.DriftRisky, ConflictRule
		}
	}
	for _, r := range p.Drift.Rules {
		if (r.Attr == "" || r.Attr == "d") && globs(r.Declared, d) && globs(r.Observed, obs[0]) &&
			(r.DeclaredRegex == nil || r.DeclaredRegex.MatchString(d)) &&
			(r.ObservedRegex == nil || r.ObservedRegex.MatchString(obs[0])) &&
			(r.Hosts == "" || c.crit[h]) {
			return r.Class, r.Name
		}
	}
	return policy.DriftRisky, policy.DriftDefaultRule
}

func globs(gs []string, v string) bool {
	if len(gs) == 0 {
		return true
	}
	for _, g := range gs {
		if ok, _ := path.Match(g, v); ok {
			return true
		}
	}
	return false
}

// TestComputeReference checks Compute's partition (agree, drifted,
// unobserved, undeclared; safe, risky) and each drifted host's class
// and rule against the naive reference on random fleets and rules.
// FLEETQ_DRIFT_SEED replays a seed.
func TestComputeReference(t *testing.T) {
	seed := rand.Uint64()
	if s := os.Getenv("FLEETQ_DRIFT_SEED"); s != "" {
		var err error
		seed, err = strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
	}
	t.Logf("seed %d (FLEETQ_DRIFT_SEED=%d replays it)", seed, seed)
	r := rand.New(rand.NewPCG(seed, 16))
	for i := range 500 {
		c := newRandomCase(r)
		p := c.policy(t)
		f := c.fleet()
		rep, err := Compute(context.Background(), f.Snapshot(), &p.Drift, nil)
		require.NoError(t, err)
		require.Len(t, rep.Attrs, 1)
		a := rep.Attrs[0]
		want := c.naive(p)
		msg := fmt.Sprintf("case %d: %+v\nrules:\n%s", i, c, strings.Join(c.rules, "\n"))
		for part, bm := range map[string][]string{"agree": f.Names(a.Agree), "drifted": f.Names(a.Drifted),
			"unobserved": f.Names(a.Unobserved), "undeclared": f.Names(a.Undeclared)} {
			assert.Equal(t, hostsIn(want.part, part), nilIfEmpty(bm), "%s: %s", part, msg)
		}
		assert.Equal(t, hostsIn(want.class, policy.DriftSafe), nilIfEmpty(f.Names(a.Safe)), "safe: %s", msg)
		assert.Equal(t, hostsIn(want.class, policy.DriftRisky), nilIfEmpty(f.Names(a.Risky)), "risky: %s", msg)
		require.Len(t, a.Hosts, len(hostsIn(want.part, "drifted")), msg)
		for j, h := range a.Hosts {
			if j > 0 {
				assert.Less(t, a.Hosts[j-1].Host, h.Host, "name order")
			}
			assert.Equal(t, want.class[h.Host], h.Class, "%s: %s", h.Host, msg)
			assert.Equal(t, want.rule[h.Host], h.Rule, "%s: %s", h.Host, msg)
			assert.Equal(t, c.declared[h.Host], h.Declared)
			for _, o := range h.Observed {
				k := slices.Index(c.observers, o.Attr)
				assert.Equal(t, c.observed[k][h.Host], o.Value)
			}
		}
		if t.Failed() {
			return
		}
	}
}

func hostsIn(m map[string]string, v string) []string {
	var out []string
	for h, x := range m {
		if x == v {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestComputeEdges: an ATTR the policy does not map, no [drift] at all,
// and a rule whose hosts expression does not evaluate are errors; an
// attribute no host has is a note, not an error.
func TestComputeEdges(t *testing.T) {
	f := querytest.NewFleet()
	f.NewPass().SetString("kernel", map[string]string{"h1": "5.15", "h2": "6.8"}).
		SetString("node_uname.release", map[string]string{"h1": "5.14", "h2": "6.8"})
	parse := func(text string) *policy.Policy {
		p, err := policy.Parse([]byte("[[archetype]]\nname = \"all\"\nany = { pct = 5 }\n" + text))
		require.NoError(t, err, text)
		return p
	}
	p := parse("[drift]\nkernel = [\"node_uname.release\", \"k8s.kernel\"]\n[[drift.rule]]\nname = \"x\"\nhosts = 'nosuch'\nclass = \"risky\"\n")
	_, err := Compute(context.Background(), f.Snapshot(), &p.Drift, []string{"serial"})
	assert.EqualError(t, err, `"serial" is not a declared attribute of the policy's [drift] (expected one of kernel)`)
	_, err = Compute(context.Background(), f.Snapshot(), &p.Drift, nil)
	var re *RuleError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "x", re.Rule)

	p = parse("[drift]\nkernel = [\"node_uname.release\", \"k8s.kernel\"]\n")
	rep, err := Compute(context.Background(), f.Snapshot(), &p.Drift, []string{"kernel", "kernel"})
	require.NoError(t, err)
	require.Len(t, rep.Attrs, 1, "an attribute asked twice is reported once")
	a := rep.Attrs[0]
	assert.Equal(t, []string{"no host of pass 1 has k8s.kernel"}, a.Notes)
	assert.Equal(t, []string{"h1"}, f.Names(a.Drifted))
	assert.Equal(t, []string{"h1"}, f.Names(a.Risky))
	assert.Equal(t, policy.DriftDefaultRule, a.Hosts[0].Rule)
	assert.Equal(t, []string{"h2"}, f.Names(a.Agree))

	_, err = Compute(context.Background(), f.Snapshot(), &parse("").Drift, nil)
	assert.ErrorContains(t, err, "the policy has no [drift] section")
}

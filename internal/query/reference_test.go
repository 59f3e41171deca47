package query_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

var refSeed = flag.Uint64("query.seed", 0, "seed for TestReference (0: from the clock, printed)")

// refNode is a generated expression: a set name, or op over two nodes.
type refNode struct {
	name string
	op   byte
	l, r *refNode
}

// TestReference checks Parse+Run on thousands of random set expressions
// against a naive map evaluator that applies the four operators left to
// right at one precedence.
func TestReference(t *testing.T) {
	seed := *refSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -query.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	for round := 0; round < 12; round++ {
		f, sets := randomFleet(rng)
		env := &query.Env{Snap: f.Snapshot(), Seed: seed}
		for i := 0; i < 200; i++ {
			n := randomTree(rng, sets, 1+rng.IntN(5))
			text := printRef(rng, n, false)
			st, err := query.Parse(text)
			require.NoError(t, err, "seed %d: %q", seed, text)
			r, err := query.Run(env, st)
			require.NoError(t, err, "seed %d: %q", seed, text)
			want := evalRef(n, sets)
			require.Equal(t, want, f.Names(r.Hosts), "seed %d: %q (canonical %q)", seed, text, st.String())
		}
	}
}

func randomFleet(rng *rand.Rand) (*querytest.Fleet, map[string]map[string]bool) {
	f := querytest.NewFleet()
	p := f.NewPass()
	sets := map[string]map[string]bool{"all": {}}
	var hosts []string
	for i := 0; i < 30; i++ {
		h := fmt.Sprintf("h%02d", rng.IntN(100))
		hosts = append(hosts, h)
		sets["all"][h] = true
	}
	p.AddHosts(hosts...)
	names := []string{"a", "b", "dead-reboot", "c.x", "d_1", "e"}[:4+rng.IntN(3)]
	for _, name := range names {
		sets[name] = map[string]bool{}
		var members []string
		for _, h := range hosts {
			if rng.IntN(2) == 0 {
				members = append(members, h)
				sets[name][h] = true
			}
		}
		p.AddSet(name, members...)
	}
	return f, sets
}

func randomTree(rng *rand.Rand, sets map[string]map[string]bool, depth int) *refNode {
	if depth == 0 || rng.IntN(4) == 0 {
		names := make([]string, 0, len(sets))
		for n := range sets {
			names = append(names, n)
		}
		sort.Strings(names)
		return &refNode{name: names[rng.IntN(len(names))]}
	}
	return &refNode{op: "+-&^"[rng.IntN(4)], l: randomTree(rng, sets, depth-1), r: randomTree(rng, sets, depth-1)}
}

// printRef writes n as text: a binary right operand needs parentheses
// (left association); anything else sometimes gets redundant ones. The
// spacing varies where the language allows it.
func printRef(rng *rand.Rand, n *refNode, needParens bool) string {
	var s string
	if n.op == 0 {
		s = n.name
	} else {
		op := " " + string(n.op) + " "
		switch {
		case n.op == '-' && rng.IntN(4) == 0:
			op = " -" // a -b is a difference too
		case n.op != '-' && rng.IntN(2) == 0:
			op = string(n.op)
		}
		s = printRef(rng, n.l, false) + op + printRef(rng, n.r, n.r.op != 0)
	}
	if needParens || rng.IntN(8) == 0 {
		s = "(" + s + ")"
	}
	return s
}

func evalRef(n *refNode, sets map[string]map[string]bool) []string {
	m := evalRefSet(n, sets)
	out := make([]string, 0, len(m))
	for h := range m {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

func evalRefSet(n *refNode, sets map[string]map[string]bool) map[string]bool {
	if n.op == 0 {
		return sets[n.name]
	}
	l, r := evalRefSet(n.l, sets), evalRefSet(n.r, sets)
	out := map[string]bool{}
	for h := range sets["all"] {
		in := map[byte]bool{'+': l[h] || r[h], '-': l[h] && !r[h], '&': l[h] && r[h], '^': l[h] != r[h]}[n.op]
		if in {
			out[h] = true
		}
	}
	return out
}

// The reference evaluator itself reads left-associative text the way the
// spec says: a chain of comm steps.
func TestReferencePrinterIsLeftAssociative(t *testing.T) {
	a, b, c := &refNode{name: "all"}, &refNode{name: "x"}, &refNode{name: "y"}
	n := &refNode{op: '&', l: &refNode{op: '-', l: a, r: b}, r: c}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 20; i++ {
		s := printRef(rng, n, false)
		require.False(t, strings.Contains(s, "(x &") || strings.Contains(s, "(x&"), s)
	}
}

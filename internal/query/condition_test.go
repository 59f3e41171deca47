package query_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

const shape = " (a condition is count(EXPR) OP N, OP one of == != < <= > >=)"

// conditionTests: input, canonical String() (empty: same as input), and
// the exact error. Every success is also a printer round trip.
var conditionTests = []struct {
	in, want, err string
}{
	{in: "count(a) == 0"},
	{in: "count(a & this) == 0"},
	{in: "count(a) = 0", want: "count(a) == 0"},
	{in: "count(a)!=3", want: "count(a) != 3"},
	{in: "count(a) < 3"},
	{in: "count(a) <= 3"},
	{in: "count(a) > 3"},
	{in: "count(a) >= 3"},
	{in: "count((a - b) & c) > 0", want: "count(a - b & c) > 0"},
	{in: `count(role = "kafka" & under_replicated) == 0`},
	{in: "count(a or b) == 0", want: "count(a + b) == 0"},
	{in: "count(a)", err: "1:9: unexpected end of input" + shape},
	{in: "count(a) == 1.5", err: "1:1: count(…) == 1.5: a count compares with a whole number" + shape},
	{in: "count(a) == 18446744073709551616", err: "1:1: count(…) == 18446744073709551616: a count compares with a whole number" + shape},
	{in: `count(rollout:r1/w0 & "h[1-3]"@-1) != 0`, want: `count(rollout:r1/w0 & ("h[1-3]")@-1) != 0`},
	{in: "count(a) == -1", err: "1:13: unexpected token \"-\"" + shape},
	{in: "count(a | count) == 0", err: "1:9: a pipeline stage (|) is only allowed at the top level, not inside parentheses"},
	{in: "a == 0", err: "1:1: unexpected token \"a\"" + shape},
	{in: "count(a) == 0 and count(b) == 0", err: "1:15: unexpected token \"and\"" + shape},
}

func TestParseCondition(t *testing.T) {
	for _, tt := range conditionTests {
		c, err := query.ParseCondition(tt.in)
		if tt.err != "" {
			require.Error(t, err, tt.in)
			assert.Equal(t, tt.err, err.Error(), tt.in)
			var qe *query.Error
			assert.ErrorAs(t, err, &qe, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		want := tt.want
		if want == "" {
			want = tt.in
		}
		assert.Equal(t, want, c.String(), tt.in)
		again, err := query.ParseCondition(c.String())
		require.NoError(t, err, tt.in)
		assert.Equal(t, c.String(), again.String(), tt.in)
	}
}

// FuzzParseCondition: no input panics; whatever parses prints to text
// that parses to the same text.
func FuzzParseCondition(f *testing.F) {
	for _, tt := range conditionTests {
		f.Add(tt.in)
	}
	for _, in := range query.ParseTestInputs() {
		f.Add("count(" + in + ") == 0")
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := query.ParseCondition(in)
		if err != nil {
			if _, ok := err.(*query.Error); !ok {
				t.Fatalf("%q: error %T is not *Error", in, err)
			}
			return
		}
		again, err := query.ParseCondition(c.String())
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", in, c.String(), err)
		}
		if again.String() != c.String() {
			t.Fatalf("%q: %q reprints as %q", in, c.String(), again.String())
		}
	})
}

// The condition against a naive count on random sets, every operator, with
// `this` bound as a gate binds it.
func TestEvalConditionAgainstNaiveCount(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	ops := []string{"==", "!=", "<", "<=", ">", ">="}
	for round := 0; round < 200; round++ {
		f := querytest.NewFleet()
		p := f.NewPass()
		var bad, mine []string
		for i := 0; i < 20; i++ {
			h := fmt.Sprintf("h%02d", i)
			p.AddHosts(h)
			if rng.IntN(3) == 0 {
				bad = append(bad, h)
			}
			if rng.IntN(2) == 0 {
				mine = append(mine, h)
			}
		}
		p.AddSet("under_replicated", bad...)
		this := f.Bitmap(mine...)
		want := roaring.And(f.Bitmap(bad...), this).GetCardinality()
		op, n := ops[rng.IntN(len(ops))], uint64(rng.IntN(6))
		c, err := query.ParseCondition(fmt.Sprintf("count(under_replicated & this) %s %d", op, n))
		require.NoError(t, err)
		env := &query.Env{Snap: f.Snapshot(), Bindings: map[string]*roaring.Bitmap{"this": this}}
		got, ok, err := query.EvalCondition(env, c)
		require.NoError(t, err)
		assert.Equal(t, want, got, "seed %d round %d", seed, round)
		assert.Equal(t, naiveHolds(op, want, n), ok, "seed %d round %d: %d %s %d", seed, round, want, op, n)
	}
}

func naiveHolds(op string, a, b uint64) bool {
	return map[string]bool{"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
}

// An unknown name in a condition fails closed with the checker's error,
// and nothing is evaluated.
func TestConditionUnknownNameFailsClosed(t *testing.T) {
	f := querytest.NewFleet()
	f.NewPass().AddSet("under_replicated", "h1")
	c, err := query.ParseCondition("count(under_replicatd & this) == 0")
	require.NoError(t, err)
	_, _, err = query.EvalCondition(&query.Env{Snap: f.Snapshot(), Bindings: map[string]*roaring.Bitmap{"this": roaring.New()}}, c)
	require.ErrorIs(t, err, query.ErrUnknownName)
	assert.Contains(t, err.Error(), "did you mean under_replicated?")
}

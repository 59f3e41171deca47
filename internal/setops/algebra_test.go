package setops

import (
	"flag"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"
)

// seedFlag fixes the seed of the randomised tests; 0 picks one from the clock.
// Every randomised test logs its seed so a failure can be replayed with
// go test -run TestName -setops.seed=N.
var seedFlag = flag.Uint64("setops.seed", 0, "seed for randomised setops tests (0 = from the clock)")

// testRNG returns a seeded rng for t and logs the seed.
func testRNG(t testing.TB) *rand.Rand {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed: %d (replay with -setops.seed=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed))
}

// refSet is the naive reference representation of a host set.
type refSet map[uint32]bool

// randomSet returns a random set of 0..5000 members of random density, as a
// bitmap and as a reference map. Some sets are empty, some are dense ranges.
func randomSet(rng *rand.Rand) (*roaring.Bitmap, refSet) {
	bm, ref := roaring.New(), refSet{}
	add := func(x uint32) { bm.Add(x); ref[x] = true }
	switch rng.IntN(8) {
	case 0: // empty
	case 1: // one dense range, possibly straddling a 65536 container boundary
		lo := uint32(rng.IntN(200_000))
		for x := lo; x < lo+uint32(rng.IntN(5001)); x++ {
			add(x)
		}
	default:
		size := rng.IntN(5001)
		span := uint32(size*(1+rng.IntN(100))) + 1
		base := uint32(rng.IntN(3)) << 16
		for range size {
			add(base + rng.Uint32N(span))
		}
	}
	return bm, ref
}

// sorted returns the members of ref in ascending order.
func (ref refSet) sorted() []uint32 {
	out := make([]uint32, 0, len(ref))
	for x := range ref {
		out = append(out, x)
	}
	slices.Sort(out)
	return out
}

func TestAlgebraMatchesReference(t *testing.T) {
	rng := testRNG(t)
	ops := []struct {
		name string
		fn   func(a, b *roaring.Bitmap) *roaring.Bitmap
		in   func(inA, inB bool) bool
	}{
		{"Union", Union, func(a, b bool) bool { return a || b }},
		{"Difference", Difference, func(a, b bool) bool { return a && !b }},
		{"Intersection", Intersection, func(a, b bool) bool { return a && b }},
		{"SymDiff", SymDiff, func(a, b bool) bool { return a != b }},
	}
	iterations := 1000
	if testing.Short() {
		iterations = 200
	}
	for i := range iterations {
		a, refA := randomSet(rng)
		b, refB := randomSet(rng)
		both := refSet{}
		for x := range refA {
			both[x] = true
		}
		for x := range refB {
			both[x] = true
		}
		members := both.sorted()
		for _, op := range ops {
			var want []uint32
			for _, x := range members {
				if op.in(refA[x], refB[x]) {
					want = append(want, x)
				}
			}
			got := op.fn(a, b).ToArray()
			if !slices.Equal(want, got) {
				t.Fatalf("iteration %d: %s(%d members, %d members): got %d members, want %d",
					i, op.name, len(refA), len(refB), len(got), len(want))
			}
		}
	}
}

func TestAlgebraNilIsEmpty(t *testing.T) {
	a := roaring.BitmapOf(1, 2, 3)
	require.Equal(t, []uint32{1, 2, 3}, Union(a, nil).ToArray())
	require.Equal(t, []uint32{1, 2, 3}, Difference(a, nil).ToArray())
	require.True(t, Difference(nil, a).IsEmpty())
	require.True(t, Intersection(nil, a).IsEmpty())
	require.Equal(t, []uint32{1, 2, 3}, SymDiff(nil, a).ToArray())
}

// TestInputsNotMutated runs every function on read-only FromBuffer views and
// on ordinary bitmaps, then mutates each result, and checks the inputs and
// their serialized bytes are unchanged.
func TestInputsNotMutated(t *testing.T) {
	rng := testRNG(t)
	for range 50 {
		a, _ := randomSet(rng)
		b, _ := randomSet(rng)
		a.AddRange(70_000, 80_000) // a run container once optimised
		a.RunOptimize()
		bufA, err := a.ToBytes()
		require.NoError(t, err)
		bufB, err := b.ToBytes()
		require.NoError(t, err)
		origA, origB := slices.Clone(bufA), slices.Clone(bufB)

		viewA, viewB := roaring.New(), roaring.New()
		_, err = viewA.FromBuffer(bufA)
		require.NoError(t, err)
		_, err = viewB.FromBuffer(bufB)
		require.NoError(t, err)

		for _, pair := range [][2]*roaring.Bitmap{{viewA, viewB}, {a, b}, {viewB, viewA}} {
			for _, r := range everyResult(pair[0], pair[1], rng) {
				r.Add(5) // mutating a result must not reach the input
				r.RemoveRange(0, 100_000)
				r.Flip(0, 1000)
			}
		}
		require.Equal(t, origA, bufA, "buffer of a changed")
		require.Equal(t, origB, bufB, "buffer of b changed")
		gotA, err := a.ToBytes()
		require.NoError(t, err)
		require.Equal(t, origA, gotA, "bitmap a changed")
		require.True(t, viewA.Equals(a))
		require.True(t, viewB.Equals(b))
	}
}

// everyResult calls every exported function of the package on a and b.
func everyResult(a, b *roaring.Bitmap, rng *rand.Rand) []*roaring.Bitmap {
	rack := func(id uint32) (uint32, bool) { return id % 7, id%5 != 0 }
	key := func(id uint32) uint64 { return uint64(id) * 0x9e3779b97f4a7c15 }
	out := []*roaring.Bitmap{
		Union(a, b), Difference(a, b), Intersection(a, b), SymDiff(a, b),
		Sample(a, 3, rng), Sample(a, 5000, rng), Sample(a, 1<<30, rng),
		SampleStable(a, 10, key), SampleStable(a, 100, key),
		Spread(a, 2, rack, rng),
		Stratify(a, 1, func(id uint32) string { return string(rune('a' + id%3)) }, rng),
	}
	return append(out, Split(a, 4, rack, rng)...)
}

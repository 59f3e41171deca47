package setops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"
)

// randomCoded draws a set and a code for each of its members, some of
// them absent (a code >= groups).
func randomCoded(rng *rand.Rand) (s *roaring.Bitmap, codes []uint32, groups int) {
	groups = 1 + rng.IntN(300)
	s = roaring.New()
	for range rng.IntN(5000) {
		s.Add(rng.Uint32N(20000))
	}
	for range s.GetCardinality() {
		k := rng.Uint32N(uint32(groups))
		if rng.IntN(10) == 0 {
			k = uint32(groups) + rng.Uint32N(3) // absent, any code at or above groups
		}
		codes = append(codes, k)
	}
	return s, codes, groups
}

// codeOf is the func form of codes, the group of a member by id.
func codeOf(s *roaring.Bitmap, codes []uint32, groups int) func(uint32) (uint32, bool) {
	byID := map[uint32]uint32{}
	for i, id := range s.ToArray() {
		byID[id] = codes[i]
	}
	return func(id uint32) (uint32, bool) {
		k := byID[id]
		return k, k < uint32(groups)
	}
}

// TestCodedVariantsMatch: the coded variants pick exactly what the func
// variants pick from the same partition and seed.
func TestCodedVariantsMatch(t *testing.T) {
	rng := testRNG(t)
	for round := range 300 {
		s, codes, groups := randomCoded(rng)
		n, seed := []int{0, 1, 2, 3, 10 + rng.IntN(60)}[rng.IntN(5)], rng.Uint64() // large n: a reservoir per group
		group := codeOf(s, codes, groups)
		what := fmt.Sprintf("round %d: %d hosts, %d groups, n %d", round, s.GetCardinality(), groups, n)

		want := Spread(s, n, group, rand.New(rand.NewPCG(seed, 0)))
		got := SpreadCodes(s, n, codes, groups, rand.New(rand.NewPCG(seed, 0)))
		require.True(t, want.Equals(got), "spread, %s", what)

		wantB := Split(s, n+1, group, rand.New(rand.NewPCG(seed, 0)))
		gotB := SplitCodes(s, n+1, codes, groups, rand.New(rand.NewPCG(seed, 0)))
		require.Len(t, gotB, len(wantB))
		for i := range wantB {
			require.True(t, wantB[i].Equals(gotB[i]), "split batch %d, %s", i, what)
		}

		keys := make([]uint64, len(codes))
		for i, k := range codes {
			keys[i] = uint64(min(k, uint32(groups)))
		}
		key := func(id uint32) string {
			if k, ok := group(id); ok {
				return fmt.Sprint(k)
			}
			return "absent"

		}
		wantS := Stratify(s, n, key, rand.New(rand.NewPCG(seed, 0)))
		gotS := StratifyKeys(s, n, keys, rand.New(rand.NewPCG(seed, 0)))
		require.True(t, wantS.Equals(gotS), "stratify, %s", what)
	}
}

package setops

import (
	"math"
	"math/rand/v2"

	"github.com/RoaringBitmap/roaring/v2"
)

// selectLimit is the sample size up to which Sample looks members up by rank
// with Bitmap.Select; above it a single ordered walk of s is cheaper.
const selectLimit = 4096

// Sample returns n members chosen uniformly at random (all of s when
// n >= card, none when n <= 0).
//
// It draws n distinct ranks with Floyd's algorithm, so sampling 5 hosts of a
// million touches 5 ranks, not a million-element slice.
func Sample(s *roaring.Bitmap, n int, rng *rand.Rand) *roaring.Bitmap {
	card := orEmpty(s).GetCardinality()
	switch {
	case n <= 0:
		return roaring.New()
	case uint64(n) >= card:
		return clone(s)
	}
	ranks := floyd(card, uint64(n), rng)
	if n <= selectLimit {
		return selectRanks(s, ranks)
	}
	return walkRanks(s, ranks)
}

// floyd draws k distinct ranks in [0, card) uniformly (Floyd's algorithm).
// Ranks fit in uint32 because a bitmap holds at most 2^32 members.
func floyd(card, k uint64, rng *rand.Rand) *roaring.Bitmap {
	ranks := roaring.New()
	for j := card - k; j < card; j++ {
		t := uint32(rng.Uint64N(j + 1))
		if !ranks.CheckedAdd(t) {
			ranks.Add(uint32(j))
		}
	}
	return ranks
}

// selectRanks returns the members of s at the given ranks, one Select each.
func selectRanks(s, ranks *roaring.Bitmap) *roaring.Bitmap {
	out := roaring.New()
	it := ranks.Iterator()
	for it.HasNext() {
		id, err := s.Select(it.Next())
		if err != nil {
			panic("setops: rank out of range: " + err.Error()) // ranks < card by construction
		}
		out.Add(id)
	}
	return out
}

// walkRanks returns the members of s at the given ranks in one ordered walk.
func walkRanks(s, ranks *roaring.Bitmap) *roaring.Bitmap {
	out := roaring.New()
	ids, want := s.Iterator(), ranks.Iterator()
	for rank := uint32(0); want.HasNext(); rank++ {
		id := ids.Next()
		if want.PeekNext() == rank {
			out.Add(id)
			want.Next()
		}
	}
	return out
}

// PercentCount is ceil(pct/100 * card), clamped to [0, card]; pct outside
// [0,100] is clamped to that range and NaN counts as 0. Products that miss an
// integer only by floating-point noise (7% of 100 is 7, not 8) snap to it
// before rounding up.
func PercentCount(card uint64, pct float64) int {
	if math.IsNaN(pct) || pct <= 0 {
		return 0
	}
	if pct >= 100 {
		return int(card)
	}
	x := pct * float64(card) / 100
	if r := math.Round(x); math.Abs(x-r) <= 1e-9*math.Max(1, x) {
		x = r
	}
	return int(min(math.Ceil(x), float64(card)))
}

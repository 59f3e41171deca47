package store

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"
)

// The word index answers what roaring's Rank does, for sets of runs,
// arrays and bitmaps, ids inside, between and beyond the members.
func TestRankerAgreesWithRoaring(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for round := range 40 {
		set := roaring.New()
		n := 1 + rng.IntN(300_000)
		switch round % 3 {
		case 0: // long runs with gaps
			for id := 0; id < n; id++ {
				if rng.IntN(100) != 0 {
					set.Add(uint32(id))
				}
			}
		case 1: // sparse
			for range n / 50 {
				set.Add(rng.Uint32N(uint32(4 * n)))
			}
		default:
			set.AddRange(0, uint64(n))
		}
		set.RunOptimize()
		r := newRanker(set)
		max := uint32(4*n + 130)
		for range 3000 {
			id := rng.Uint32N(max)
			require.Equal(t, set.Rank(id), r.rank(id), "round %d id %d", round, id)
		}
		require.NotNil(t, r.words, "the index is built after %d lookups", rankIndexAfter)
	}
	empty := newRanker(roaring.New())
	for range rankIndexAfter + 5 {
		require.Zero(t, empty.rank(7))
	}
}

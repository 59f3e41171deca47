package store

import (
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2"
)

// rankIndexAfter is how many rank lookups of one attribute go to roaring
// before the attribute builds its word index. roaring's Rank sums the
// cardinality of every container before the id's, and a run container
// counts its runs each time: a presence bitmap of a pass after churn
// holds hundreds of runs per container, so at 5M hosts a lookup cost
// ~25,000 steps (1.4 s of a 100-host drain dry run counting the racks of
// the hosts out). The index is the dense words and a running count per
// word: 1/8 byte per id plus 4 bytes per 64 ids, built in one pass.
const rankIndexAfter = 64

// ranker answers Rank(id) of a set that does not change.
type ranker struct {
	set   *roaring.Bitmap
	calls int
	words []uint64
	cum   []uint32 // cum[i]: members in words[:i]
}

func newRanker(set *roaring.Bitmap) ranker { return ranker{set: set} }

// rank is set.Rank(id): the number of members <= id.
func (r *ranker) rank(id uint32) uint64 {
	if r.words == nil {
		if r.calls++; r.calls <= rankIndexAfter {
			return r.set.Rank(id)
		}
		r.build()
	}
	w := int(id >> 6)
	if w >= len(r.words) {
		return r.set.GetCardinality()
	}
	mask := uint64(2)<<(id&63) - 1 // bits 0..id&63; all ones for 63
	return uint64(r.cum[w]) + uint64(bits.OnesCount64(r.words[w]&mask))
}

func (r *ranker) build() {
	words := r.set.ToDense()
	cum := make([]uint32, len(words))
	n := uint32(0)
	for i, w := range words {
		cum[i] = n
		n += uint32(bits.OnesCount64(w))
	}
	r.words, r.cum = words, cum
	if r.words == nil {
		r.words = []uint64{}
	}
}

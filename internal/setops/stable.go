package setops

import (
	"container/heap"

	"github.com/RoaringBitmap/roaring/v2"
)

// SampleStable keeps ceil(pct% of card) members with the smallest key(id)
// (ties by id), so the same hosts are picked on every pass when key is a hash
// of the host name. It uses no randomness.
func SampleStable(s *roaring.Bitmap, pct float64, key func(id uint32) uint64) *roaring.Bitmap {
	card := orEmpty(s).GetCardinality()
	k := PercentCount(card, pct)
	switch {
	case k == 0:
		return roaring.New()
	case uint64(k) >= card:
		return clone(s)
	}
	h := make(keyedHeap, 0, k)
	it := s.Iterator()
	for it.HasNext() {
		id := it.Next()
		h.offer(keyed{key(id), id}, k)
	}
	return h.bitmap()
}

// keyed is a host id with its sort key.
type keyed struct {
	key uint64
	id  uint32
}

// less orders by key, then by id.
func (a keyed) less(b keyed) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.id < b.id
}

// keyedHeap is a max-heap holding the k smallest entries offered so far.
type keyedHeap []keyed

func (h keyedHeap) Len() int           { return len(h) }
func (h keyedHeap) Less(i, j int) bool { return h[j].less(h[i]) }
func (h keyedHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *keyedHeap) Push(x any)        { *h = append(*h, x.(keyed)) }
func (h *keyedHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// offer adds e if the heap holds fewer than k entries or e is smaller than
// the largest one, which it then evicts.
func (h *keyedHeap) offer(e keyed, k int) {
	switch {
	case len(*h) < k:
		heap.Push(h, e)
	case e.less((*h)[0]):
		(*h)[0] = e
		heap.Fix(h, 0)
	}
}

// bitmap returns the ids held by the heap.
func (h keyedHeap) bitmap() *roaring.Bitmap {
	out := roaring.New()
	for _, e := range h {
		out.Add(e.id)
	}
	return out
}

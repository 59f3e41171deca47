package setops

import (
	"math/rand/v2"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// The *Codes variants take the groups as an array of small integers
// aligned with s (codes[i] is the group of the i-th member of s in
// ascending id order), as a dictionary-encoded attribute gives them, so
// grouping is an array index instead of a map lookup per host. A code >=
// groups means no value: those members form the absent group. Each
// returns exactly what its func variant returns for the same partition,
// groups numbered in value order, and the same rng.

// SpreadCodes is Spread over coded groups. With few enough groups the
// reservoirs are one flat array, n slots per group, so the walk touches
// two arrays and the rng, as BenchmarkSpreadFloor does.
func SpreadCodes(s *roaring.Bitmap, n int, codes []uint32, groups int, rng *rand.Rand) *roaring.Bitmap {
	card := orEmpty(s).GetCardinality()
	switch {
	case n <= 0:
		return roaring.New()
	case uint64(n) >= card:
		return clone(s) // every group is kept whole and no rng is drawn
	case uint64(groups+1)*uint64(n) > 4*card+1024:
		return spreadReservoirs(s, n, codes, groups, rng)
	}
	seen := make([]int, groups+1)
	slots := make([]uint32, (groups+1)*n)
	eachCodedRun(s, codes, groups, func(ids, ks []uint32) {
		for i, id := range ids {
			k := int(ks[i])
			m := seen[k]
			seen[k]++
			if m < n {
				slots[k*n+m] = id
			} else if j := rng.IntN(m + 1); j < n { // reservoir.offer, Algorithm R
				slots[k*n+j] = id
			}
		}
	})
	var picked []uint32
	for k, m := range seen {
		picked = append(picked, slots[k*n:k*n+min(m, n)]...)
	}
	slices.Sort(picked)
	return roaring.BitmapOf(picked...)
}

// spreadReservoirs is SpreadCodes with a reservoir per group, for a large
// n over many groups.
func spreadReservoirs(s *roaring.Bitmap, n int, codes []uint32, groups int, rng *rand.Rand) *roaring.Bitmap {
	pools := make([]reservoir, groups+1)
	eachCodedRun(s, codes, groups, func(ids, ks []uint32) {
		for i, id := range ids {
			pools[ks[i]].offer(id, n, rng)
		}
	})
	var picked []uint32
	for _, r := range pools {
		picked = append(picked, r.ids...)
	}
	slices.Sort(picked)
	return roaring.BitmapOf(picked...)
}

// StratifyKeys is Stratify with the key of each member of s given in
// keys, aligned with s in ascending id order.
func StratifyKeys(s *roaring.Bitmap, n int, keys []uint64, rng *rand.Rand) *roaring.Bitmap {
	i := 0
	return perGroup(s, n, func(uint32) uint64 { k := keys[i]; i++; return k }, rng)
}

// SplitCodes is Split over coded groups.
func SplitCodes(s *roaring.Bitmap, n int, codes []uint32, groups int, rng *rand.Rand) []*roaring.Bitmap {
	i := 0
	return Split(s, n, func(uint32) (uint32, bool) {
		k := codes[i]
		i++
		return k, k < uint32(groups)
	}, rng)
}

// eachCodedRun calls fn with runs of members of s in ascending order and
// their groups, clamped so the absent group is groups.
func eachCodedRun(s *roaring.Bitmap, codes []uint32, groups int, fn func(ids, ks []uint32)) {
	it := orEmpty(s).ManyIterator()
	buf := make([]uint32, 4096)
	ks := make([]uint32, 4096)
	i := 0
	for {
		m := it.NextMany(buf)
		if m == 0 {
			return
		}
		for j, k := range codes[i : i+m] {
			ks[j] = min(k, uint32(groups))
		}
		fn(buf[:m], ks[:m])
		i += m
	}
}

package setops

import (
	"cmp"
	"math/rand/v2"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// Spread keeps at most n members per group, chosen at random. group(id)
// returns the group value and ok=false for hosts without the attribute; those
// form one group of their own, the "absent" group, also capped at n.
func Spread(s *roaring.Bitmap, n int, group func(id uint32) (uint32, bool), rng *rand.Rand) *roaring.Bitmap {
	return perGroup(s, n, groupKeyOf(group), rng)
}

// Stratify picks n members from every distinct group key (canary selection:
// one per sku×role combination); key returns a comparable string key for the
// combination. A group smaller than n is kept whole.
func Stratify(s *roaring.Bitmap, n int, key func(id uint32) string, rng *rand.Rand) *roaring.Bitmap {
	return perGroup(s, n, key, rng)
}

// Split returns n near-equal batches (sizes differ by at most 1) that
// partition s, each spread across the groups given by group: groups are
// dealt round-robin over the batches in a shuffled order, members shuffled
// within each group, so each batch spans racks and a group's members differ
// by at most one between any two batches. n <= 0 gives nil; batches beyond
// the size of s are empty. Deterministic for a given rng.
func Split(s *roaring.Bitmap, n int, group func(id uint32) (uint32, bool), rng *rand.Rand) []*roaring.Bitmap {
	if n <= 0 {
		return nil
	}
	buckets := bucket(s, groupKeyOf(group))
	keys := sortedKeys(buckets)
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	dealt := make([][]uint32, n)
	next := 0
	for _, k := range keys {
		ids := buckets[k]
		rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		for _, id := range ids {
			dealt[next] = append(dealt[next], id)
			next = (next + 1) % n
		}
	}
	batches := make([]*roaring.Bitmap, n)
	for i, ids := range dealt {
		slices.Sort(ids)
		batches[i] = roaring.BitmapOf(ids...)
	}
	return batches
}

// groupKey identifies a group of Spread and Split; all hosts without the
// attribute share the key {0, false}.
type groupKey struct {
	value   uint32
	present bool
}

// compareGroupKeys orders present groups by value and the absent group last.
func compareGroupKeys(a, b groupKey) int {
	if a.present != b.present {
		if a.present {
			return -1
		}
		return 1
	}
	return cmp.Compare(a.value, b.value)
}

// groupKeyOf adapts an attribute lookup to a group key function.
func groupKeyOf(group func(id uint32) (uint32, bool)) func(uint32) groupKey {
	return func(id uint32) groupKey {
		if v, ok := group(id); ok {
			return groupKey{v, true}
		}
		return groupKey{}
	}
}

// perGroup keeps at most n members of each group with reservoir sampling.
// The rng is consumed in ascending id order, so the result depends only on
// the input and the seed, never on map iteration order.
func perGroup[K comparable](s *roaring.Bitmap, n int, key func(uint32) K, rng *rand.Rand) *roaring.Bitmap {
	out := roaring.New()
	if n <= 0 {
		return out
	}
	pools := make(map[K]*reservoir)
	it := orEmpty(s).Iterator()
	for it.HasNext() {
		id := it.Next()
		k := key(id)
		r := pools[k]
		if r == nil {
			r = &reservoir{}
			pools[k] = r
		}
		r.offer(id, n, rng)
	}
	for _, r := range pools {
		out.AddMany(r.ids) // adding is order-independent
	}
	return out
}

// reservoir is a uniform random sample of at most n of the ids offered.
type reservoir struct {
	seen int
	ids  []uint32
}

// offer considers id for the sample (Algorithm R).
func (r *reservoir) offer(id uint32, n int, rng *rand.Rand) {
	r.seen++
	if len(r.ids) < n {
		r.ids = append(r.ids, id)
		return
	}
	if j := rng.IntN(r.seen); j < n {
		r.ids[j] = id
	}
}

// bucket groups the members of s by key, each bucket in ascending id order.
func bucket(s *roaring.Bitmap, key func(uint32) groupKey) map[groupKey][]uint32 {
	buckets := make(map[groupKey][]uint32)
	it := orEmpty(s).Iterator()
	for it.HasNext() {
		id := it.Next()
		k := key(id)
		buckets[k] = append(buckets[k], id)
	}
	return buckets
}

// sortedKeys returns the keys of buckets in compareGroupKeys order.
func sortedKeys(buckets map[groupKey][]uint32) []groupKey {
	keys := make([]groupKey, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareGroupKeys)
	return keys
}

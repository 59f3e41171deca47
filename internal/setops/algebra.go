package setops

import "github.com/RoaringBitmap/roaring/v2"

// Union returns a + b: the hosts in a or in b.
func Union(a, b *roaring.Bitmap) *roaring.Bitmap {
	return roaring.Or(orEmpty(a), orEmpty(b))
}

// Difference returns a - b: the hosts in a and not in b.
func Difference(a, b *roaring.Bitmap) *roaring.Bitmap {
	return roaring.AndNot(orEmpty(a), orEmpty(b))
}

// Intersection returns a & b: the hosts in both a and b.
func Intersection(a, b *roaring.Bitmap) *roaring.Bitmap {
	return roaring.And(orEmpty(a), orEmpty(b))
}

// SymDiff returns a ^ b: the hosts in exactly one of a and b.
func SymDiff(a, b *roaring.Bitmap) *roaring.Bitmap {
	return roaring.Xor(orEmpty(a), orEmpty(b))
}

// orEmpty reads a nil set as the empty set.
func orEmpty(s *roaring.Bitmap) *roaring.Bitmap {
	if s == nil {
		return roaring.New()
	}
	return s
}

// clone returns a copy of s that the caller may own, or an empty set for nil.
func clone(s *roaring.Bitmap) *roaring.Bitmap {
	if s == nil {
		return roaring.New()
	}
	return s.Clone()
}

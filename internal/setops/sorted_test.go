package setops

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The sorted-[]uint32 merge below is the obvious alternative to roaring (and
// what the comm pipeline does over text). It lives in a test file only so the
// benchmarks can compare the two on the same inputs.

// sortedDifference returns a - b for ascending, duplicate-free slices.
func sortedDifference(a, b []uint32) []uint32 {
	out := make([]uint32, 0, len(a))
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j == len(b) || b[j] != x {
			out = append(out, x)
		}
	}
	return out
}

// sortedIntersection returns a & b for ascending, duplicate-free slices.
func sortedIntersection(a, b []uint32) []uint32 {
	out := make([]uint32, 0, min(len(a), len(b)))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// encodeSorted writes ids as little-endian uint32s.
func encodeSorted(ids []uint32) []byte {
	buf := make([]byte, 0, 4*len(ids))
	for _, id := range ids {
		buf = binary.LittleEndian.AppendUint32(buf, id)
	}
	return buf
}

// TestSortedBaseline keeps the benchmark baseline honest against roaring.
func TestSortedBaseline(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for range 200 {
		a, _ := randomSet(rng)
		b, _ := randomSet(rng)
		require.True(t, slices.Equal(Difference(a, b).ToArray(), sortedDifference(a.ToArray(), b.ToArray())))
		require.True(t, slices.Equal(Intersection(a, b).ToArray(), sortedIntersection(a.ToArray(), b.ToArray())))
	}
}

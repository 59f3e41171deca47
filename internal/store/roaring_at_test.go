package store

import (
	"bytes"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"
)

// randomBitmap mixes array, bitset and run containers over a few keys,
// with few or many containers (the run format omits its offset header
// below four).
func randomBitmap(r interface{ IntN(int) int }) *roaring.Bitmap {
	bm := roaring.New()
	for k := 0; k < 1+r.IntN(7); k++ {
		key := uint32(r.IntN(80)) << 16
		switch r.IntN(3) {
		case 0: // sparse: an array
			for i := 0; i < 1+r.IntN(300); i++ {
				bm.Add(key | uint32(r.IntN(1<<16)))
			}
		case 1: // dense: a bitset
			for i := 0; i < 5000+r.IntN(20000); i++ {
				bm.Add(key | uint32(r.IntN(1<<16)))
			}
		default: // runs
			for i := 0; i < 1+r.IntN(20); i++ {
				lo := uint64(key) + uint64(r.IntN(1<<16))
				bm.AddRange(lo, min(lo+uint64(1+r.IntN(3000)), uint64(key)+1<<16))
			}
		}
	}
	if r.IntN(2) == 0 {
		bm.RunOptimize()
	}
	return bm
}

// TestBitmapContainsMatchesRoaring reads random bitmaps inside chunked
// blobs (at an offset, as an attribute blob holds them) and compares
// bitmapContains with roaring's Contains for members, neighbours and
// random ids; a flipped byte is ErrCorrupt or the intact answer.
func TestBitmapContainsMatchesRoaring(t *testing.T) {
	r := blobSeed(t)
	for trial := 0; trial < 200; trial++ {
		bm := randomBitmap(r)
		var buf bytes.Buffer
		_, err := bm.WriteTo(&buf)
		require.NoError(t, err)
		pad := uint64(r.IntN(100))
		data := append(make([]byte, pad), buf.Bytes()...)
		data = append(data, make([]byte, r.IntN(100))...)
		key, value := frameBlob(data, minChunkShift)
		b, ok := parseFrame(key, value, true)
		require.True(t, ok)
		probes := []uint32{0, 1<<32 - 1}
		for i := 0; i < 300; i++ {
			probes = append(probes, uint32(r.IntN(80<<16)))
		}
		it := bm.Iterator()
		for i := 0; it.HasNext() && i < 300; i++ {
			x := it.Next()
			probes = append(probes, x, x+1, x-1)
		}
		for _, x := range probes {
			got, err := bitmapContains(b, pad, uint64(buf.Len()), x)
			require.NoError(t, err, "trial %d", trial)
			require.Equal(t, bm.Contains(x), got, "trial %d: %d", trial, x)
		}
		damaged := append([]byte(nil), value...)
		damaged[len(value)-len(data)+int(pad)+r.IntN(buf.Len())] ^= byte(1 + r.IntN(255))
		if b, ok = parseFrame(key, damaged, true); !ok {
			require.Nil(t, b.sums, "trial %d: only a whole blob fails its open", trial)
			continue
		}
		for _, x := range probes {
			got, err := bitmapContains(b, pad, uint64(buf.Len()), x)
			if err == nil {
				require.Equal(t, bm.Contains(x), got, "trial %d: %d read from a damaged blob", trial, x)
			} else {
				require.ErrorIs(t, err, ErrCorrupt)
			}
		}
	}
}

package store

import (
	"encoding/binary"

	"github.com/RoaringBitmap/roaring/v2"
)

// scanLookupMax is how many names Lookup finds by reading the chunks in
// place rather than building the name → id map: a map of every name costs
// 275 ms and 220 MiB at 1,000,000 hosts; the chunks the host fence names
// (fence.go) cost a few microseconds.
const scanLookupMax = 8

// scanLookup is Lookup by one pass over the verified chunks that may hold
// a wanted name (every chunk without a fence), comparing names in place,
// stopping when every name is found.
func (d *dict) scanLookup(names []string) (*roaring.Bitmap, []string) {
	f := d.hostFence()
	found := make([]bool, len(names))
	out := roaring.New()
	left := len(names)
	for c := uint32(0); c<<chunkBits < d.n && left > 0; c++ {
		if f == nil || f.holdsAny(int(c), names, found) {
			left -= d.findInChunk(c, names, found, out)
		}
	}
	var missing []string
	for i, n := range names {
		if !found[i] {
			missing = append(missing, n)
		}
	}
	return out, missing
}

// findInChunk marks the names not found yet that chunk c holds, adds
// their ids to out and says how many it marked.
func (d *dict) findInChunk(c uint32, names []string, found []bool, out *roaring.Bitmap) int {
	data := d.chunkBytes(c)
	marked := 0
	for i, off := uint32(0), 0; off < len(data); i++ {
		l, k := binary.Uvarint(data[off:])
		if k <= 0 || int(l) > len(data)-off-k {
			break
		}
		name := data[off+k : off+k+int(l)]
		for j, n := range names {
			if !found[j] && len(n) == len(name) && n == string(name) {
				found[j] = true
				out.Add(c<<chunkBits | i)
				marked++
			}
		}
		off += k + int(l)
	}
	return marked
}

// hostFence is the dictionary's fence, read once per host count; nil
// when there is none (or it is damaged: the damage is recorded).
func (d *dict) hostFence() *fence {
	if d.fence != nil && d.fence.n == d.n {
		return d.fence
	}
	f, err := readFence(d.meta, d.n)
	if err != nil {
		d.fail(err)
	}
	d.fence = f
	return f
}

package store

import (
	"bytes"
	"encoding/binary"

	"github.com/RoaringBitmap/roaring/v2"
)

// AppendNames appends the names of the ids in s to buf, one per line, in
// byte order, reading the dictionary chunks in place: no string per host,
// which is what printing a million names costs otherwise. The result is a
// copy, valid after the transaction ends.
func (d *dict) AppendNames(buf []byte, s *roaring.Bitmap) []byte {
	start := len(buf)
	var offs []int
	var data []byte
	cur := ^uint32(0)
	var prev []byte
	sorted := true
	it := s.Iterator()
	for it.HasNext() {
		id := it.Next()
		if c := id >> chunkBits; c != cur {
			cur, data = c, d.chunkBytes(c)
			offs = chunkOffsets(data, offs[:0])
		}
		i := int(id & (chunkSize - 1))
		if i+1 >= len(offs) {
			continue
		}
		name := nameAt(data, offs[i])
		if sorted && prev != nil && bytes.Compare(prev, name) > 0 {
			sorted = false
		}
		prev = name
		buf = append(append(buf, name...), '\n')
	}
	if sorted {
		return buf
	}
	return appendSorted(buf[:start], d.Names(s))
}

// chunkOffsets lists the offset of every entry of a chunk, plus its end.
func chunkOffsets(b []byte, offs []int) []int {
	off := 0
	for off < len(b) {
		offs = append(offs, off)
		l, n := binary.Uvarint(b[off:])
		if n <= 0 || int(l) > len(b)-off-n {
			break
		}
		off += n + int(l)
	}
	return append(offs, off)
}

func nameAt(b []byte, off int) []byte {
	l, n := binary.Uvarint(b[off:])
	return b[off+n : off+n+int(l)]
}

func appendSorted(buf []byte, names []string) []byte {
	for _, n := range names {
		buf = append(append(buf, n...), '\n')
	}
	return buf
}

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

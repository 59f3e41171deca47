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
		if k <= 0 || l > uint64(len(data)-off-k) {
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

// namesOf returns the names of ids (increasing), as Name would. A chunk
// decoded already, or of which many names are asked, goes through Name
// (decoded once and kept); of another only the names asked for are copied,
// reading its bytes in place: a few thousand names spread over a million
// hosts cost no string per host of the chunks they fall in.
func (d *dict) namesOf(ids []uint32) []string {
	out := make([]string, len(ids))
	for i := 0; i < len(ids); {
		c, j := ids[i]>>chunkBits, i+1
		for j < len(ids) && ids[j]>>chunkBits == c {
			j++
		}
		if _, ok := d.chunks[c]; ok || j-i > chunkSize/8 {
			for k := i; k < j; k++ {
				out[k] = d.Name(ids[k])
			}
		} else {
			d.namesInChunk(c, ids[i:j], out[i:j])
		}
		i = j
	}
	return out
}

// namesInChunk writes to out the names of ids (increasing, all in chunk
// c), walking the chunk's verified bytes once.
func (d *dict) namesInChunk(c uint32, ids []uint32, out []string) {
	b := d.chunkBytes(c)
	k := 0
	for i := uint32(0); len(b) > 0 && k < len(ids); i++ {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			break
		}
		if ids[k]&(chunkSize-1) == i {
			out[k] = string(b[n : n+int(l)])
			k++
		}
		b = b[n+int(l):]
	}
	for ; k < len(ids); k++ {
		out[k] = d.noName(ids[k])
	}
}

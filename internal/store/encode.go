package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
)

// Encodings of an attribute blob, the first byte of the blob.
const (
	encBool   = 'B' // two bitmaps: true, false
	encIndex  = 'I' // sorted distinct strings, one bitmap each (read only: older files)
	encColumn = 'S' // presence bitmap, then one string per present host in id order (read only)
	encDict   = 'D' // presence, sorted distinct strings, a code per host, bitmaps when few (strdict.go)
	encNumber = 'N' // presence bitmap, float64s in id order, optional sample times
	encTime   = 'T' // presence bitmap, int64 unix seconds in id order
)

// maxIndexValues is the cardinality up to which a string attribute keeps
// a bitmap per value besides its codes, so `role = "x"` is one lookup.
// Above it (rack, ip, serial) the codes are scanned instead: a bitmap per
// value would cost more than the codes.
const maxIndexValues = 4096

// entry is one present host of a column in global id space.
type entry struct {
	id  uint32
	row int // source-local index
}

// idOrder returns the source-local host indexes ordered by global id,
// computed once per source and shared by its columns. A first ingest's
// ids are already in row order, and then nothing is sorted.
func idOrder(ids []uint32) []int32 {
	order := make([]int32, len(ids))
	for i := range order {
		order[i] = int32(i)
	}
	if !slices.IsSorted(ids) {
		slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(ids[a], ids[b]) })
	}
	return order
}

// presentEntries returns the present hosts of c, ordered by global id.
func presentEntries(c *Column, ids []uint32, order []int32) []entry {
	es := make([]entry, 0, len(ids))
	for _, i := range order {
		if c.Present(int(i)) {
			es = append(es, entry{ids[i], int(i)})
		}
	}
	return es
}

// encodeColumn encodes c (aligned with the source's hosts) in global id
// space, ids[i] being the id of host i and order the hosts by id.
func encodeColumn(c *Column, ids []uint32, order []int32) ([]byte, error) {
	es := presentEntries(c, ids, order)
	switch c.Type {
	case fleet.Bool:
		return encodeBool(c, es), nil
	case fleet.String:
		return encodeString(c, es), nil
	case fleet.Number:
		return encodeNumber(c, es), nil
	case fleet.Time:
		return encodeTime(c, es), nil
	}
	return nil, fmt.Errorf("attribute %s: unknown type %v", c.Name, c.Type)
}

func appendBitmap(b []byte, bm *roaring.Bitmap) []byte {
	bm.RunOptimize()
	var buf bytes.Buffer
	_, _ = bm.WriteTo(&buf)
	b = binary.AppendUvarint(b, uint64(buf.Len()))
	return append(b, buf.Bytes()...)
}

func presence(es []entry) *roaring.Bitmap {
	bm := roaring.New()
	for _, e := range es {
		bm.Add(e.id)
	}
	return bm
}

func encodeBool(c *Column, es []entry) []byte {
	t, f := roaring.New(), roaring.New()
	for _, e := range es {
		if c.Bool[e.row] {
			t.Add(e.id)
		} else {
			f.Add(e.id)
		}
	}
	return appendBitmap(appendBitmap([]byte{encBool}, t), f)
}

func encodeNumber(c *Column, es []entry) []byte {
	flags := byte(0)
	if c.TS != nil {
		flags = 1
	}
	b := appendBitmap([]byte{encNumber, flags}, presence(es))
	for _, e := range es {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(c.Num[e.row]))
	}
	if c.TS != nil {
		for _, e := range es {
			b = binary.LittleEndian.AppendUint64(b, uint64(c.TS[e.row]))
		}
	}
	return b
}

func encodeTime(c *Column, es []entry) []byte {
	b := appendBitmap([]byte{encTime}, presence(es))
	for _, e := range es {
		b = binary.LittleEndian.AppendUint64(b, uint64(c.Time[e.row]))
	}
	return b
}

// reader walks an encoded blob.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: truncated varint", ErrCorrupt)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = fmt.Errorf("%w: truncated blob", ErrCorrupt)
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) bitmap() *roaring.Bitmap {
	data := r.bytes(r.uvarint())
	if r.err != nil {
		return nil
	}
	bm, err := viewBitmap(data)
	if err != nil {
		r.err = err
	}
	return bm
}

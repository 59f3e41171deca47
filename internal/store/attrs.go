package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
)

// decodeAttr returns a read-only view of an encoded attribute blob. The
// view reads the stored bytes in place and is valid inside its transaction.
func decodeAttr(data []byte) (fleet.Attr, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty attribute blob", ErrCorrupt)
	}
	r := &reader{b: data[1:]}
	var a fleet.Attr
	switch data[0] {
	case encBool:
		a = &boolAttr{t: r.bitmap(), f: r.bitmap()}
	case encIndex:
		a = decodeIndex(r)
	case encColumn:
		a = &strColumn{present: r.bitmap(), data: r.b}
	case encDict:
		a = decodeDict(r)
	case encNumber:
		a = decodeNumber(r)
	case encTime:
		p := r.bitmap()
		a = &numColumn{typ: fleet.Time, present: p, ranks: newRanker(p), vals: r.bytes(8 * cardOf(p))}
	default:
		return nil, fmt.Errorf("%w: unknown attribute encoding %q", ErrCorrupt, data[0])
	}
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}

func cardOf(bm *roaring.Bitmap) uint64 {
	if bm == nil {
		return 0
	}
	return bm.GetCardinality()
}

// boolAttr is a bool attribute: the set of true hosts and of false hosts.
type boolAttr struct{ t, f *roaring.Bitmap }

func (a *boolAttr) Type() fleet.Type                                  { return fleet.Bool }
func (a *boolAttr) Present() *roaring.Bitmap                          { return roaring.Or(a.t, a.f) }
func (a *boolAttr) Sampled() bool                                     { return false }
func (a *boolAttr) True() *roaring.Bitmap                             { return a.t }
func (a *boolAttr) FilterSampleTime(func(int64) bool) *roaring.Bitmap { return roaring.New() }

func (a *boolAttr) Groups() []fleet.Group {
	return []fleet.Group{
		{Value: fleet.Value{Type: fleet.Bool, Bool: false}, Hosts: a.f},
		{Value: fleet.Value{Type: fleet.Bool, Bool: true}, Hosts: a.t},
	}
}

func (a *boolAttr) Filter(keep func(fleet.Value) bool) *roaring.Bitmap {
	return filterGroups(a.Groups(), keep)
}

func (a *boolAttr) Value(id uint32) (fleet.Value, bool) {
	switch {
	case a.t.Contains(id):
		return fleet.Value{Type: fleet.Bool, Bool: true}, true
	case a.f.Contains(id):
		return fleet.Value{Type: fleet.Bool, Bool: false}, true
	}
	return fleet.Value{}, false
}

func filterGroups(gs []fleet.Group, keep func(fleet.Value) bool) *roaring.Bitmap {
	var hit []*roaring.Bitmap
	for _, g := range gs {
		if keep(g.Value) {
			hit = append(hit, g.Hosts)
		}
	}
	if len(hit) == 0 {
		return roaring.New()
	}
	return roaring.FastOr(hit...)
}

// indexAttr is a string attribute kept as a value index.
type indexAttr struct {
	groups []fleet.Group
}

func decodeIndex(r *reader) *indexAttr {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err = fmt.Errorf("%w: bad index size", ErrCorrupt)
		return nil
	}
	a := &indexAttr{groups: make([]fleet.Group, 0, n)}
	for i := uint64(0); i < n && r.err == nil; i++ {
		v := string(r.bytes(r.uvarint()))
		a.groups = append(a.groups, fleet.Group{Value: fleet.Value{Type: fleet.String, Str: v}, Hosts: r.bitmap()})
	}
	return a
}

func (a *indexAttr) Type() fleet.Type                                  { return fleet.String }
func (a *indexAttr) Sampled() bool                                     { return false }
func (a *indexAttr) Groups() []fleet.Group                             { return a.groups }
func (a *indexAttr) FilterSampleTime(func(int64) bool) *roaring.Bitmap { return roaring.New() }

func (a *indexAttr) Present() *roaring.Bitmap {
	return filterGroups(a.groups, func(fleet.Value) bool { return true })
}

func (a *indexAttr) Filter(keep func(fleet.Value) bool) *roaring.Bitmap {
	return filterGroups(a.groups, keep)
}

func (a *indexAttr) Value(id uint32) (fleet.Value, bool) {
	for _, g := range a.groups {
		if g.Hosts.Contains(id) {
			return g.Value, true
		}
	}
	return fleet.Value{}, false
}

// strColumn is a high-cardinality string attribute: present hosts, then
// their values in id order.
type strColumn struct {
	present *roaring.Bitmap
	data    []byte
	offsets []uint32 // built on first Value
}

func (a *strColumn) Type() fleet.Type                                  { return fleet.String }
func (a *strColumn) Present() *roaring.Bitmap                          { return a.present }
func (a *strColumn) Sampled() bool                                     { return false }
func (a *strColumn) FilterSampleTime(func(int64) bool) *roaring.Bitmap { return roaring.New() }

// each calls fn for every present host in id order.
func (a *strColumn) each(fn func(id uint32, v string)) {
	b := a.data
	it := a.present.Iterator()
	for it.HasNext() {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return
		}
		fn(it.Next(), string(b[n:n+int(l)]))
		b = b[n+int(l):]
	}
}

func (a *strColumn) Filter(keep func(fleet.Value) bool) *roaring.Bitmap {
	out := roaring.New()
	a.each(func(id uint32, v string) {
		if keep(fleet.Value{Type: fleet.String, Str: v}) {
			out.Add(id)
		}
	})
	return out
}

func (a *strColumn) Groups() []fleet.Group {
	by := map[string]*roaring.Bitmap{}
	a.each(func(id uint32, v string) {
		bm, ok := by[v]
		if !ok {
			bm = roaring.New()
			by[v] = bm
		}
		bm.Add(id)
	})
	return sortedGroups(by)
}

func (a *strColumn) Value(id uint32) (fleet.Value, bool) {
	if !a.present.Contains(id) {
		return fleet.Value{}, false
	}
	if a.offsets == nil {
		off := uint32(0)
		b := a.data
		for len(b) > 0 {
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				break
			}
			a.offsets = append(a.offsets, off)
			off += uint32(n) + uint32(l)
			b = b[n+int(l):]
		}
	}
	rank := a.present.Rank(id) - 1
	if rank >= uint64(len(a.offsets)) {
		return fleet.Value{}, false
	}
	b := a.data[a.offsets[rank]:]
	l, n := binary.Uvarint(b)
	return fleet.Value{Type: fleet.String, Str: string(b[n : n+int(l)])}, true
}

// numColumn is a number or time attribute: present hosts, then their
// values (and sample times) in id order, eight bytes each.
type numColumn struct {
	typ     fleet.Type
	present *roaring.Bitmap
	ranks   ranker // present's ranks, for lookups of one host
	vals    []byte
	ts      []byte // nil unless sampled
}

func decodeNumber(r *reader) *numColumn {
	flags := r.bytes(1)
	p := r.bitmap()
	a := &numColumn{typ: fleet.Number, present: p, ranks: newRanker(p), vals: r.bytes(8 * cardOf(p))}
	if len(flags) == 1 && flags[0]&1 != 0 {
		a.ts = r.bytes(8 * cardOf(p))
	}
	return a
}

func (a *numColumn) Type() fleet.Type         { return a.typ }
func (a *numColumn) Present() *roaring.Bitmap { return a.present }
func (a *numColumn) Sampled() bool            { return a.ts != nil }

// bits is the stored eight bytes of the present host of rank i.
func (a *numColumn) bits(i int) uint64 { return binary.LittleEndian.Uint64(a.vals[8*i:]) }

func (a *numColumn) at(i int) fleet.Value {
	u := a.bits(i)
	if a.typ == fleet.Time {
		return fleet.Value{Type: fleet.Time, Num: float64(int64(u))}
	}
	return fleet.Value{Type: fleet.Number, Num: math.Float64frombits(u)}
}

func (a *numColumn) Filter(keep func(fleet.Value) bool) *roaring.Bitmap {
	out := roaring.New()
	it := a.present.Iterator()
	for i := 0; it.HasNext(); i++ {
		id := it.Next()
		if keep(a.at(i)) {
			out.Add(id)
		}
	}
	return out
}

func (a *numColumn) FilterSampleTime(keep func(int64) bool) *roaring.Bitmap {
	out := roaring.New()
	if a.ts == nil {
		return out
	}
	it := a.present.Iterator()
	for i := 0; it.HasNext(); i++ {
		id := it.Next()
		if keep(int64(binary.LittleEndian.Uint64(a.ts[8*i:]))) {
			out.Add(id)
		}
	}
	return out
}

func (a *numColumn) Groups() []fleet.Group {
	by := map[string]*roaring.Bitmap{}
	vals := map[string]fleet.Value{}
	it := a.present.Iterator()
	for i := 0; it.HasNext(); i++ {
		v := a.at(i)
		k := strconv.FormatFloat(v.Num, 'g', -1, 64)
		if by[k] == nil {
			by[k] = roaring.New()
			vals[k] = v
		}
		by[k].Add(it.Next())
	}
	gs := make([]fleet.Group, 0, len(by))
	for k, bm := range by {
		gs = append(gs, fleet.Group{Value: vals[k], Hosts: bm})
	}
	fleet.SortGroups(gs)
	return gs
}

func (a *numColumn) Value(id uint32) (fleet.Value, bool) {
	if !a.present.Contains(id) {
		return fleet.Value{}, false
	}
	return a.at(int(a.ranks.rank(id) - 1)), true
}

// SampleTime returns a host's sample time in unix milliseconds.
func (a *numColumn) SampleTime(id uint32) (int64, bool) {
	if a.ts == nil || !a.present.Contains(id) {
		return 0, false
	}
	i := a.ranks.rank(id) - 1
	return int64(binary.LittleEndian.Uint64(a.ts[8*i:])), true
}

func sortedGroups(by map[string]*roaring.Bitmap) []fleet.Group {
	gs := make([]fleet.Group, 0, len(by))
	for v, bm := range by {
		gs = append(gs, fleet.Group{Value: fleet.Value{Type: fleet.String, Str: v}, Hosts: bm})
	}
	fleet.SortGroups(gs)
	return gs
}

// Values lists the distinct values, sorted (fleet.ValueLister).
func (a *indexAttr) Values() []string {
	out := make([]string, len(a.groups))
	for i, g := range a.groups {
		out[i] = g.Value.Str
	}
	return out
}

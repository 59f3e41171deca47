package store

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
)

// One-host reads: the value of one host (fleetq host, why) read from an
// attribute's blob in place, touching (and so hashing, see blob.go) only
// the chunks that lead to it, instead of decoding the whole attribute, and
// releasing the mapped pages after each (releaseMapped). The
// value is the one the decoded attribute's Value returns; an encoding this
// file does not know is decoded whole.

// HostValue returns host id's value of attribute name: ok is false when
// the pass has no such attribute or the host no value; err names the pass
// and the attribute when its blob cannot be read.
func (v *PassView) HostValue(name string, id uint32) (fleet.Value, bool, error) {
	src, ok := v.attrs[name]
	if !ok {
		return fleet.Value{}, false, nil
	}
	if a, ok := v.acache[name]; ok {
		val, ok := a.Value(id)
		return val, ok, nil
	}
	if r, ok := v.hcache[hostRef{name, id}]; ok {
		return r.val, r.ok, nil
	}
	val, ok, err := v.hostValue(src.ref.Blob, name, id)
	releaseMapped(v.tx.btx)
	if err != nil {
		return fleet.Value{}, false, v.readError("attribute "+name, err)
	}
	if v.hcache == nil {
		v.hcache = map[hostRef]hostRead{}
	}
	v.hcache[hostRef{name, id}] = hostRead{val, ok}
	return val, ok, nil
}

// hostRef and hostRead cache a one-host read: fleetq host reads a bool
// attribute's value and then its set, which is the same read.
type hostRef struct {
	attr string
	id   uint32
}

type hostRead struct {
	val fleet.Value
	ok  bool
}

func (v *PassView) hostValue(hash, name string, id uint32) (fleet.Value, bool, error) {
	b, err := openBlob(v.tx.btx, hash)
	if err != nil {
		return fleet.Value{}, false, err
	}
	val, ok, known, err := blobHostValue(b, id)
	if known || err != nil {
		return val, ok, err
	}
	a, err := v.loadAttr(name)
	if err != nil {
		return fleet.Value{}, false, err
	}
	val, ok = a.Value(id)
	return val, ok, nil
}

// blobHostValue reads host id's value from an attribute blob; known is
// false for an encoding it cannot read in place.
func blobHostValue(b *blob, id uint32) (val fleet.Value, ok, known bool, err error) {
	r := &spanReader{b: b}
	enc := r.bytes(1)
	if r.err != nil {
		return fleet.Value{}, false, true, fmt.Errorf("%w: empty attribute blob", ErrCorrupt)
	}
	switch enc[0] {
	case encBool:
		val, ok = r.boolValue(id)
	case encIndex:
		val, ok = r.indexValue(id)
	case encColumn:
		val, ok = r.stringValue(id)
	case encDict:
		val, ok = r.dictValue(id)
	case encNumber:
		flags := r.bytes(1) // bit 0: sample times follow the values
		val, ok = r.numValue(fleet.Number, id, len(flags) == 1 && flags[0]&1 != 0)
	case encTime:
		val, ok = r.numValue(fleet.Time, id, false)
	default:
		return fleet.Value{}, false, false, nil
	}
	if r.err != nil {
		return fleet.Value{}, false, true, r.err
	}
	return val, ok, true, nil
}

// SetContains reports whether set name of the pass holds host id, reading
// the set of a bool attribute as the host's value and a stored set's
// bitmaps in place (their headers and the container of id).
func (v *PassView) SetContains(name string, id uint32) (bool, error) {
	r, ok := v.sets[name]
	if _, cached := v.cache[name]; !ok || cached {
		bm, ok, err := v.Set(name)
		return ok && bm.Contains(id), err
	}
	if r.attr != "" {
		val, ok, err := v.HostValue(r.attr, id)
		if err != nil {
			return false, fmt.Errorf("set %s: %w", name, err)
		}
		return ok && val.Type == fleet.Bool && val.Bool, nil
	}
	for _, h := range r.blobs {
		in, err := v.blobContains(h, id)
		releaseMapped(v.tx.btx)
		if err != nil {
			return false, v.readError("set "+name, err)
		}
		if in {
			return true, nil
		}
	}
	return false, nil
}

func (v *PassView) blobContains(hash string, id uint32) (bool, error) {
	b, err := openBlob(v.tx.btx, hash)
	if err != nil {
		return false, err
	}
	return bitmapContains(b, 0, b.Len(), id)
}

// spanReader walks a blob from the start, verifying what it reads; the
// first error stops it.
type spanReader struct {
	b   *blob
	off uint64
	err error
}

func (r *spanReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	out, err := r.b.span(r.off, n)
	if err != nil {
		r.err = err
		return nil
	}
	r.off += n
	return out
}

func (r *spanReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	head, err := r.b.span(r.off, min(binary.MaxVarintLen64, r.b.Len()-r.off))
	if err != nil {
		r.err = err
		return 0
	}
	x, n := binary.Uvarint(head)
	if n <= 0 {
		r.err = fmt.Errorf("%w: truncated varint", ErrCorrupt)
		return 0
	}
	r.off += uint64(n)
	return x
}

func (r *spanReader) bitmap() *roaring.Bitmap {
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

// contains reads the next bitmap in place: whether it holds id.
func (r *spanReader) contains(id uint32) bool {
	n := r.uvarint()
	if r.err == nil && n > r.b.Len()-r.off {
		r.err = fmt.Errorf("%w: bitmap longer than its blob", ErrCorrupt)
	}
	if r.err != nil {
		return false
	}
	in, err := bitmapContains(r.b, r.off, n, id)
	if err != nil {
		r.err = err
		return false
	}
	r.off += n
	return in
}

func (r *spanReader) boolValue(id uint32) (fleet.Value, bool) {
	if r.contains(id) {
		return fleet.Value{Type: fleet.Bool, Bool: true}, true
	}
	if r.contains(id) {
		return fleet.Value{Type: fleet.Bool, Bool: false}, true
	}
	return fleet.Value{}, false
}

// indexValue tests each value's bitmap in turn, as indexAttr.Value does.
func (r *spanReader) indexValue(id uint32) (fleet.Value, bool) {
	n := r.uvarint()
	if n > r.b.Len() {
		r.err = fmt.Errorf("%w: bad index size", ErrCorrupt)
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		s := r.bytes(r.uvarint())
		if r.contains(id) {
			return fleet.Value{Type: fleet.String, Str: string(s)}, true
		}
	}
	return fleet.Value{}, false
}

// stringValue skips to the host's string: the strings of the present
// hosts before it are walked, since the column stores no offsets.
func (r *spanReader) stringValue(id uint32) (fleet.Value, bool) {
	p := r.bitmap()
	if r.err != nil || !p.Contains(id) {
		return fleet.Value{}, false
	}
	r.skipStrings(p.Rank(id) - 1)
	s := r.bytes(r.uvarint())
	if r.err != nil {
		return fleet.Value{}, false
	}
	return fleet.Value{Type: fleet.String, Str: string(s)}, true
}

// dictValue reads the host's code at its rank among present hosts, then
// its value in the dictionary. With stored offsets (dictOffsets) both are
// found directly: the codes follow the values' stored size, and the value
// is walked from its group's offset (groupValue). Without them the
// dictionary is walked up to its end and up to the value.
func (r *spanReader) dictValue(id uint32) (fleet.Value, bool) {
	flags := r.bytes(1)
	p := r.bitmap()
	n := r.uvarint()
	if r.err != nil || flags[0]&^(dictBitmaps|dictOffsets) != 0 || n > r.b.Len() {
		return r.corrupt("bad dictionary header")
	}
	start, d := r.off, dictSpan{}
	if flags[0]&dictOffsets != 0 {
		d = r.offsetHeader(n)
	} else {
		r.skipStrings(n)
	}
	width := r.bytes(1)
	if r.err != nil || int(width[0]) != widthFor(int(n)) {
		return r.corrupt("bad dictionary code width")
	}
	w := uint64(width[0])
	if w*p.GetCardinality() > r.b.Len()-r.off {
		return r.corrupt("truncated dictionary codes")
	}
	if !p.Contains(id) {
		return fleet.Value{}, false
	}
	r.off += w * (p.Rank(id) - 1)
	code := uint64(0)
	for i, c := range r.bytes(w) {
		code |= uint64(c) << (8 * i)
	}
	if r.err != nil || code >= n {
		return r.corrupt("dictionary code out of range")
	}
	var s []byte
	if d.n > 0 {
		s = r.groupValue(d, code)
	} else {
		r.off = start
		r.skipStrings(code)
		s = r.bytes(r.uvarint())
	}
	if r.err != nil {
		return fleet.Value{}, false
	}
	return fleet.Value{Type: fleet.String, Str: string(s)}, true
}

// dictSpan is where the parts of a dictionary with offsets lie in its
// blob: n values, their offsets at table, the values at values, size
// bytes of them.
type dictSpan struct{ n, table, values, size uint64 }

// offsetHeader reads the size and places the offsets of n values, and
// leaves r at the code width that follows the values.
func (r *spanReader) offsetHeader(n uint64) dictSpan {
	d := dictSpan{n: n, size: r.uvarint(), table: r.off}
	if r.err == nil && 4*dictGroups(n) > r.b.Len()-r.off {
		r.corrupt("truncated dictionary offsets")
	}
	d.values = d.table + 4*dictGroups(n)
	if r.err == nil && d.size > r.b.Len()-d.values {
		r.corrupt("dictionary longer than its blob")
	}
	r.off = d.values + d.size
	return d
}

// groupValue returns value code of d. It walks the group holding it, the
// group before and the last group, and each must be strictly increasing
// and end exactly where the next offset (the size, for the last) says,
// the first starting at 0. So an offset or size that is not where the
// writer put it is damage rather than a wrong value: the group before
// vouches for the offset read from, the group itself for the next one,
// the last group for the size that placed the codes.
func (r *spanReader) groupValue(d dictSpan, code uint64) []byte {
	j, last := code/dictGroup, dictGroups(d.n)-1
	if j > 0 {
		r.walkGroup(d, j-1, code)
	}
	if last > j {
		r.walkGroup(d, last, code)
	}
	return r.walkGroup(d, j, code)
}

// walkGroup walks group g of d, returning value code when it is in it.
func (r *spanReader) walkGroup(d dictSpan, g, code uint64) []byte {
	start, end := r.offsetAt(d, g), d.size
	if g+1 < dictGroups(d.n) {
		end = r.offsetAt(d, g+1)
	}
	if r.err != nil || g == 0 && start != 0 || start > end || end > d.size {
		r.corrupt("bad dictionary offset")
		return nil
	}
	r.off = d.values + start
	var prev, hit []byte
	for i := g * dictGroup; i < min(d.n, (g+1)*dictGroup) && r.err == nil; i++ {
		s := r.bytes(r.uvarint())
		if i > g*dictGroup && string(prev) >= string(s) {
			r.corrupt("dictionary not strictly increasing")
		}
		if i == code {
			hit = s
		}
		prev = s
	}
	if r.err == nil && r.off != d.values+end {
		r.corrupt("dictionary offset is not where its value starts")
	}
	if r.err != nil {
		return nil
	}
	return hit
}

// offsetAt is the stored start of group g among the values of d.
func (r *spanReader) offsetAt(d dictSpan, g uint64) uint64 {
	if r.err != nil {
		return 0
	}
	b, err := r.b.span(d.table+4*g, 4)
	if err != nil {
		r.err = err
		return 0
	}
	return uint64(binary.LittleEndian.Uint32(b))
}

// corrupt stops r with damage (an earlier read error stays the error).
func (r *spanReader) corrupt(what string) (fleet.Value, bool) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrCorrupt, what)
	}
	return fleet.Value{}, false
}

// skipStrings steps over n length-prefixed strings: a verified chunk at
// a time, and one string at a time where a string crosses into the next.
func (r *spanReader) skipStrings(n uint64) {
	for n > 0 && r.err == nil {
		b := r.bytes(r.b.chunkEnd(r.off) - r.off)
		i := 0
		for ; n > 0; n-- {
			l, k := binary.Uvarint(b[i:])
			if k <= 0 || l > uint64(len(b)-i-k) {
				break
			}
			i += k + int(l)
		}
		r.off -= uint64(len(b) - i)
		if n > 0 && r.err == nil {
			r.bytes(r.uvarint()) // the string that crosses a chunk's end
			n--
		}
	}
}

// numValue reads the host's eight bytes at its rank among present hosts;
// the blob must hold eight bytes per present host (sixteen when sampled),
// as the whole decode requires.
func (r *spanReader) numValue(t fleet.Type, id uint32, sampled bool) (fleet.Value, bool) {
	p := r.bitmap()
	if r.err != nil {
		return fleet.Value{}, false
	}
	n := p.GetCardinality()
	if sampled {
		n *= 2
	}
	if n > (r.b.Len()-r.off)/8 {
		r.err = fmt.Errorf("%w: truncated blob", ErrCorrupt)
		return fleet.Value{}, false
	}
	if !p.Contains(id) {
		return fleet.Value{}, false
	}
	r.off += 8 * (p.Rank(id) - 1)
	b := r.bytes(8)
	if r.err != nil {
		return fleet.Value{}, false
	}
	u := binary.LittleEndian.Uint64(b)
	if t == fleet.Time {
		return fleet.Value{Type: fleet.Time, Num: float64(int64(u))}, true
	}
	return fleet.Value{Type: fleet.Number, Num: math.Float64frombits(u)}, true
}

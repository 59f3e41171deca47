package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
)

// Deltas of dictionary-encoded strings in value space (delta format 0x03,
// docs/storage.md "Old versions").
//
// A 'D' blob stores a code per host, the index of its value in the sorted
// dictionary. When a column of a value per host (a serial, an ip) gains
// and loses 1% of its values, the codes of nearly every host shift by a
// few, so the byte delta of two versions is most of the codes (~250 KB a
// pass for 100,000 serials). In value space, where each code is replaced
// by the bytes of its value, only the hosts whose value changed differ:
//
//	0x00 0x03 uvarint(target length) inner
//
// inner is a delta of format 0x01 or 0x02 that rebuilds toValues(target)
// from toValues(base). toValues keeps the blob's bytes up to and including
// the code width and those after the codes as they are, and writes each
// code k as uvarint(len(v)) v, v being value k; fromValues finds each
// value in the dictionary again (it is sorted, and holds every value a
// code names), so fromValues(toValues(b)) == b for every valid blob.
// A chain of such deltas stays in value space from one to the next
// (rebuildDelta), so a long chain converts twice, not at every step.
const deltaDict = 0x03

// minDictDeltaWidth is the narrowest code for which a value-space delta
// is tried: below 2 bytes a code a host, the dictionary has at most 256
// values and codes rarely shift.
const minDictDeltaWidth = 2

// dictParts is the start of a 'D' blob, where toValues works: head holds
// the bytes up to and including the code width, and hosts codes of width
// bytes follow it.
type dictParts struct {
	head  []byte
	dict  strDict
	width int
	hosts uint64
}

// splitDict parses the parts of blob b, which must be a 'D' blob.
func splitDict(b []byte) (dictParts, error) {
	if len(b) < 2 || b[0] != encDict {
		return dictParts{}, fmt.Errorf("%w: value-space delta of a blob that is not a dictionary", ErrCorrupt)
	}
	flags := b[1]
	if flags&^(dictBitmaps|dictOffsets) != 0 {
		return dictParts{}, fmt.Errorf("%w: unknown dictionary flags %#x", ErrCorrupt, flags)
	}
	r := &reader{b: b[2:]}
	present := r.bitmap()
	dict := r.dictionary(flags&dictOffsets != 0)
	w := int(r.byte())
	if r.err != nil {
		return dictParts{}, r.err
	}
	if w != widthFor(dict.len()) || w == 0 {
		return dictParts{}, fmt.Errorf("%w: dictionary code width %d for %d values", ErrCorrupt, w, dict.len())
	}
	p := dictParts{head: b[:len(b)-len(r.b)], dict: dict, width: w, hosts: cardOf(present)}
	return p, nil
}

// Deltas are of stored values, so a blob of more than one chunk starts
// with its frame header (blob.go), which value space keeps as it is.

// unframe cuts a stored value into its frame header (empty for a blob
// stored whole) and the blob's bytes, and says the blob's length when
// the header states it.
func unframe(v []byte) (hdr, data []byte, size uint64, framed bool, err error) {
	if len(v) > 0 && v[0] == encDict {
		return nil, v, 0, false, nil
	}
	p := len(frameMagic) + 2
	if len(v) < p || string(v[:len(frameMagic)]) != frameMagic || v[len(frameMagic)] != frameVersion {
		return nil, nil, 0, false, fmt.Errorf("%w: value-space delta of a blob that is not a dictionary", ErrCorrupt)
	}
	shift := v[len(frameMagic)+1]
	size, k := binary.Uvarint(v[p:])
	if shift < minChunkShift || shift > maxChunkShift || k <= 0 || size <= 1<<shift || size > uint64(len(v)) {
		return nil, nil, 0, false, fmt.Errorf("%w: value-space delta: bad frame header", ErrCorrupt)
	}
	h := p + k + chunkCount(size, shift)*sha256.Size
	if h > len(v) {
		return nil, nil, 0, false, fmt.Errorf("%w: value-space delta: bad frame header", ErrCorrupt)
	}
	return v[:h], v[h:], size, true, nil
}

// toValues is the stored value v of a dictionary blob in value space.
func toValues(v []byte) ([]byte, error) {
	hdr, data, _, _, err := unframe(v)
	if err != nil {
		return nil, err
	}
	t, err := dictToValues(data)
	if err != nil {
		return nil, err
	}
	return append(append(make([]byte, 0, len(hdr)+len(t)), hdr...), t...), nil
}

// fromValues is the inverse of toValues.
func fromValues(t []byte) ([]byte, error) {
	hdr, data, size, framed, err := unframe(t)
	if err != nil {
		return nil, err
	}
	b, err := dictFromValues(data)
	if err != nil {
		return nil, err
	}
	if framed && uint64(len(b)) != size {
		return nil, fmt.Errorf("%w: value-space delta rebuilds %d bytes, its frame says %d", ErrCorrupt, len(b), size)
	}
	return append(append(make([]byte, 0, len(hdr)+len(b)), hdr...), b...), nil
}

// dictToValues is blob b with each code replaced by its value.
func dictToValues(b []byte) ([]byte, error) {
	p, err := splitDict(b)
	if err != nil {
		return nil, err
	}
	rest := b[len(p.head):]
	if uint64(len(rest))/uint64(p.width) < p.hosts {
		return nil, fmt.Errorf("%w: dictionary codes truncated", ErrCorrupt)
	}
	codes, tail := rest[:p.hosts*uint64(p.width)], rest[p.hosts*uint64(p.width):]
	out := make([]byte, 0, len(b)+len(p.dict.all))
	out = append(out, p.head...)
	n := uint32(p.dict.len())
	for i := 0; i < len(codes); i += p.width {
		k := readCode(codes[i:], p.width)
		if k >= n {
			return nil, fmt.Errorf("%w: code %d beyond %d values", ErrCorrupt, k, n)
		}
		v := p.dict.at(k)
		out = binary.AppendUvarint(out, uint64(len(v)))
		out = append(out, v...)
	}
	return append(out, tail...), nil
}

// dictFromValues is the inverse of dictToValues.
func dictFromValues(t []byte) ([]byte, error) {
	p, err := splitDict(t)
	if err != nil {
		return nil, err
	}
	r := &reader{b: t[len(p.head):]}
	out := make([]byte, 0, len(p.head)+int(min(p.hosts, uint64(len(t))))*p.width)
	out = append(out, p.head...)
	code := p.dict.coder(p.hosts)
	for range p.hosts {
		v := r.bytes(r.uvarint())
		if r.err != nil {
			return nil, r.err
		}
		k, ok := code(v)
		if !ok {
			return nil, fmt.Errorf("%w: value-space delta names a value not in the dictionary", ErrCorrupt)
		}
		out = appendCode(out, k, p.width)
	}
	return append(out, r.b...), nil
}

// coderMapMin is the dictionary size from which coder indexes the values
// in a map: a serial or ip dictionary (a value per host) cost ~20 string
// compares of long shared prefixes per host by binary search, 2.5 s of
// a 1M-host diff --attrs of an older pass, against ~0.2 s with the map.
const coderMapMin = 256

// coder returns the code of a value of d, for lookups of hosts values.
func (d strDict) coder(hosts uint64) func(v []byte) (uint32, bool) {
	n := d.len()
	if n < coderMapMin || hosts < uint64(n)/4 {
		return func(v []byte) (uint32, bool) {
			k := sort.Search(n, func(i int) bool { return d.at(uint32(i)) >= string(v) })
			return uint32(k), k < n && d.at(uint32(k)) == string(v)
		}
	}
	idx := make(map[string]uint32, n)
	for k := range n {
		idx[d.at(uint32(k))] = uint32(k)
	}
	return func(v []byte) (uint32, bool) {
		k, ok := idx[string(v)]
		return k, ok
	}
}

func readCode(b []byte, w int) uint32 {
	c := uint32(0)
	for i := range w {
		c |= uint32(b[i]) << (8 * i)
	}
	return c
}

// isDictDelta reports whether d is a value-space delta.
func isDictDelta(d []byte) bool { return len(d) >= 2 && d[0] == 0 && d[1] == deltaDict }

// dictInner is the inner delta of a value-space delta, and the length
// of the blob it rebuilds.
func dictInner(d []byte) ([]byte, uint64, error) {
	size, n := binary.Uvarint(d[2:])
	if n <= 0 {
		return nil, 0, fmt.Errorf("%w: delta header", ErrCorrupt)
	}
	inner := d[2+n:]
	if len(inner) < 2 || inner[0] != 0 || (inner[1] != deltaRaw && inner[1] != deltaDeflate) {
		return nil, 0, fmt.Errorf("%w: value-space delta holds no byte delta", ErrCorrupt)
	}
	return inner, size, nil
}

// applyDictDelta rebuilds the target of the value-space delta d from base.
func applyDictDelta(base, d []byte, scratch *[]byte) ([]byte, error) {
	inner, size, err := dictInner(d)
	if err != nil {
		return nil, err
	}
	t, err := toValues(base)
	if err != nil {
		return nil, err
	}
	if t, err = applyDeltaTo(nil, t, inner, scratch); err != nil {
		return nil, err
	}
	out, err := fromValues(t)
	if err != nil {
		return nil, err
	}
	if uint64(len(out)) != size {
		return nil, fmt.Errorf("%w: delta rebuilds %d bytes, expected %d", ErrCorrupt, len(out), size)
	}
	return out, nil
}

// makeDictDelta is a value-space delta rebuilding target from base, or
// nil when either is not a dictionary with codes of minDictDeltaWidth
// bytes or more, or the delta is longer than limit. It is checked by
// applying it, so a delta that would not rebuild target is never kept.
func makeDictDelta(base, target []byte, limit int) []byte {
	for _, v := range [][]byte{base, target} {
		_, b, _, _, err := unframe(v)
		if err != nil {
			return nil
		}
		if p, err := splitDict(b); err != nil || p.width < minDictDeltaWidth {
			return nil
		}
	}
	tb, err := toValues(base)
	if err != nil {
		return nil
	}
	tt, err := toValues(target)
	if err != nil {
		return nil
	}
	inner := makeDelta(tb, tt, limit)
	if inner == nil {
		return nil
	}
	d := binary.AppendUvarint([]byte{0, deltaDict}, uint64(len(target)))
	if d = append(d, inner...); len(d) > limit {
		return nil
	}
	if got, err := applyDictDelta(base, d, nil); err != nil || !bytes.Equal(got, target) {
		return nil
	}
	return d
}

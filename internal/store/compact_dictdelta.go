package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
)

// Deltas of dictionary-encoded strings in code space (delta format 0x03,
// docs/storage.md "Old versions").
//
// A 'D' blob stores a code per host, the index of its value in the sorted
// dictionary. When a column of a value per host (a serial, an ip) gains
// and loses 1% of its values, the codes of nearly every host shift by a
// few, so the byte delta of two versions is most of the codes (~250 KB a
// pass for 100,000 serials). Yet the shift is the same for every host of
// a value: it follows from the two dictionaries alone. So the delta
// keeps the rest of the blob apart from the codes, and the codes that a
// translation of the base codes does not predict:
//
//	0x00 0x03 uvarint(target length) uvarint(len(skel)) skel
//	uvarint(count) count×(uvarint(position gap) uvarint(code))
//
// The skeleton of a stored value is the value less its codes: its frame
// header (blob.go) if any, the 'D' blob up to and including the code
// width (flags, presence bitmap, dictionary), and what follows the codes.
// skel is a delta of format 0x01 or 0x02 that rebuilds the target's
// skeleton from the base's, so it holds the dictionary's and the presence
// bitmap's changes. Rebuilding merges the two sorted dictionaries once to
// translate each base code to the target code of the same value, gives
// every target host present in the base the translation of its base code
// (0 when its value is gone), and then sets the exceptions: the hosts, by
// position among the target's present hosts (the first gap is the
// position, each next one the distance from the one before), whose code
// is another, including those absent from the base.
const deltaDict = 0x03

// minDictDeltaWidth is the narrowest code for which a code-space delta
// is tried: below 2 bytes a code a host, the dictionary has at most 256
// values and codes rarely shift.
const minDictDeltaWidth = 2

// dictParts is a 'D' blob cut apart: head holds the bytes up to and
// including the code width, codes the hosts' codes of width bytes, and
// tail what follows them.
type dictParts struct {
	head, codes, tail []byte
	dict              strDict
	present           *roaring.Bitmap
	width             int
	hosts             uint64
}

// splitDict parses the parts of blob b, which must be a 'D' blob.
func splitDict(b []byte) (dictParts, error) {
	p, err := splitDictHead(b)
	if err != nil {
		return p, err
	}
	rest := b[len(p.head):]
	if uint64(len(rest))/uint64(p.width) < p.hosts {
		return dictParts{}, fmt.Errorf("%w: dictionary codes truncated", ErrCorrupt)
	}
	n := p.hosts * uint64(p.width)
	p.codes, p.tail = rest[:n], rest[n:]
	return p, nil
}

// splitDictHead parses the head of b, up to and including the code width.
func splitDictHead(b []byte) (dictParts, error) {
	if len(b) < 2 || b[0] != encDict {
		return dictParts{}, fmt.Errorf("%w: code-space delta of a blob that is not a dictionary", ErrCorrupt)
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
	p := dictParts{head: b[:len(b)-len(r.b)], dict: dict, present: present, width: w, hosts: cardOf(present)}
	return p, nil
}

// Deltas are of stored values, so a blob of more than one chunk starts
// with its frame header (blob.go), which the skeleton keeps as it is.

// unframe cuts a stored value, or its skeleton, into its frame header
// (empty for a blob stored whole) and the blob's bytes, and says the
// blob's length the header states (0 without one).
func unframe(v []byte) (hdr, data []byte, size uint64, err error) {
	if len(v) > 0 && v[0] == encDict {
		return nil, v, 0, nil
	}
	p := len(frameMagic) + 2
	if len(v) < p || string(v[:len(frameMagic)]) != frameMagic || v[len(frameMagic)] != frameVersion {
		return nil, nil, 0, fmt.Errorf("%w: code-space delta of a blob that is not a dictionary", ErrCorrupt)
	}
	shift := v[len(frameMagic)+1]
	size, k := binary.Uvarint(v[p:])
	if shift < minChunkShift || shift > maxChunkShift || k <= 0 || size <= 1<<shift || size > maxBody {
		return nil, nil, 0, fmt.Errorf("%w: code-space delta: bad frame header", ErrCorrupt)
	}
	h := p + k + chunkCount(size, shift)*sha256.Size
	if h > len(v) {
		return nil, nil, 0, fmt.Errorf("%w: code-space delta: bad frame header", ErrCorrupt)
	}
	return v[:h], v[h:], size, nil
}

// storedDict is a stored dictionary value cut apart.
type storedDict struct {
	hdr []byte
	dictParts
}

func parseStored(v []byte) (storedDict, error) {
	hdr, data, size, err := unframe(v)
	if err != nil {
		return storedDict{}, err
	}
	if hdr != nil && size != uint64(len(data)) {
		return storedDict{}, fmt.Errorf("%w: code-space delta: frame of %d bytes holds %d", ErrCorrupt, size, len(data))
	}
	p, err := splitDict(data)
	if err != nil {
		return storedDict{}, err
	}
	return storedDict{hdr: hdr, dictParts: p}, nil
}

// skeleton is the stored value less its codes.
func (s storedDict) skeleton() []byte {
	out := make([]byte, 0, len(s.hdr)+len(s.head)+len(s.tail))
	return append(append(append(out, s.hdr...), s.head...), s.tail...)
}

// translation maps each code of base to the code of the same value in
// target, or to noCode when target lacks the value, by one merge of the
// two sorted dictionaries.
func translation(base, target strDict) []uint32 {
	tr := make([]uint32, base.len())
	j, m := 0, target.len()
	for i := range tr {
		v := base.at(uint32(i))
		for j < m && target.at(uint32(j)) < v {
			j++
		}
		if j < m && target.at(uint32(j)) == v {
			tr[i] = uint32(j)
		} else {
			tr[i] = noCode
		}
	}
	return tr
}

const noCode = ^uint32(0)

// predict is the codes of target's present hosts as base and the
// translation tr foretell them: a host present in both gets tr of its
// base code, any other 0. It fails on a base code beyond its dictionary.
func predict(base dictParts, tpresent *roaring.Bitmap, hosts uint64, tr []uint32) ([]uint32, error) {
	if tpresent.GetCardinality() != hosts {
		return nil, fmt.Errorf("%w: code-space delta: %d present hosts for %d codes", ErrCorrupt, tpresent.GetCardinality(), hosts)
	}
	if n := base.present.GetCardinality(); base.width <= 0 || uint64(len(base.codes)) < n*uint64(base.width) {
		return nil, fmt.Errorf("%w: code-space delta: base codes of %d bytes for %d hosts", ErrCorrupt, len(base.codes), n)
	}
	out := make([]uint32, hosts)
	bit, tit := base.present.Iterator(), tpresent.Iterator()
	bpos, tpos := 0, 0
	bid, bok := nextID(bit)
	for tit.HasNext() {
		id := tit.Next()
		for bok && bid < id {
			bid, bok = nextID(bit)
			bpos++
		}
		// A forged bitmap may iterate other than its cardinality says.
		if tpos >= len(out) || (bok && bid == id && (bpos+1)*base.width > len(base.codes)) {
			return nil, fmt.Errorf("%w: code-space delta: presence bitmap does not match its codes", ErrCorrupt)
		}
		if bok && bid == id {
			k := readCode(base.codes[bpos*base.width:], base.width)
			if k >= uint32(len(tr)) {
				return nil, fmt.Errorf("%w: code %d beyond %d values", ErrCorrupt, k, len(tr))
			}
			if c := tr[k]; c != noCode {
				out[tpos] = c
			}
		}
		tpos++
	}
	return out, nil
}

func nextID(it roaring.IntPeekable) (uint32, bool) {
	if !it.HasNext() {
		return 0, false
	}
	return it.Next(), true
}

func readCode(b []byte, w int) uint32 {
	c := uint32(0)
	for i := range w {
		c |= uint32(b[i]) << (8 * i)
	}
	return c
}

// isDictDelta reports whether d is a code-space delta.
func isDictDelta(d []byte) bool { return len(d) >= 2 && d[0] == 0 && d[1] == deltaDict }

// dictDeltaParts cuts the code-space delta d into the target's length,
// the skeleton's byte delta and the exceptions.
func dictDeltaParts(d []byte) (size uint64, skel, exc []byte, err error) {
	r := &reader{b: d[2:]}
	size = r.uvarint()
	skel = r.bytes(r.uvarint())
	if r.err != nil {
		return 0, nil, nil, r.err
	}
	if len(skel) < 2 || skel[0] != 0 || (skel[1] != deltaRaw && skel[1] != deltaDeflate) {
		return 0, nil, nil, fmt.Errorf("%w: code-space delta holds no byte delta", ErrCorrupt)
	}
	return size, skel, r.b, nil
}

// applyExceptions sets the exceptions exc in codes, of a dictionary of n
// values, checking every position and code.
func applyExceptions(codes []uint32, exc []byte, n int) error {
	r := &reader{b: exc}
	count := r.uvarint()
	if r.err != nil || count > uint64(len(codes)) || count > uint64(len(exc)) {
		return fmt.Errorf("%w: code-space delta: bad exception count", ErrCorrupt)
	}
	pos := uint64(0)
	for i := range count {
		gap, code := r.uvarint(), r.uvarint()
		if r.err != nil {
			return r.err
		}
		if i > 0 && gap == 0 {
			return fmt.Errorf("%w: code-space delta: exception positions not increasing", ErrCorrupt)
		}
		if gap >= uint64(len(codes))-pos {
			return fmt.Errorf("%w: code-space delta: exception past the hosts", ErrCorrupt)
		}
		if pos += gap; code >= uint64(n) {
			return fmt.Errorf("%w: code-space delta: code %d beyond %d values", ErrCorrupt, code, n)
		}
		codes[pos] = uint32(code)
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: code-space delta: bytes after the exceptions", ErrCorrupt)
	}
	return nil
}

// applyDictDelta rebuilds the target of the code-space delta d from base.
func applyDictDelta(base, d []byte, scratch *[]byte) ([]byte, error) {
	size, skel, exc, err := dictDeltaParts(d)
	if err != nil {
		return nil, err
	}
	b, err := parseStored(base)
	if err != nil {
		return nil, err
	}
	ts, err := applyDeltaTo(nil, b.skeleton(), skel, scratch)
	if err != nil {
		return nil, err
	}
	hdr, data, framed, err := unframe(ts)
	if err != nil {
		return nil, err
	}
	t, err := splitDictHead(data)
	if err != nil {
		return nil, err
	}
	codes, err := predict(b.dictParts, t.present, t.hosts, translation(b.dict, t.dict))
	if err != nil {
		return nil, err
	}
	if err := applyExceptions(codes, exc, t.dict.len()); err != nil {
		return nil, err
	}
	want := uint64(len(ts)) + t.hosts*uint64(t.width)
	if want != size || (hdr != nil && framed != want-uint64(len(hdr))) {
		return nil, fmt.Errorf("%w: delta rebuilds %d bytes, expected %d", ErrCorrupt, want, size)
	}
	out := make([]byte, 0, size)
	out = append(append(out, hdr...), t.head...)
	for _, c := range codes {
		out = appendCode(out, c, t.width)
	}
	return append(out, data[len(t.head):]...), nil
}

// makeDictDelta is a code-space delta rebuilding target from base, or
// nil when either is not a dictionary with codes of minDictDeltaWidth
// bytes or more, or the delta is longer than limit. It is checked by
// applying it, so a delta that would not rebuild target is never kept.
func makeDictDelta(base, target []byte, limit int) []byte {
	b, err := parseStored(base)
	if err != nil || b.width < minDictDeltaWidth {
		return nil
	}
	t, err := parseStored(target)
	if err != nil || t.width < minDictDeltaWidth {
		return nil
	}
	skel := makeDelta(b.skeleton(), t.skeleton(), limit)
	if skel == nil {
		return nil
	}
	pred, err := predict(b.dictParts, t.present, t.hosts, translation(b.dict, t.dict))
	if err != nil {
		return nil
	}
	d := binary.AppendUvarint([]byte{0, deltaDict}, uint64(len(target)))
	d = append(binary.AppendUvarint(d, uint64(len(skel))), skel...)
	if d = appendExceptions(d, pred, t.dictParts); len(d) > limit {
		return nil
	}
	if got, err := applyDictDelta(base, d, nil); err != nil || !bytes.Equal(got, target) {
		return nil
	}
	return d
}

// appendExceptions appends the exceptions of target against the codes
// pred foretells.
func appendExceptions(d []byte, pred []uint32, t dictParts) []byte {
	var exc []byte
	count, last := 0, 0
	for i, p := range pred {
		c := readCode(t.codes[i*t.width:], t.width)
		if c == p {
			continue
		}
		exc = binary.AppendUvarint(exc, uint64(i-last))
		exc = binary.AppendUvarint(exc, uint64(c))
		count, last = count+1, i
	}
	return append(binary.AppendUvarint(d, uint64(count)), exc...)
}

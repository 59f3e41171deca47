package store

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// A delta rebuilds a target blob from a base blob, the way git's pack
// deltas do: a list of "copy N bytes from base offset O" and "insert these
// N bytes" operations. Attribute and bitmap blobs of consecutive passes are
// mostly the same bytes at shifted offsets (a host added, a value changed),
// so the delta of a 1% change is about 1% of the blob.
//
// The encoding is in compact_delta_fmt.go.

// deltaBlock is the match granularity: base is indexed at every
// deltaBlock-aligned offset and a match is at least this long.
const deltaBlock = 16

// makeDelta returns a delta that rebuilds target from base, or nil when
// the delta would be longer than limit bytes (not worth keeping). It is
// written in the current format (compact_delta_fmt.go).
func makeDelta(base, target []byte, limit int) []byte {
	ops, ok := matchOps(base, target, limit)
	if !ok {
		return nil
	}
	d := encodeDelta(base, target, ops)
	if len(d) > limit {
		return nil
	}
	return d
}

// copyOp is one step of a delta: the target bytes lit (a slice of the
// target) that no copy covers, then n bytes copied from base at off. The
// last step has n = 0.
type copyOp struct {
	lit    []byte
	off, n int
}

// matchOps finds the copies that rebuild target from base. ok is false
// when more than limit bytes of target match nothing.
func matchOps(base, target []byte, limit int) (ops []copyOp, ok bool) {
	idx := newBlockIndex(base)
	lit, pos, diag, farOnly, unmatched := 0, 0, 0, 0, 0
	for pos+deltaBlock <= len(target) {
		if unmatched+pos-lit > limit {
			return nil, false
		}
		cand, n := 0, 0
		if pos >= farOnly {
			if k, ok := idx.nearAhead(base, target, pos, diag); ok {
				pos += k
				cand, n = idx.near(base, target, pos, pos+diag)
			} else {
				farOnly = pos + resync
			}
		}
		if n == 0 {
			cand, n = idx.far(base, target, pos)
		}
		if n == 0 {
			pos++
			continue
		}
		s, t := cand, pos
		for t > lit && s > 0 && base[s-1] == target[t-1] {
			s--
			t--
		}
		end := pos + n
		unmatched += t - lit
		ops = append(ops, copyOp{lit: target[lit:t], off: s, n: end - t})
		pos, lit, diag = end, end, cand-pos
	}
	if unmatched+len(target)-lit > limit {
		return nil, false
	}
	return append(ops, copyOp{lit: target[lit:]}), true
}

// appendInsert and appendCopy write the operations of the legacy format
// (see applyLegacyDelta); only tests still write it.
func appendInsert(d, lit []byte) []byte {
	if len(lit) == 0 {
		return d
	}
	d = binary.AppendUvarint(d, uint64(len(lit))<<1)
	return append(d, lit...)
}

func appendCopy(d []byte, off, n int) []byte {
	d = binary.AppendUvarint(d, uint64(n)<<1|1)
	return binary.AppendUvarint(d, uint64(off))
}

func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i+8 <= n && binary.LittleEndian.Uint64(a[i:]) == binary.LittleEndian.Uint64(b[i:]) {
		i += 8
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// blockIndex finds where in base an aligned block of the same bytes
// starts: slots map a block hash to the last such block, chain links each
// block to the previous one of the same slot (repetitive data, like a
// column of small numbers, has many).
type blockIndex struct {
	slots []int32 // block number + 1; 0 = empty
	chain []int32
	shift uint
}

// maxCandidates bounds how many same-hash blocks a lookup compares.
const maxCandidates = 8

// goodMatch is a match long enough to take without looking further.
const goodMatch = 256

func newBlockIndex(base []byte) *blockIndex {
	blocks := len(base) / deltaBlock
	b := bits.Len(uint(max(blocks*2, 16) - 1))
	idx := &blockIndex{slots: make([]int32, 1<<b), chain: make([]int32, blocks), shift: uint(64 - b)}
	for i := range blocks {
		h := idx.slot(base[i*deltaBlock:])
		idx.chain[i] = idx.slots[h]
		idx.slots[h] = int32(i + 1)
	}
	return idx
}

func (x *blockIndex) slot(b []byte) uint64 {
	h := binary.LittleEndian.Uint64(b)*0x9E3779B185EBCA87 ^ binary.LittleEndian.Uint64(b[8:])*0xC2B2AE3D27D4EB4F
	return (h * 0xff51afd7ed558ccd) >> x.shift
}

// resync is how far around and ahead of the previous copy's diagonal the
// search for the copy to resume looks, after an inserted, deleted or
// changed value.
const resync = 32

// nearAhead finds the first k < resync for which target[pos+k:] matches
// base near the previous copy's diagonal. Preferring a near match a few
// bytes on to a far match here keeps repetitive data (a column of rack
// positions 1..40, where every run of values recurs in every rack) from
// wandering off to a distant copy of the same bytes.
func (x *blockIndex) nearAhead(base, target []byte, pos, diag int) (int, bool) {
	for k := 0; k < resync && pos+k+deltaBlock <= len(target); k++ {
		if _, n := x.near(base, target, pos+k, pos+k+diag); n > 0 {
			return k, true
		}
	}
	return 0, false
}

// near returns the longest match for target[pos:] at base offsets within
// resync bytes of c (at least deltaBlock long, else n = 0).
func (x *blockIndex) near(base, target []byte, pos, c int) (off, n int) {
	m := &matcher{base: base, target: target, pos: pos, want: binary.LittleEndian.Uint64(target[pos:])}
	if m.try(c) {
		return m.off, m.n
	}
	for d := 1; d <= resync; d++ {
		if m.try(c-d) || m.try(c+d) {
			break
		}
	}
	return m.off, m.n
}

// far returns the longest match for target[pos:] among aligned blocks of
// base with the same hash.
func (x *blockIndex) far(base, target []byte, pos int) (off, n int) {
	m := &matcher{base: base, target: target, pos: pos, want: binary.LittleEndian.Uint64(target[pos:])}
	blk := x.slots[x.slot(target[pos:])]
	for i := 0; blk != 0 && i < maxCandidates; i++ {
		if m.try(int(blk-1) * deltaBlock) {
			break
		}
		blk = x.chain[blk-1]
	}
	return m.off, m.n
}

// matcher keeps the longest match of target[pos:] seen so far.
type matcher struct {
	base, target []byte
	pos          int
	want         uint64
	off, n       int
}

// try considers base offset c; it reports whether the match is good
// enough to stop looking.
func (m *matcher) try(c int) bool {
	if c < 0 || c+deltaBlock > len(m.base) || binary.LittleEndian.Uint64(m.base[c:]) != m.want {
		return false
	}
	if l := commonPrefix(m.base[c:], m.target[m.pos:]); l >= deltaBlock && l > m.n {
		m.off, m.n = c, l
	}
	return m.n >= goodMatch
}

// applyLegacyDelta rebuilds the target of a delta in the first format,
// which fleetq wrote before the format byte (files written then still hold
// them): uvarint(target length), then operations uvarint(n<<1|k), k=0
// inserting the next n bytes, k=1 copying n bytes from base at the uvarint
// offset that follows. dst is reused for the output.
func applyLegacyDelta(dst, base, d []byte) ([]byte, error) {
	r := &reader{b: d}
	size := r.uvarint()
	if r.err != nil {
		return nil, fmt.Errorf("%w: delta header", ErrCorrupt)
	}
	out := dst[:0]
	for len(r.b) > 0 && r.err == nil && uint64(len(out)) <= size {
		op := r.uvarint()
		n := op >> 1
		if op&1 == 0 {
			out = append(out, r.bytes(n)...)
			continue
		}
		off := r.uvarint()
		if off > uint64(len(base)) || n > uint64(len(base))-off {
			return nil, fmt.Errorf("%w: delta copies past its base", ErrCorrupt)
		}
		out = append(out, base[off:off+n]...)
	}
	if r.err != nil || uint64(len(out)) != size {
		return nil, fmt.Errorf("%w: delta rebuilds %d bytes, expected %d", ErrCorrupt, len(out), size)
	}
	return out, nil
}

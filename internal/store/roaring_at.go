package store

import (
	"encoding/binary"
	"fmt"
	"sort"
)

// bitmapContains answers roaring's Contains for a bitmap serialised (by
// roaring's WriteTo, the portable format) in bytes [base, base+size) of a
// blob, reading — and so verifying — only its headers and the one
// container that would hold x, not the whole bitmap: a bool attribute's
// true hosts at 5M hosts are over a megabyte, the container of one host
// at most 8 KiB.
//
// Portable format: a cookie (12346: a container count follows; 12347 |
// (count-1)<<16: a bitset of run containers follows), count × (key,
// cardinality-1) as uint16s, count × uint32 container offsets (absent
// when there are run containers and fewer than 4 containers), then the
// containers: runs (uint16 count, then (start, length-1) pairs), a 1024 ×
// uint64 bitset (cardinality over 4096) or a sorted uint16 array.
func bitmapContains(b *blob, base, size uint64, x uint32) (bool, error) {
	r := &bitmapAt{b: b, base: base, size: size}
	ok := r.contains(x)
	if r.err != nil {
		return false, fmt.Errorf("%w: bitmap: %w", ErrCorrupt, r.err)
	}
	return ok, nil
}

const (
	roaringCookieNoRuns = 12346
	roaringCookieRuns   = 12347
	roaringNoOffsets    = 4 // below this many containers with runs: no offset header
	roaringArrayMax     = 4096
)

type bitmapAt struct {
	b          *blob
	base, size uint64
	err        error
}

// at returns n bytes at offset off of the bitmap, verified.
func (r *bitmapAt) at(off, n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if off > r.size || n > r.size-off {
		r.err = fmt.Errorf("%d bytes at %d pass its end (%d bytes)", n, off, r.size)
		return nil
	}
	out, err := r.b.span(r.base+off, n)
	if err != nil {
		r.err = err
	}
	return out
}

func (r *bitmapAt) u16(off uint64) uint16 {
	if b := r.at(off, 2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *bitmapAt) u32(off uint64) uint32 {
	if b := r.at(off, 4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *bitmapAt) contains(x uint32) bool {
	n, runs, hdr := r.header()
	if r.err != nil {
		return false
	}
	keys := r.at(hdr, 4*n)
	if r.err != nil {
		return false
	}
	key := uint16(x >> 16)
	i := uint64(sort.Search(int(n), func(i int) bool { return binary.LittleEndian.Uint16(keys[4*i:]) >= key }))
	if i == n || binary.LittleEndian.Uint16(keys[4*i:]) != key {
		return false
	}
	card := uint64(binary.LittleEndian.Uint16(keys[4*i+2:])) + 1
	isRun := runs != nil && runs[i/8]&(1<<(i%8)) != 0
	off := r.containerOffset(i, n, runs, hdr+4*n, keys)
	if r.err != nil {
		return false
	}
	low := uint16(x)
	switch {
	case isRun:
		return r.inRuns(off, low)
	case card > roaringArrayMax:
		w := r.at(off+8*uint64(low>>6), 8)
		return w != nil && binary.LittleEndian.Uint64(w)&(1<<(low%64)) != 0
	}
	arr := r.at(off, 2*card)
	if r.err != nil {
		return false
	}
	j := sort.Search(int(card), func(j int) bool { return binary.LittleEndian.Uint16(arr[2*j:]) >= low })
	return j < int(card) && binary.LittleEndian.Uint16(arr[2*j:]) == low
}

// header reads the cookie: the container count, the run bitset (nil
// without run containers) and where the (key, cardinality) pairs start.
func (r *bitmapAt) header() (n uint64, runs []byte, hdr uint64) {
	cookie := r.u32(0)
	switch {
	case r.err != nil:
		return 0, nil, 0
	case cookie&0xFFFF == roaringCookieRuns:
		n = uint64(cookie>>16) + 1
		runs = r.at(4, (n+7)/8)
		return n, runs, 4 + (n+7)/8
	case cookie == roaringCookieNoRuns:
		n = uint64(r.u32(4))
		if n > r.size/4 {
			r.err = fmt.Errorf("%d containers in %d bytes", n, r.size)
		}
		return n, nil, 8
	}
	r.err = fmt.Errorf("unknown cookie %#x", cookie)
	return 0, nil, 0
}

// containerOffset is where container i starts: from the offset header,
// or, without one, after the sizes of the containers before it.
func (r *bitmapAt) containerOffset(i, n uint64, runs []byte, offs uint64, keys []byte) uint64 {
	if runs == nil || n >= roaringNoOffsets {
		return uint64(r.u32(offs + 4*i))
	}
	off := offs
	for j := uint64(0); j < i && r.err == nil; j++ {
		card := uint64(binary.LittleEndian.Uint16(keys[4*j+2:])) + 1
		switch {
		case runs[j/8]&(1<<(j%8)) != 0:
			off += 2 + 4*uint64(r.u16(off))
		case card > roaringArrayMax:
			off += 8192
		default:
			off += 2 * card
		}
	}
	return off
}

// inRuns reports whether low lies in one of the run container's runs.
func (r *bitmapAt) inRuns(off uint64, low uint16) bool {
	nr := uint64(r.u16(off))
	rs := r.at(off+2, 4*nr)
	if r.err != nil {
		return false
	}
	// the last run starting at or before low
	j := sort.Search(int(nr), func(j int) bool { return binary.LittleEndian.Uint16(rs[4*j:]) > low }) - 1
	if j < 0 {
		return false
	}
	start, length := binary.LittleEndian.Uint16(rs[4*j:]), binary.LittleEndian.Uint16(rs[4*j+2:])
	return uint32(low)-uint32(start) <= uint32(length)
}

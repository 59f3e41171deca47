package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
)

// maxNameRuns is how many runs in byte order EachName merges as it reads;
// beyond it, it sorts a copy of the names, as Names does. A variable for
// the tests of that fallback.
var maxNameRuns = 1024

// EachName calls fn with the name of every id in s, in byte order, reading
// the dictionary chunks in place: it keeps no name, so its memory does not
// grow with s. name is valid only during the call. EachName stops at fn's
// first error and returns it.
//
// Ids are given in byte order among the names one ingest adds, so the ids
// of s fall into a few runs in byte order (one per ingest that added
// names). A first pass finds the runs, and verifies every chunk it reads,
// so a damaged dictionary is an error before fn sees a name; the second
// merges the runs. With more than maxNameRuns runs, the names are sorted
// in memory.
func (d *dict) EachName(s *roaring.Bitmap, fn func(name []byte) error) error {
	runs := d.nameRuns(s)
	if d.err != nil {
		return d.err
	}
	if runs == nil {
		for _, n := range d.Names(s) {
			if err := fn([]byte(n)); err != nil {
				return err
			}
		}
		return d.err
	}
	if len(runs) == 1 {
		c := d.cursor(s, 0, noEnd)
		for c.next() {
			if err := fn(c.name); err != nil {
				return err
			}
		}
		return nil
	}
	return d.mergeRuns(s, runs, fn)
}

// noEnd is an end past every id.
const noEnd = uint64(1) << 32

// nameRuns lists the first id of each run of s whose names are in byte
// order; nil if there are more than maxNameRuns (or s is empty: no runs).
func (d *dict) nameRuns(s *roaring.Bitmap) []uint32 {
	var runs []uint32
	var prev []byte
	tooMany := false
	for c := d.cursor(s, 0, noEnd); c.next(); prev = c.name {
		if prev != nil && bytes.Compare(prev, c.name) <= 0 {
			continue
		}
		if len(runs) == maxNameRuns {
			tooMany = true // read on: every chunk is verified either way
			continue
		}
		runs = append(runs, c.id)
	}
	if tooMany {
		return nil
	}
	if runs == nil {
		runs = []uint32{0}
	}
	return runs
}

// mergeRuns calls fn with the names of every run, merged in byte order
// (a binary heap of one cursor per run; equal names in run order).
func (d *dict) mergeRuns(s *roaring.Bitmap, runs []uint32, fn func([]byte) error) error {
	var h nameHeap
	for i, start := range runs {
		end := noEnd
		if i+1 < len(runs) {
			end = uint64(runs[i+1])
		}
		if c := d.cursor(s, start, end); c.next() {
			c.run = i
			h.push(c)
		}
	}
	for len(h) > 0 {
		c := h[0]
		if err := fn(c.name); err != nil {
			return err
		}
		if c.next() {
			h.fix()
		} else {
			h.pop()
		}
	}
	return nil
}

// nameCursor reads the names of the ids of s in [start, end), in id order,
// moving forward through each chunk's bytes.
type nameCursor struct {
	d      *dict
	it     roaring.IntPeekable     // from start to end; or
	many   roaring.ManyIntIterable // from the first id to the last, in batches
	ids    []uint32                // many's batch, from pos
	pos    int
	end    uint64
	run    int
	id     uint32
	name   []byte
	chunk  uint32 // the chunk data holds, when loaded
	loaded bool
	data   []byte
	entry  uint32 // the entry off is at
	off    int
}

func (d *dict) cursor(s *roaring.Bitmap, start uint32, end uint64) *nameCursor {
	if start == 0 && end == noEnd {
		return &nameCursor{d: d, many: s.ManyIterator(), end: end}
	}
	it := s.Iterator()
	it.AdvanceIfNeeded(start)
	return &nameCursor{d: d, it: it, end: end}
}

// nextID is the next id of the cursor's range, if any.
func (c *nameCursor) nextID() (uint32, bool) {
	if c.many == nil {
		if !c.it.HasNext() {
			return 0, false
		}
		id := c.it.PeekNext()
		if uint64(id) >= c.end {
			return 0, false
		}
		c.it.Next()
		return id, true
	}
	if c.pos == len(c.ids) {
		if c.ids == nil {
			c.ids = make([]uint32, 256)
		}
		n := c.many.NextMany(c.ids[:cap(c.ids)])
		if n == 0 {
			return 0, false
		}
		c.ids, c.pos = c.ids[:n], 0
	}
	c.pos++
	return c.ids[c.pos-1], true
}

// next moves to the next id that has a name; an id below the host count
// without one is damage, recorded (as Name does) and skipped.
func (c *nameCursor) next() bool {
	for {
		id, ok := c.nextID()
		if !ok {
			return false
		}
		if name, ok := c.at(id); ok {
			c.id, c.name = id, name
			return true
		}
		if id < c.d.n {
			c.d.fail(fmt.Errorf("host dictionary: %w: no name for host id %d (the dictionary holds %d names)", ErrCorrupt, id, c.d.n))
		}
	}
}

// at reads id's name, skipping the entries before it in its chunk.
func (c *nameCursor) at(id uint32) ([]byte, bool) {
	if ch := id >> chunkBits; !c.loaded || ch != c.chunk {
		c.chunk, c.loaded, c.data, c.entry, c.off = ch, true, c.d.chunkBytes(ch), 0, 0
	}
	for want := id & (chunkSize - 1); ; c.entry++ {
		l, n := binary.Uvarint(c.data[c.off:])
		if n <= 0 || l > uint64(len(c.data)-c.off-n) {
			return nil, false
		}
		start := c.off + n
		c.off = start + int(l)
		if c.entry == want {
			c.entry++
			return c.data[start:c.off:c.off], true
		}
	}
}

// nameHeap is a binary min-heap of cursors by (name, run).
type nameHeap []*nameCursor

func (h nameHeap) less(i, j int) bool {
	if c := bytes.Compare(h[i].name, h[j].name); c != 0 {
		return c < 0
	}
	return h[i].run < h[j].run
}

func (h *nameHeap) push(c *nameCursor) {
	*h = append(*h, c)
	for i := len(*h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		(*h)[i], (*h)[p] = (*h)[p], (*h)[i]
		i = p
	}
}

func (h *nameHeap) pop() {
	old := *h
	old[0] = old[len(old)-1]
	*h = old[:len(old)-1]
	h.fix()
}

// fix moves the top down to its place.
func (h nameHeap) fix() {
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h.less(l, m) {
			m = l
		}
		if r < len(h) && h.less(r, m) {
			m = r
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

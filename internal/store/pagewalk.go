package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// bbolt's page layout, as written by go.etcd.io/bbolt v1.5 (internal/common):
// a 16-byte header (id, flags, element count, overflow page count), then
// the elements, 16 bytes each, whose keys and values sit at an offset
// from the element itself.
const (
	pageHeaderLen = 16
	pageElemLen   = 16
	bucketHdrLen  = 16 // a bucket value: root page id, sequence

	branchPageFlag = 0x01
	leafPageFlag   = 0x02
	bucketLeafFlag = 0x01
)

// pageWalk visits, by reading the file (never through a mapping), every
// page bbolt's freelist rebuild will visit, checking what that rebuild
// trusts: each page id is below the high water mark with its overflow,
// names itself in its header, is a branch or leaf page and is referenced
// once (so the tree has no cycle); each element, key and value lies
// inside its page; keys are in order within a page and within the bounds
// its parent gives them. A file that passes cannot make bbolt fault in the
// goroutine where it rebuilds the freelist on a writable open, nor recurse
// without end.
type pageWalk struct {
	r     pageSource
	psz   int64
	hwm   uint64
	seen  []uint64 // bitset of referenced pages
	pages int
}

// pageSource is the file's bytes as the walk reads them.
type pageSource interface {
	// at returns the n bytes at offset off; they may alias the source.
	at(off, n int64) ([]byte, error)
}

// readerSource reads each range from a file.
type readerSource struct{ io.ReaderAt }

func (r readerSource) at(off, n int64) ([]byte, error) {
	b := make([]byte, n)
	_, err := r.ReadAt(b, off)
	return b, err
}

// bytesSource is a file mapped read-only: a range is a slice of it.
type bytesSource []byte

func (b bytesSource) at(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off+n > int64(len(b)) {
		return nil, io.ErrUnexpectedEOF
	}
	return b[off : off+n : off+n], nil
}

// walkPages checks the tree under the bucket whose root page is root, in a
// file of page size psz with hwm pages.
func walkPages(r pageSource, psz int64, hwm, root uint64) (int, error) {
	w := &pageWalk{r: r, psz: psz, hwm: hwm, seen: make([]uint64, (hwm+63)/64)}
	w.mark(0)
	w.mark(1)
	if err := w.bucket(root, nil); err != nil {
		return w.pages, fmt.Errorf("%w: bbolt pages: %w", ErrCorrupt, err)
	}
	return w.pages, nil
}

// mark records a reference to page id and reports whether it was new.
func (w *pageWalk) mark(id uint64) bool {
	word, bit := id/64, uint64(1)<<(id%64)
	if w.seen[word]&bit != 0 {
		return false
	}
	w.seen[word] |= bit
	return true
}

// bucket walks a bucket's tree; inline buckets (root 0) are checked
// where their value is read.
func (w *pageWalk) bucket(root uint64, via []uint64) error {
	if root == 0 {
		return nil
	}
	_, err := w.tree(root, nil, nil, via)
	return err
}

// tree checks the subtree at page id, whose keys must be ≥ lo and < hi (nil
// for no bound), and returns its greatest key.
func (w *pageWalk) tree(id uint64, lo, hi []byte, via []uint64) ([]byte, error) {
	var p page // on the stack: one page run per call, none kept
	if err := w.page(&p, id, via); err != nil {
		return nil, err
	}
	via = append(via, id)
	if p.branch {
		return w.branch(&p, lo, hi, via)
	}
	return w.leaf(&p, lo, hi, via)
}

// page is one page run as read: its header fields and the bytes of its
// first page (elements and small keys); further bytes are read on demand.
type page struct {
	id       uint64
	branch   bool
	count    int
	size     int64 // bytes of the run, overflow pages included
	off      int64 // file offset of the run
	head     []byte
	inline   bool
	inlineOf []byte // the whole inline page, for a bucket stored in its value
	next     int64  // where the next element's key must start (layout)
}

// page reads the header of the run at page id into p.
func (w *pageWalk) page(p *page, id uint64, via []uint64) error {
	if id < 2 || id >= w.hwm {
		return fmt.Errorf("page %d out of range [2, %d) (via %v)", id, w.hwm, via)
	}
	head, err := w.r.at(int64(id)*w.psz, w.psz)
	if err != nil {
		return fmt.Errorf("page %d: %w", id, err)
	}
	got := binary.LittleEndian.Uint64(head)
	flags := binary.LittleEndian.Uint16(head[8:])
	overflow := uint64(binary.LittleEndian.Uint32(head[12:]))
	switch {
	case got != id:
		return fmt.Errorf("page %d names itself %d (via %v)", id, got, via)
	case flags != branchPageFlag && flags != leafPageFlag:
		return fmt.Errorf("page %d: type %#x is not a branch or leaf (via %v)", id, flags, via)
	case id+overflow >= w.hwm:
		return fmt.Errorf("page %d: %d overflow pages pass the end (%d pages) (via %v)", id, overflow, w.hwm, via)
	}
	for i := id; i <= id+overflow; i++ {
		if !w.mark(i) {
			return fmt.Errorf("page %d referenced twice (via %v)", i, via)
		}
	}
	w.pages++
	*p = page{id: id, branch: flags == branchPageFlag, count: int(binary.LittleEndian.Uint16(head[10:])),
		size: int64(overflow+1) * w.psz, off: int64(id) * w.psz, head: head}
	p.next = int64(pageHeaderLen + p.count*pageElemLen)
	if p.next > p.size {
		return fmt.Errorf("page %d: %d elements overflow the page", id, p.count)
	}
	return nil
}

// data checks bbolt's layout of an element's key and value, and advances
// past them. bbolt writes a page once, whole: the elements, then every
// key and value in element order with nothing between them, so a key
// that does not start where the one before ended is a damaged offset or
// size, not a layout bbolt makes.
func (p *page) data(i int, at, ksize, vsize int64) error {
	if at != p.next || ksize == 0 {
		return fmt.Errorf("page %d: element %d's key (%d bytes at %d) is not where bbolt puts it (at %d)", p.id, i, ksize, at, p.next)
	}
	p.next += ksize + vsize
	return inside(p, at, ksize+vsize)
}

// filled checks that a page run is as long as bbolt allocates for what it
// holds: its last page is in use.
func (w *pageWalk) filled(p *page) error {
	if p.inline {
		return nil
	}
	if need := (p.next + w.psz - 1) / w.psz * w.psz; need != p.size {
		return fmt.Errorf("page %d: %d bytes of data in a run of %d bytes (bbolt allocates %d)", p.id, p.next, p.size, need)
	}
	return nil
}

// bytes returns n bytes at offset off inside the page run, or an error
// if they do not lie inside it.
func (w *pageWalk) bytes(p *page, off, n int64) ([]byte, error) {
	if err := inside(p, off, n); err != nil {
		return nil, err
	}
	if p.inline {
		return p.inlineOf[off : off+n], nil
	}
	if off+n <= int64(len(p.head)) {
		return p.head[off : off+n], nil
	}
	b, err := w.r.at(p.off+off, n)
	if err != nil {
		return nil, fmt.Errorf("page %d: %w", p.id, err)
	}
	return b, nil
}

// inside checks that n bytes at off lie inside the page run.
func inside(p *page, off, n int64) error {
	if off < 0 || n < 0 || off+n > p.size {
		return fmt.Errorf("page %d: %d bytes at offset %d lie outside its %d bytes", p.id, n, off, p.size)
	}
	return nil
}

// elem returns element i's header bytes and file-relative offset.
func (w *pageWalk) elem(p *page, i int) ([]byte, int64, error) {
	off := int64(pageHeaderLen + i*pageElemLen)
	e, err := w.bytes(p, off, pageElemLen)
	return e, off, err
}

func (w *pageWalk) branch(p *page, lo, hi []byte, via []uint64) ([]byte, error) {
	keys := make([][]byte, p.count)
	children := make([]uint64, p.count)
	for i := range keys {
		e, off, err := w.elem(p, i)
		if err != nil {
			return nil, err
		}
		pos, ksize := int64(binary.LittleEndian.Uint32(e)), int64(binary.LittleEndian.Uint32(e[4:]))
		if err := p.data(i, off+pos, ksize, 0); err != nil {
			return nil, err
		}
		if keys[i], err = w.bytes(p, off+pos, ksize); err != nil {
			return nil, err
		}
		children[i] = binary.LittleEndian.Uint64(e[8:])
	}
	if err := w.filled(p); err != nil {
		return nil, err
	}
	var greatest []byte
	min := lo
	for i, k := range keys {
		if err := keyInOrder(p.id, i, k, min, hi); err != nil {
			return nil, err
		}
		next := hi
		if i+1 < len(keys) {
			next = keys[i+1]
		}
		g, err := w.tree(children[i], k, next, via)
		if err != nil {
			return nil, err
		}
		greatest, min = g, g
	}
	return greatest, nil
}

func (w *pageWalk) leaf(p *page, lo, hi []byte, via []uint64) ([]byte, error) {
	var last []byte
	min := lo
	for i := 0; i < p.count; i++ {
		e, off, err := w.elem(p, i)
		if err != nil {
			return nil, err
		}
		flags := binary.LittleEndian.Uint32(e)
		pos := int64(binary.LittleEndian.Uint32(e[4:]))
		ksize, vsize := int64(binary.LittleEndian.Uint32(e[8:])), int64(binary.LittleEndian.Uint32(e[12:]))
		if flags&^bucketLeafFlag != 0 {
			return nil, fmt.Errorf("page %d: element %d has flags %#x", p.id, i, flags)
		}
		if err := p.data(i, off+pos, ksize, vsize); err != nil {
			return nil, err
		}
		k, err := w.bytes(p, off+pos, ksize)
		if err != nil {
			return nil, err
		}
		if err := keyInOrder(p.id, i, k, min, hi); err != nil {
			return nil, err
		}
		if flags&bucketLeafFlag != 0 {
			if err := w.child(p, off+pos+ksize, vsize, via); err != nil {
				return nil, fmt.Errorf("bucket %s: %w", hexKey(k), err)
			}
		}
		last, min = k, k
	}
	if err := w.filled(p); err != nil {
		return nil, err
	}
	return last, nil
}

// child checks a bucket value: a page-based bucket's tree, or an inline
// bucket's page inside the value.
func (w *pageWalk) child(p *page, off, n int64, via []uint64) error {
	v, err := w.bytes(p, off, n)
	if err != nil {
		return err
	}
	if n < bucketHdrLen {
		return fmt.Errorf("page %d: a %d-byte bucket value", p.id, n)
	}
	root := binary.LittleEndian.Uint64(v)
	if root != 0 && n != bucketHdrLen {
		return fmt.Errorf("page %d: a %d-byte value for a bucket rooted at page %d", p.id, n, root)
	}
	if root != 0 {
		return w.bucket(root, via)
	}
	in := v[bucketHdrLen:]
	if len(in) < pageHeaderLen {
		return fmt.Errorf("page %d: an inline bucket of %d bytes", p.id, len(in))
	}
	if flags := binary.LittleEndian.Uint16(in[8:]); flags != leafPageFlag {
		return fmt.Errorf("page %d: an inline bucket of type %#x", p.id, flags)
	}
	ip := page{id: p.id, count: int(binary.LittleEndian.Uint16(in[10:])), size: int64(len(in)), inline: true, inlineOf: in}
	ip.next = int64(pageHeaderLen + ip.count*pageElemLen)
	if ip.next > ip.size {
		return fmt.Errorf("page %d: an inline bucket's %d elements overflow it", p.id, ip.count)
	}
	if _, err = w.leaf(&ip, nil, nil, via); err != nil {
		return err
	}
	if ip.next != ip.size {
		return fmt.Errorf("page %d: an inline bucket of %d bytes holds %d", p.id, ip.size, ip.next)
	}
	return nil
}

// keyInOrder is bbolt's ordering rule: the first key of a page is ≥ the
// bound its parent gives, later keys strictly greater than the one before,
// and all < the next key of the parent.
func keyInOrder(id uint64, i int, k, min, hi []byte) error {
	switch {
	case min != nil && i == 0 && bytes.Compare(min, k) > 0,
		min != nil && i > 0 && bytes.Compare(min, k) >= 0:
		return fmt.Errorf("page %d: key %d (%s) out of order", id, i, hexKey(k))
	case hi != nil && bytes.Compare(k, hi) >= 0:
		return fmt.Errorf("page %d: key %d (%s) not below its parent's next key", id, i, hexKey(k))
	}
	return nil
}

// hexKey is a short hex form of a key for an error.
func hexKey(k []byte) string {
	if len(k) > 24 {
		return fmt.Sprintf("%x…", k[:24])
	}
	return fmt.Sprintf("%x", k)
}

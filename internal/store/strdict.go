package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
)

// A string attribute is stored dictionary-encoded (encDict):
//
//	'D' flags:byte presence:bitmap
//	n:uvarint
//	[size:uvarint ⌈n/64⌉×uint32]      when flags&dictOffsets: the bytes of the values,
//	                                  and where value 64j starts among them (little-endian)
//	n×(len:uvarint bytes)             distinct values, strictly increasing
//	width:byte                        bytes per code, widthFor(n)
//	codes                             card(presence)×width, little-endian, in id order
//	[n×bitmap]                        when flags&dictBitmaps: the hosts of each value
//
// Decoding checks every length, the order of the values, that every code
// is below their number and that the bitmaps hold as many hosts as there
// are codes; that each bitmap holds exactly the hosts of its code is left
// to the check (checkAttrBody), as the blob's hash already vouches for it.
//
// A host's code is the index of its value in the dictionary, so grouping,
// counting and matching work on small integers, and a predicate runs once
// per distinct value. Up to maxIndexValues values, a bitmap per value is
// kept too, so `role = "web"` is one lookup.

// dictBitmaps is the flag of an encDict blob that stores a bitmap per value.
const dictBitmaps = 1

// dictOffsets is the flag of an encDict blob that stores the size of its
// values and the offset of every dictGroup-th one, so a one-host read
// (hostvalue.go) finds the codes and one value without walking the
// dictionary. fleetq writes it above dictGroup values; a blob without it
// (every one written before it) still reads, walking the values.
const dictOffsets = 2

// dictGroup is how many values lie between two stored offsets.
const dictGroup = 64

// dictGroups is the number of stored offsets of n values.
func dictGroups(n uint64) uint64 { return (n + dictGroup - 1) / dictGroup }

// widthFor is the bytes per code of a dictionary of n values.
func widthFor(n int) int {
	switch {
	case n <= 1:
		return 0
	case n <= 1<<8:
		return 1
	case n <= 1<<16:
		return 2
	case n <= 1<<24:
		return 3
	}
	return 4
}

// appendCode appends code c in w bytes, little-endian.
func appendCode(b []byte, c uint32, w int) []byte {
	for i := range w {
		b = append(b, byte(c>>(8*i)))
	}
	return b
}

func encodeString(c *Column, es []entry) []byte {
	var values []string
	var codes []uint32
	if c.Coded() {
		values, codes = rankCoded(c, es)
	} else {
		values, codes = internStrings(c, es)
	}
	return encodeDict(values, codes, es, len(values) > dictGroup)
}

// encodeDict writes the sorted values and the code of each entry, with
// the offsets when asked for and the values fit their 32-bit offsets.
func encodeDict(values []string, codes []uint32, es []entry, offsets bool) []byte {
	flags := byte(0)
	if len(values) <= maxIndexValues {
		flags = dictBitmaps
	}
	size := uint64(0)
	for _, v := range values {
		size += uint64(uvarintLen(uint64(len(v)))) + uint64(len(v))
	}
	if offsets && size <= math.MaxUint32 {
		flags |= dictOffsets
	}
	b := appendBitmap([]byte{encDict, flags}, presence(es))
	b = binary.AppendUvarint(b, uint64(len(values)))
	if flags&dictOffsets != 0 {
		b = appendDictOffsets(b, values, size)
	}
	for _, v := range values {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	w := widthFor(len(values))
	b = append(b, byte(w))
	for _, k := range codes {
		b = appendCode(b, k, w)
	}
	if flags&dictBitmaps != 0 {
		for _, bm := range codeBitmaps(es, codes, len(values)) {
			b = appendBitmap(b, bm)
		}
	}
	return b
}

// appendDictOffsets appends the size of the values and where every
// dictGroup-th value starts among them.
func appendDictOffsets(b []byte, values []string, size uint64) []byte {
	b = binary.AppendUvarint(b, size)
	pos := uint64(0)
	for i, v := range values {
		if i%dictGroup == 0 {
			b = binary.LittleEndian.AppendUint32(b, uint32(pos))
		}
		pos += uint64(uvarintLen(uint64(len(v)))) + uint64(len(v))
	}
	return b
}

// uvarintLen is the bytes of x as a uvarint.
func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

// internStrings returns the distinct values of the present hosts es,
// sorted, and the code of each entry.
func internStrings(c *Column, es []entry) ([]string, []uint32) {
	index := map[string]uint32{}
	var values []string
	codes := make([]uint32, len(es))
	for i, e := range es {
		v := c.Str[e.row]
		k, ok := index[v]
		if !ok {
			k = uint32(len(values))
			index[v] = k
			values = append(values, v)
		}
		codes[i] = k
	}
	order := make([]uint32, len(values))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(x, y uint32) int { return strings.Compare(values[x], values[y]) })
	remap := make([]uint32, len(values))
	sorted := make([]string, len(values))
	for rank, old := range order {
		remap[old] = uint32(rank)
		sorted[rank] = values[old]
	}
	for i, k := range codes {
		codes[i] = remap[k]
	}
	return sorted, codes
}

// rankCoded is internStrings for a coded column: its dictionary is sorted
// once (no map of per-host strings), entries no present host uses are
// dropped and equal ones merged, and each entry's code is its value's rank.
func rankCoded(c *Column, es []entry) ([]string, []uint32) {
	used := make([]bool, len(c.Dict))
	for _, e := range es {
		used[c.Codes[e.row]] = true
	}
	order := make([]uint32, 0, len(c.Dict))
	for k, u := range used {
		if u {
			order = append(order, uint32(k))
		}
	}
	slices.SortFunc(order, func(x, y uint32) int { return strings.Compare(c.Dict[x], c.Dict[y]) })
	remap := make([]uint32, len(c.Dict))
	var sorted []string
	for _, old := range order {
		if v := c.Dict[old]; len(sorted) == 0 || sorted[len(sorted)-1] != v {
			sorted = append(sorted, v)
		}
		remap[old] = uint32(len(sorted) - 1)
	}
	codes := make([]uint32, len(es))
	for i, e := range es {
		codes[i] = remap[c.Codes[e.row]]
	}
	return sorted, codes
}

// codeBitmaps builds the hosts of each of n codes.
func codeBitmaps(es []entry, codes []uint32, n int) []*roaring.Bitmap {
	ids := make([][]uint32, n)
	for i, e := range es {
		ids[codes[i]] = append(ids[codes[i]], e.id)
	}
	out := make([]*roaring.Bitmap, n)
	for k := range ids {
		out[k] = roaring.BitmapOf(ids[k]...)
	}
	return out
}

// dictAttr is a dictionary-encoded string attribute read in place: the
// codes stay in the stored bytes; the values are substrings of one copy
// of the dictionary.
type dictAttr struct {
	present *roaring.Bitmap
	ranks   ranker // present's ranks, for lookups of one host
	dict    strDict
	width   int
	codes   []byte            // card(present)×width bytes
	bitmaps []*roaring.Bitmap // hosts per code, nil unless stored
	groups  []fleet.Group     // built on first Groups
}

// dictIndex is a dictAttr with a bitmap per value: few enough values
// that it lists them for the checker's typo warning (fleet.ValueLister).
type dictIndex struct{ *dictAttr }

// Values lists the distinct values, sorted (fleet.ValueLister).
func (a dictIndex) Values() []string {
	out := make([]string, a.dict.len())
	for k := range out {
		out[k] = a.dict.at(uint32(k))
	}
	return out
}

func decodeDict(r *reader) fleet.Attr {
	flags := r.byte()
	if flags&^(dictBitmaps|dictOffsets) != 0 {
		r.fail("unknown dictionary flags %#x", flags)
	}
	a := &dictAttr{present: r.bitmap()}
	a.ranks = newRanker(a.present)
	a.dict = r.dictionary(flags&dictOffsets != 0)
	a.width = int(r.byte())
	if r.err == nil && a.width != widthFor(a.dict.len()) {
		r.fail("code width %d for %d values", a.width, a.dict.len())
	}
	a.codes = r.bytes(uint64(a.width) * cardOf(a.present))
	if r.err != nil {
		return nil
	}
	a.checkCodes(r)
	if flags&dictBitmaps == 0 {
		r.end()
		return a
	}
	a.bitmaps = make([]*roaring.Bitmap, a.dict.len())
	total := uint64(0)
	for k := range a.bitmaps {
		a.bitmaps[k] = r.bitmap()
		total += cardOf(a.bitmaps[k])
	}
	if r.err == nil && total != uint64(a.len()) {
		r.fail("%d hosts in the value bitmaps and %d codes", total, a.len())
	}
	r.end()
	return dictIndex{a}
}

// strDict is a sorted dictionary: every value is a substring of one copy
// of the stored bytes, found by its span, so a million values cost one
// string and an array the collector need not scan.
type strDict struct {
	all   string
	spans []uint32 // start and end in all of each value
}

func (d strDict) len() int { return len(d.spans) / 2 }

func (d strDict) at(k uint32) string { return d.all[d.spans[2*k]:d.spans[2*k+1]] }

// dictionary reads n strictly increasing strings, after their size and
// offsets when withOffsets, each of which must be exactly where the walk
// finds it. It walks the bytes in one tight loop (a serial or ip
// dictionary has a value per host).
func (r *reader) dictionary(withOffsets bool) strDict {
	n := r.uvarint()
	if r.err != nil {
		return strDict{}
	}
	if n > uint64(len(r.b)) {
		r.fail("dictionary of %d values in %d bytes", n, len(r.b))
		return strDict{}
	}
	size, table := uint64(0), []byte(nil)
	if withOffsets {
		size = r.uvarint()
		table = r.bytes(4 * dictGroups(n))
		if r.err != nil {
			return strDict{}
		}
	}
	b := r.b
	spans := make([]uint32, 2*n)
	pos, prev := 0, 0
	for i := range int(n) {
		if table != nil && i%dictGroup == 0 && binary.LittleEndian.Uint32(table[4*(i/dictGroup):]) != uint32(pos) {
			r.fail("dictionary offset %d is not where value %d starts", i/dictGroup, i)
			return strDict{}
		}
		l, k := uint64(0), 1
		switch {
		case pos >= len(b):
			k = 0
		case b[pos] < 0x80:
			l = uint64(b[pos])
		default:
			l, k = binary.Uvarint(b[pos:])
		}
		if k <= 0 || l > uint64(len(b)-pos-k) {
			r.fail("truncated dictionary at value %d", i)
			return strDict{}
		}
		start, end := pos+k, pos+k+int(l)
		if i > 0 && string(b[prev:spans[2*i-1]]) >= string(b[start:end]) {
			r.fail("dictionary not strictly increasing at value %d", i)
			return strDict{}
		}
		spans[2*i], spans[2*i+1] = uint32(start), uint32(end)
		prev, pos = start, end
	}
	if withOffsets && uint64(pos) != size {
		r.fail("dictionary of %d bytes stored as %d", pos, size)
		return strDict{}
	}
	r.b = b[pos:]
	return strDict{all: string(b[:pos]), spans: spans}
}

// checkCodes fails unless every code is below the dictionary size.
func (a *dictAttr) checkCodes(r *reader) {
	if a.len() == 0 {
		return
	}
	if top := a.maxCode(); top >= uint32(a.dict.len()) {
		r.fail("code %d beyond %d values", top, a.dict.len())
	}
}

// maxCode is the largest code, read from the stored bytes directly for
// the common widths.
func (a *dictAttr) maxCode() uint32 {
	top := uint32(0)
	switch a.width {
	case 0:
	case 1:
		m := byte(0)
		for _, c := range a.codes {
			m = max(m, c)
		}
		top = uint32(m)
	case 2:
		m, b := uint16(0), a.codes
		for i := 0; i+1 < len(b); i += 2 {
			m = max(m, binary.LittleEndian.Uint16(b[i:]))
		}
		top = uint32(m)
	default:
		a.codeChunks(func(ks []uint32) {
			for _, k := range ks {
				top = max(top, k)
			}
		})
	}
	return top
}

// len is the number of present hosts (of codes).
func (a *dictAttr) len() int {
	if a.width == 0 {
		return int(a.present.GetCardinality())
	}
	return len(a.codes) / a.width
}

// chunk is how many hosts the scans decode at a time.
const chunk = 4096

// decode writes the codes of the present hosts of ranks i.. to dst.
func (a *dictAttr) decode(i int, dst []uint32) {
	b := a.codes[a.width*i:]
	switch a.width {
	case 0:
		clear(dst)
	case 1:
		for j := range dst {
			dst[j] = uint32(b[j])
		}
	case 2:
		b = b[:2*len(dst)]
		for j := range dst {
			dst[j] = uint32(binary.LittleEndian.Uint16(b[2*j:]))
		}
	case 3:
		b = b[:3*len(dst)]
		for j := range dst {
			dst[j] = uint32(b[3*j]) | uint32(b[3*j+1])<<8 | uint32(b[3*j+2])<<16
		}
	default:
		b = b[:4*len(dst)]
		for j := range dst {
			dst[j] = binary.LittleEndian.Uint32(b[4*j:])
		}
	}
}

// codeChunks calls fn with the codes of all present hosts, in id order,
// a chunk at a time.
func (a *dictAttr) codeChunks(fn func(ks []uint32)) {
	ks := make([]uint32, chunk)
	for i, n := 0, a.len(); i < n; i += chunk {
		m := min(chunk, n-i)
		a.decode(i, ks[:m])
		fn(ks[:m])
	}
}

// chunks calls fn with the present hosts and their codes, in id order, a
// chunk at a time.
func (a *dictAttr) chunks(fn func(ids, ks []uint32)) {
	it := a.present.ManyIterator()
	ids, ks := make([]uint32, chunk), make([]uint32, chunk)
	for rank := 0; ; {
		m := it.NextMany(ids)
		if m == 0 || rank+m > a.len() {
			return
		}
		a.decode(rank, ks[:m])
		fn(ids[:m], ks[:m])
		rank += m
	}
}

// code is the code of the present host of rank i.
func (a *dictAttr) code(i int) uint32 {
	b := a.codes
	switch a.width {
	case 0:
		return 0
	case 1:
		return uint32(b[i])
	case 2:
		return uint32(binary.LittleEndian.Uint16(b[2*i:]))
	case 3:
		j := 3 * i
		return uint32(b[j]) | uint32(b[j+1])<<8 | uint32(b[j+2])<<16
	}
	return binary.LittleEndian.Uint32(b[4*i:])
}

func (a *dictAttr) Type() fleet.Type                                  { return fleet.String }
func (a *dictAttr) Present() *roaring.Bitmap                          { return a.present }
func (a *dictAttr) Sampled() bool                                     { return false }
func (a *dictAttr) FilterSampleTime(func(int64) bool) *roaring.Bitmap { return roaring.New() }
func (a *dictAttr) DictLen() int                                      { return a.dict.len() }
func (a *dictAttr) DictValue(k uint32) string                         { return a.dict.at(k) }

func (a *dictAttr) str(k uint32) fleet.Value {
	return fleet.Value{Type: fleet.String, Str: a.dict.at(k)}
}

// Filter runs keep once per distinct value, then selects hosts by code.
func (a *dictAttr) Filter(keep func(fleet.Value) bool) *roaring.Bitmap {
	hit := make([]bool, a.dict.len())
	for k := range hit {
		hit[k] = keep(a.str(uint32(k)))
	}
	return a.HostsWith(hit)
}

// HostsWith ORs the bitmaps of the kept values when they are stored, else
// scans the codes once.
func (a *dictAttr) HostsWith(keep []bool) *roaring.Bitmap {
	kept := 0
	for _, k := range keep {
		if k {
			kept++
		}
	}
	switch {
	case kept == 0:
		return roaring.New()
	case kept == a.dict.len():
		return a.present.Clone()
	case a.bitmaps != nil:
		var hit []*roaring.Bitmap
		for k, bm := range a.bitmaps {
			if keep[k] {
				hit = append(hit, bm)
			}
		}
		return roaring.FastOr(hit...)
	}
	var out []uint32
	a.chunks(func(ids, ks []uint32) {
		for j, k := range ks {
			if keep[k] {
				out = append(out, ids[j])
			}
		}
	})
	return roaring.BitmapOf(out...)
}

// Groups lists the values with their hosts: the stored bitmaps, or built
// from the codes in one pass (values no host has are left out).
func (a *dictAttr) Groups() []fleet.Group {
	if a.groups != nil {
		return a.groups
	}
	bms := a.bitmaps
	if bms == nil {
		bms = a.buildBitmaps()
	}
	gs := make([]fleet.Group, 0, len(bms))
	for k, bm := range bms {
		if bm != nil && !bm.IsEmpty() {
			gs = append(gs, fleet.Group{Value: a.str(uint32(k)), Hosts: bm})
		}
	}
	a.groups = gs
	return gs
}

// buildBitmaps sorts the present hosts by code (a counting sort, so each
// value's hosts stay in id order) and makes a bitmap of each run.
func (a *dictAttr) buildBitmaps() []*roaring.Bitmap {
	n := a.dict.len()
	start := make([]int, n+1)
	a.codeChunks(func(ks []uint32) {
		for _, k := range ks {
			start[k+1]++
		}
	})
	for k := range n {
		start[k+1] += start[k]
	}
	ids := make([]uint32, a.len())
	next := slices.Clone(start[:n])
	a.chunks(func(hosts, ks []uint32) {
		for j, k := range ks {
			ids[next[k]] = hosts[j]
			next[k]++
		}
	})
	out := make([]*roaring.Bitmap, n)
	for k := range out {
		if start[k] < start[k+1] {
			out[k] = roaring.BitmapOf(ids[start[k]:start[k+1]]...)
		}
	}
	return out
}

func (a *dictAttr) Value(id uint32) (fleet.Value, bool) {
	if !a.present.Contains(id) {
		return fleet.Value{}, false
	}
	return a.str(a.code(int(a.ranks.rank(id) - 1))), true
}

// sparseCodes is how many times fewer members than present hosts make
// Codes look each member up by rank rather than walk every present host.
const sparseCodes = 16

// Codes returns the code of every member of hosts in id order: all codes
// when hosts are the present hosts, a rank lookup per member when they
// are few, else one walk of both.
func (a *dictAttr) Codes(hosts *roaring.Bitmap) []uint32 {
	card := hosts.GetCardinality()
	if card == uint64(a.len()) && hosts.Equals(a.present) {
		out := make([]uint32, card)
		a.decode(0, out)
		return out
	}
	out := make([]uint32, 0, card)
	if card*sparseCodes < uint64(a.len()) {
		it := hosts.Iterator()
		for it.HasNext() {
			id := it.Next()
			if a.present.Contains(id) {
				out = append(out, a.code(int(a.ranks.rank(id)-1)))
			} else {
				out = append(out, fleet.NoCode)
			}
		}
		return out
	}
	c := a.cursor()
	it := hosts.ManyIterator()
	buf := make([]uint32, chunk)
	for {
		n := it.NextMany(buf)
		if n == 0 {
			return out
		}
		for _, id := range buf[:n] {
			out = append(out, c.seek(id))
		}
	}
}

// codeCursor walks the present hosts of a forward with their codes.
type codeCursor struct {
	a        *dictAttr
	it       roaring.ManyIntIterable
	ids, ks  []uint32
	pos      int // next host in ids
	rank     int // rank of ids[0]
	finished bool
}

func (a *dictAttr) cursor() *codeCursor {
	c := &codeCursor{a: a, it: a.present.ManyIterator(), ids: make([]uint32, 0, chunk), ks: make([]uint32, chunk)}
	c.fill()
	return c
}

func (c *codeCursor) fill() {
	c.rank += len(c.ids)
	n := c.it.NextMany(c.ids[:cap(c.ids)])
	if c.rank+n > c.a.len() {
		n = 0 // cannot happen: decoding checked the codes cover the present hosts
	}
	c.ids, c.pos, c.finished = c.ids[:n], 0, n == 0
	c.a.decode(c.rank, c.ks[:n])
}

// seek returns the code of host id, fleet.NoCode when it has none.
// Successive calls must ask for increasing ids.
func (c *codeCursor) seek(id uint32) uint32 {
	for !c.finished {
		if c.pos == len(c.ids) || c.ids[len(c.ids)-1] < id {
			c.fill()
			continue
		}
		for c.ids[c.pos] < id {
			c.pos++
		}
		if c.ids[c.pos] == id {
			return c.ks[c.pos]
		}
		return fleet.NoCode
	}
	return fleet.NoCode
}

// countCodes counts the present hosts of each value.
func (a *dictAttr) countCodes() []uint64 {
	counts := make([]uint64, a.dict.len())
	a.codeChunks(func(ks []uint32) {
		for _, k := range ks {
			counts[k]++
		}
	})
	return counts
}

// asDict returns the dictionary behind a string attribute stored as one.
func asDict(a fleet.Attr) (*dictAttr, bool) {
	switch a := a.(type) {
	case *dictAttr:
		return a, true
	case dictIndex:
		return a.dictAttr, true
	}
	return nil, false
}

// orEmpty is bm, or an empty bitmap for nil.
func orEmpty(bm *roaring.Bitmap) *roaring.Bitmap {
	if bm == nil {
		return roaring.New()
	}
	return bm
}

// byte reads one byte.
func (r *reader) byte() byte {
	b := r.bytes(1)
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// fail records the first decoding error.
func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
}

// end fails if bytes are left over.
func (r *reader) end() {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d bytes after the attribute", len(r.b))
	}
}

// codesAt writes to dst the codes of the present hosts of the given ranks.
func (a *dictAttr) codesAt(ranks, dst []uint32) {
	b := a.codes
	switch a.width {
	case 0:
		clear(dst[:len(ranks)])
	case 1:
		for j, i := range ranks {
			dst[j] = uint32(b[i])
		}
	case 2:
		for j, i := range ranks {
			dst[j] = uint32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case 3:
		for j, i := range ranks {
			k := 3 * i
			dst[j] = uint32(b[k]) | uint32(b[k+1])<<8 | uint32(b[k+2])<<16
		}
	default:
		for j, i := range ranks {
			dst[j] = binary.LittleEndian.Uint32(b[4*i:])
		}
	}
}

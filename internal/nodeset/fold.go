package nodeset

import (
	"bytes"
	"io"
	"math/bits"
	"slices"
	"strings"
)

// Fold folds names into ClusterShell notation, such as
// "dn[0001-0042,0044].smf1". Groups are listed in byte order and
// Expand(Fold(names)) equals names as a set: names that differ in zero
// padding never share a range unless the range's padding produces both.
//
// Names are split into text and numeric fields; names with the same text
// fields are folded one numeric field at a time, so a full grid such as
// rack[1-2]-node[01-40] folds in several dimensions. Empty names are skipped.
// Names containing '[', ']', ',' or whitespace cannot be written in the
// notation and are copied as they are.
func Fold(names []string) string {
	var f Folder
	for _, n := range sortedUnique(names) {
		f.AddString(n)
	}
	return f.String()
}

// sortedUnique returns the non-empty names, sorted and without duplicates.
func sortedUnique(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Folder folds names added one at a time, as Fold does, without keeping
// the names: a name costs 8 bytes per numeric field (its digits as a
// number), and its shape (its text fields) is kept once. Names are best
// added in byte order (as fleetq's host dictionary lists them): the last
// numeric field is then merged as they arrive. In any other order, or
// repeated, the result is the same, only slower. The zero Folder is empty
// and ready.
type Folder struct {
	shapes map[uint64]*shape // by the hash of their text fields
	last   []byte            // the previous name: repeats are skipped, disorder noted
	any    bool              // a name was added
	disord bool              // a name came before the one added before it
	sets   setTable
	huge   digitTable
	nums   []uint64 // scratch: the digit fields of the name being added, as codes
	texts  []span   // scratch: its text fields
	recent [1 << recentBits]*shape
}

// AddString adds one name; "" is skipped.
func (f *Folder) AddString(name string) { f.Add([]byte(name)) }

// Add adds one name, which Add does not keep; an empty one is skipped.
func (f *Folder) Add(name []byte) {
	if len(name) == 0 {
		return
	}
	if f.any {
		switch c := bytes.Compare(f.last, name); {
		case c == 0:
			return
		case c > 0 && !f.disord:
			f.disord = true
			for _, head := range f.shapes {
				for sh := head; sh != nil; sh = sh.collides {
					sh.ungroup()
				}
			}
		}
	}
	f.any = true
	f.last = append(f.last[:0], name...)
	f.shape(name, f.tokenize(name)).add(f, f.nums)
}

// shape is the shape of name, whose text fields f.texts hash to h: from
// a small cache indexed by the hash, else the map of every shape.
func (f *Folder) shape(name []byte, h uint64) *shape {
	slot := &f.recent[h>>(64-recentBits)]
	if sh := *slot; sh != nil && sh.hash == h && sh.is(name, f.texts) {
		return sh
	}
	sh := f.shapes[h]
	for sh != nil && !sh.is(name, f.texts) {
		sh = sh.collides
	}
	if sh == nil {
		sh = newShape(name, f.texts)
		if f.shapes == nil {
			f.shapes = map[uint64]*shape{}
		}
		sh.hash, sh.collides = h, f.shapes[h]
		f.shapes[h] = sh
	}
	*slot = sh
	return sh
}

// recentBits sizes the cache of shapes by hash (256 entries).
const recentBits = 8

// tokenize splits name into text fields around its runs of ASCII digits
// (f.texts, one more than f.nums) and the runs of digits, as codes
// (f.nums), and returns a hash of the text fields.
func (f *Folder) tokenize(name []byte) uint64 {
	f.nums, f.texts = f.nums[:0], f.texts[:0]
	h := uint64(0)
	start := 0
	for i := 0; i < len(name); {
		if c := name[i]; !isDigit(c) {
			h = bits.RotateLeft64(h, 7) ^ uint64(c)
			i++
			continue
		}
		j := i + 1
		for j < len(name) && isDigit(name[j]) {
			j++
		}
		f.texts = append(f.texts, span{start, i})
		if c, ok := smallCode(name[i:j]); ok {
			f.nums = append(f.nums, c)
		} else {
			f.nums = append(f.nums, f.huge.code(name[i:j]))
		}
		h = bits.RotateLeft64(h, 7) ^ 0x100 // a field boundary, no byte
		start, i = j, j
	}
	f.texts = append(f.texts, span{start, len(name)})
	return (h ^ h>>31) * 0x9e3779b97f4a7c15 // mixed, so its top bits index the cache
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// String is the folded notation of every name added.
func (f *Folder) String() string {
	var b strings.Builder
	_, _ = f.WriteTo(&b)
	return b.String()
}

// WriteTo writes the folded notation of every name added: the groups in
// byte order, separated by commas. It folds what was added so far; adding
// more names after it is not supported.
func (f *Folder) WriteTo(w io.Writer) (int64, error) {
	var groups []string
	for _, head := range f.shapes {
		for sh := head; sh != nil; sh = sh.collides { // shapes whose hashes collide too
			groups = sh.fold(f, groups)
		}
	}
	slices.Sort(groups)
	var n int64
	for i, g := range groups {
		if i > 0 {
			k, err := io.WriteString(w, ",")
			if n += int64(k); err != nil {
				return n, err
			}
		}
		k, err := io.WriteString(w, g)
		if n += int64(k); err != nil {
			return n, err
		}
	}
	return n, nil
}

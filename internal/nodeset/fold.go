package nodeset

import (
	"bytes"
	"encoding/binary"
	"io"
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
	shapes map[string]*shape
	last   []byte // the previous name: repeats are skipped, disorder noted
	any    bool   // a name was added
	disord bool   // a name came before the one added before it
	sets   setTable
	huge   digitTable
	key    []byte   // scratch: the shape key of the name being added
	nums   []uint64 // scratch: its digit fields as codes
	texts  [][]byte // scratch: its text fields
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
		case c > 0:
			f.disord = true
		}
	}
	f.any = true
	f.last = append(f.last[:0], name...)
	f.tokenize(name)
	sh := f.shapes[string(f.key)]
	if sh == nil {
		sh = newShape(f.texts)
		if f.shapes == nil {
			f.shapes = map[string]*shape{}
		}
		f.shapes[string(f.key)] = sh
	}
	sh.add(f, f.nums)
}

// tokenize splits name into text fields around its runs of ASCII digits
// (f.texts, one more than f.nums), encodes the text fields unambiguously
// as the shape key (f.key), and the runs of digits as codes (f.nums).
func (f *Folder) tokenize(name []byte) {
	f.key, f.nums, f.texts = f.key[:0], f.nums[:0], f.texts[:0]
	start := 0
	for i := 0; i < len(name); {
		if !isDigit(name[i]) {
			i++
			continue
		}
		j := i
		for j < len(name) && isDigit(name[j]) {
			j++
		}
		f.addText(name[start:i])
		f.nums = append(f.nums, f.huge.code(name[i:j]))
		start, i = j, j
	}
	f.addText(name[start:])
}

func (f *Folder) addText(t []byte) {
	f.texts = append(f.texts, t)
	f.key = binary.AppendUvarint(f.key, uint64(len(t)))
	f.key = append(f.key, t...)
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
	for _, sh := range f.shapes {
		groups = sh.fold(f, groups)
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

package nodeset

import (
	"math"
	"slices"
	"strconv"
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
	shapes := map[string]*shape{}
	for _, name := range sortedUnique(names) {
		text, nums := tokenize(name)
		k := lengthKey(text)
		if shapes[k] == nil {
			shapes[k] = &shape{text: text}
		}
		shapes[k].add(nums)
	}
	var groups []string
	for _, sh := range shapes {
		groups = append(groups, sh.fold()...)
	}
	slices.Sort(groups)
	return strings.Join(groups, ",")
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

// tokenize splits name into text fields around its runs of ASCII digits;
// len(text) == len(nums)+1.
func tokenize(name string) (text, nums []string) {
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
		text, nums = append(text, name[start:i]), append(nums, name[i:j])
		start, i = j, j
	}
	return append(text, name[start:]), nums
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lengthKey encodes strings unambiguously as one map key.
func lengthKey(parts []string) string {
	var b []byte
	for _, p := range parts {
		b = strconv.AppendInt(b, int64(len(p)), 10)
		b = append(b, ':')
		b = append(b, p...)
	}
	return string(b)
}

// shape holds the names sharing one sequence of text fields, as items: each
// item stands for the cartesian product of one set of digit strings per
// numeric field.
type shape struct {
	text  []string
	items [][][]string // item → field → digit strings in compareDigits order
}

func (sh *shape) add(nums []string) {
	item := make([][]string, len(nums))
	for i := range nums {
		item[i] = nums[i : i+1 : i+1] // capped, so a merge copies before appending
	}
	sh.items = append(sh.items, item)
}

// fold merges items along each field, last field first, until nothing
// merges, and renders them. Merging items equal in every other field is
// exact, so the names covered never change.
func (sh *shape) fold() []string {
	for fields := len(sh.text) - 1; ; {
		before := len(sh.items)
		for axis := fields - 1; axis >= 0; axis-- {
			sh.items = mergeAxis(sh.items, axis)
		}
		if len(sh.items) == before || fields <= 1 {
			break
		}
	}
	out := make([]string, len(sh.items))
	for i, item := range sh.items {
		out[i] = sh.render(item)
	}
	return out
}

// mergeAxis unions the axis field of items that agree on every other field.
func mergeAxis(items [][][]string, axis int) [][][]string {
	index := map[string]int{}
	merged := map[int]bool{}
	var out [][][]string
	for _, item := range items {
		k := keyExcept(item, axis)
		i, ok := index[k]
		if !ok {
			index[k] = len(out)
			out = append(out, item)
			continue
		}
		out[i][axis] = append(out[i][axis], item[axis]...)
		merged[i] = true
	}
	for i := range merged {
		slices.SortFunc(out[i][axis], compareDigits)
		out[i][axis] = slices.Compact(out[i][axis])
	}
	return out
}

// keyExcept encodes every field of item but axis as one map key.
func keyExcept(item [][]string, axis int) string {
	var b []byte
	for f, set := range item {
		if f == axis {
			continue
		}
		b = strconv.AppendInt(b, int64(len(set)), 10)
		b = append(b, '|')
		b = append(b, lengthKey(set)...)
	}
	return string(b)
}

// render writes one item in folded notation.
func (sh *shape) render(item [][]string) string {
	var b strings.Builder
	for f, set := range item {
		b.WriteString(sh.text[f])
		b.WriteString(renderSet(set))
	}
	b.WriteString(sh.text[len(item)])
	return b.String()
}

// renderSet writes a set of digit strings: bare when it has one member,
// else as bracketed ranges. A range lo-hi is used only when Expand would give
// back exactly the strings it replaces (lo's padding applied to every value).
func renderSet(set []string) string {
	if len(set) == 1 {
		return set[0]
	}
	left := make(map[string]bool, len(set))
	for _, s := range set {
		left[s] = true
	}
	var items []string
	for _, lo := range set {
		if !left[lo] {
			continue
		}
		delete(left, lo)
		items = append(items, extendRange(lo, left))
	}
	return "[" + strings.Join(items, ",") + "]"
}

// extendRange consumes from left the values following lo in lo's padding
// and returns the range item covering them.
func extendRange(lo string, left map[string]bool) string {
	v, err := strconv.ParseUint(lo, 10, 64)
	if err != nil {
		return lo
	}
	width := 0
	if len(lo) > 1 && lo[0] == '0' {
		width = len(lo)
	}
	hi := ""
	for v < math.MaxUint64 && left[pad(v+1, width)] {
		v++
		hi = pad(v, width)
		delete(left, hi)
	}
	if hi == "" {
		return lo
	}
	return lo + "-" + hi
}

// compareDigits orders digit strings by value, then shorter (less padded)
// first.
func compareDigits(a, b string) int {
	ta, tb := strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if c := len(ta) - len(tb); c != 0 {
		return c
	}
	if c := strings.Compare(ta, tb); c != 0 {
		return c
	}
	return len(a) - len(b)
}

package nodeset

// The fold before issue 14, kept verbatim (identifiers prefixed "ref") as
// the reference the streaming Folder is compared against on random name
// sets (TestFoldMatchesReference).

import (
	"testing"

	"math"
	"slices"
	"strconv"
	"strings"
)

// refFold folds names into ClusterShell notation, such as
// "dn[0001-0042,0044].smf1". Groups are listed in byte order and
// Expand(refFold(names)) equals names as a set: names that differ in zero
// padding never share a range unless the range's padding produces both.
//
// Names are split into text and numeric fields; names with the same text
// fields are folded one numeric field at a time, so a full grid such as
// rack[1-2]-node[01-40] folds in several dimensions. Empty names are skipped.
// Names containing '[', ']', ',' or whitespace cannot be written in the
// notation and are copied as they are.
func refFold(names []string) string {
	shapes := map[string]*refShape{}
	for _, name := range refSortedUnique(names) {
		text, nums := refTokenize(name)
		k := refLengthKey(text)
		if shapes[k] == nil {
			shapes[k] = &refShape{text: text}
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

// refSortedUnique returns the non-empty names, sorted and without duplicates.
func refSortedUnique(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// refTokenize splits name into text fields around its runs of ASCII digits;
// len(text) == len(nums)+1.
func refTokenize(name string) (text, nums []string) {
	start := 0
	for i := 0; i < len(name); {
		if !refIsDigit(name[i]) {
			i++
			continue
		}
		j := i
		for j < len(name) && refIsDigit(name[j]) {
			j++
		}
		text, nums = append(text, name[start:i]), append(nums, name[i:j])
		start, i = j, j
	}
	return append(text, name[start:]), nums
}

func refIsDigit(c byte) bool { return c >= '0' && c <= '9' }

// refLengthKey encodes strings unambiguously as one map key.
func refLengthKey(parts []string) string {
	var b []byte
	for _, p := range parts {
		b = strconv.AppendInt(b, int64(len(p)), 10)
		b = append(b, ':')
		b = append(b, p...)
	}
	return string(b)
}

// refShape holds the names sharing one sequence of text fields, as items: each
// item stands for the cartesian product of one set of digit strings per
// numeric field.
type refShape struct {
	text  []string
	items [][][]string // item → field → digit strings in refCompareDigits order
}

func (sh *refShape) add(nums []string) {
	item := make([][]string, len(nums))
	for i := range nums {
		item[i] = nums[i : i+1 : i+1] // capped, so a merge copies before appending
	}
	sh.items = append(sh.items, item)
}

// fold merges items along each field, last field first, until nothing
// merges, and renders them. Merging items equal in every other field is
// exact, so the names covered never change.
func (sh *refShape) fold() []string {
	for fields := len(sh.text) - 1; ; {
		before := len(sh.items)
		for axis := fields - 1; axis >= 0; axis-- {
			sh.items = refMergeAxis(sh.items, axis)
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

// refMergeAxis unions the axis field of items that agree on every other field.
func refMergeAxis(items [][][]string, axis int) [][][]string {
	index := map[string]int{}
	merged := map[int]bool{}
	var out [][][]string
	for _, item := range items {
		k := refKeyExcept(item, axis)
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
		slices.SortFunc(out[i][axis], refCompareDigits)
		out[i][axis] = slices.Compact(out[i][axis])
	}
	return out
}

// refKeyExcept encodes every field of item but axis as one map key.
func refKeyExcept(item [][]string, axis int) string {
	var b []byte
	for f, set := range item {
		if f == axis {
			continue
		}
		b = strconv.AppendInt(b, int64(len(set)), 10)
		b = append(b, '|')
		b = append(b, refLengthKey(set)...)
	}
	return string(b)
}

// render writes one item in folded notation.
func (sh *refShape) render(item [][]string) string {
	var b strings.Builder
	for f, set := range item {
		b.WriteString(sh.text[f])
		b.WriteString(refRenderSet(set))
	}
	b.WriteString(sh.text[len(item)])
	return b.String()
}

// refRenderSet writes a set of digit strings: bare when it has one member,
// else as bracketed ranges. A range lo-hi is used only when Expand would give
// back exactly the strings it replaces (lo's padding applied to every value).
func refRenderSet(set []string) string {
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
		items = append(items, refExtendRange(lo, left))
	}
	return "[" + strings.Join(items, ",") + "]"
}

// refExtendRange consumes from left the values following lo in lo's padding
// and returns the range item covering them.
func refExtendRange(lo string, left map[string]bool) string {
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

// refCompareDigits orders digit strings by value, then shorter (less padded)
// first.
func refCompareDigits(a, b string) int {
	ta, tb := strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if c := len(ta) - len(tb); c != 0 {
		return c
	}
	if c := strings.Compare(ta, tb); c != 0 {
		return c
	}
	return len(a) - len(b)
}

func BenchmarkRefFold(b *testing.B) {
	names := benchNames()
	b.ReportAllocs()
	for b.Loop() {
		_ = refFold(names)
	}
}

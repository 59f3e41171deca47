package query

import (
	"regexp/syntax"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
)

// filter returns the hosts whose value satisfies keep, the test of the
// positive operator op against lit. On a dictionary-encoded attribute keep
// runs once per distinct value, and for = and an anchored regex only on
// the values that can match: the one equal to lit, or those starting with
// the regex's literal prefix, found by binary search in the sorted
// dictionary. keep still decides each of them.
func filter(a fleet.Attr, op string, lit Literal, keep func(fleet.Value) bool) *roaring.Bitmap {
	c, ok := a.(fleet.Coded)
	if !ok || lit.Kind != fleet.String {
		return a.Filter(keep)
	}
	var lo, hi int
	switch op {
	case "=":
		lo = search(c, lit.Str)
		hi = min(lo+1, c.DictLen())
	case "~":
		lo, hi = prefixRange(c, anchoredPrefix(lit.Str))
	default:
		return a.Filter(keep)
	}
	want := make([]bool, c.DictLen())
	for k := lo; k < hi; k++ {
		want[k] = keep(fleet.Value{Type: fleet.String, Str: c.DictValue(uint32(k))})
	}
	return c.HostsWith(want)
}

// search is the first code whose value is >= v.
func search(c fleet.Coded, v string) int {
	return sort.Search(c.DictLen(), func(k int) bool { return c.DictValue(uint32(k)) >= v })
}

// prefixRange is the range of codes whose values start with p.
func prefixRange(c fleet.Coded, p string) (lo, hi int) {
	lo = search(c, p)
	hi = lo + sort.Search(c.DictLen()-lo, func(i int) bool { return !strings.HasPrefix(c.DictValue(uint32(lo+i)), p) })
	return lo, hi
}

// anchoredPrefix returns the literal every match of expr starts with at
// the beginning of the text ("^abc…" gives "abc"), or "" when there is
// none to rely on: no ^, a case-folded literal, or a literal holding
// U+FFFD (which also matches an invalid byte, so the bytes may differ).
func anchoredPrefix(expr string) string {
	re, err := syntax.Parse(expr, syntax.Perl) // the flags of regexp.Compile
	if err != nil || re.Op != syntax.OpConcat || len(re.Sub) < 2 || re.Sub[0].Op != syntax.OpBeginText {
		return ""
	}
	lit := re.Sub[1]
	if lit.Op != syntax.OpLiteral || lit.Flags&syntax.FoldCase != 0 {
		return ""
	}
	p := string(lit.Rune)
	if strings.ContainsRune(p, utf8.RuneError) {
		return ""
	}
	return p
}

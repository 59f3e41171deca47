package nodeset

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxNames is the most names a pattern may expand to.
const MaxNames = 1_000_000

// span is a byte range [start, end) of the pattern.
type span struct{ start, end int }

// MaxGlobs is the most globs a pattern may expand to: each glob is matched
// against every host of a pass, so "*[1-1000000]" must not become a million
// scans of a million names.
const MaxGlobs = 1024

// Element is one comma-separated element of a parsed pattern.
type Element struct {
	Offset int  // byte offset of the element in the pattern
	Glob   bool // its text has '*' or '?': each name it expands to is a glob
	parts  element
}

// Count is the number of names the element expands to.
func (e Element) Count() int { return e.parts.count() }

// Names expands the element, the leftmost range varying slowest.
func (e Element) Names() []string { return e.parts.names() }

// Parse checks a node-set pattern and returns its elements without
// expanding them: brackets balance, every range is well formed, the whole
// pattern expands to at most MaxNames names and at most MaxGlobs globs.
// Errors are *Error values wrapping one of the sentinel errors, with the
// byte offset of the fault.
func Parse(pattern string) ([]Element, error) {
	spans, err := splitElements(pattern)
	if err != nil {
		return nil, err
	}
	elems := make([]Element, len(spans))
	names, globs := 0, 0
	for i, sp := range spans {
		parts, err := parseElement(pattern, sp)
		if err != nil {
			return nil, err
		}
		elems[i] = Element{Offset: sp.start, Glob: IsGlob(pattern[sp.start:sp.end]), parts: parts}
		if names += parts.count(); names > MaxNames {
			return nil, errAt(sp.start, ErrTooLarge, "")
		}
		if elems[i].Glob {
			if globs += parts.count(); globs > MaxGlobs {
				return nil, errAt(sp.start, ErrTooManyGlobs, "")
			}
		}
	}
	return elems, nil
}

// Expand expands a node-set pattern: a comma-separated list at top level
// (commas inside [] belong to the range), each element with zero or more
// bracket ranges. It returns names in the order written (the leftmost range
// varying slowest), de-duplicated; names of glob elements are globs
// ("n[1-2]*" gives n1* and n2*). Errors are those of Parse.
func Expand(pattern string) ([]string, error) {
	elems, err := Parse(pattern)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, el := range elems {
		total += el.Count()
	}
	seen := make(map[string]struct{}, total)
	out := make([]string, 0, total)
	for _, el := range elems {
		for _, name := range el.Names() {
			if _, dup := seen[name]; !dup {
				seen[name] = struct{}{}
				out = append(out, name)
			}
		}
	}
	return out, nil
}

// IsGlob reports whether pattern uses * or ? (a glob, to be matched against
// known hosts with Match).
func IsGlob(pattern string) bool {
	return strings.ContainsAny(pattern, "*?")
}

// isSpace reports whether c is trimmed around elements and items.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// trim narrows sp to exclude surrounding whitespace.
func trim(pattern string, sp span) span {
	for sp.start < sp.end && isSpace(pattern[sp.start]) {
		sp.start++
	}
	for sp.end > sp.start && isSpace(pattern[sp.end-1]) {
		sp.end--
	}
	return sp
}

// splitElements splits pattern at top-level commas into trimmed, non-empty
// elements, checking that brackets balance and do not nest.
func splitElements(pattern string) ([]span, error) {
	var elems []span
	open, start := -1, 0
	for i := 0; i <= len(pattern); i++ {
		switch {
		case i == len(pattern) || (pattern[i] == ',' && open < 0):
			if open >= 0 {
				return nil, errAt(open, ErrUnbalanced, "'[' is never closed")
			}
			sp := trim(pattern, span{start, i})
			if sp.start == sp.end {
				return nil, errAt(sp.start, ErrEmptyElement, "")
			}
			elems, start = append(elems, sp), i+1
		case pattern[i] == '[' && open >= 0:
			return nil, errAt(i, ErrUnbalanced, "'[' inside brackets")
		case pattern[i] == '[':
			open = i
		case pattern[i] == ']' && open < 0:
			return nil, errAt(i, ErrUnbalanced, "']' without '['")
		case pattern[i] == ']':
			open = -1
		}
	}
	return elems, nil
}

// element is one parsed element: literal text and ranges, in order. Each
// part is the list of strings it may take; text has exactly one.
type element [][]string

// count is the number of names el expands to, saturating above MaxNames.
func (el element) count() int {
	n := 1
	for _, part := range el {
		if n *= len(part); n > MaxNames {
			return MaxNames + 1
		}
	}
	return n
}

// names returns the cartesian product of el's parts, leftmost slowest.
func (el element) names() []string {
	names := []string{""}
	for _, part := range el {
		next := make([]string, 0, len(names)*len(part))
		for _, prefix := range names {
			for _, s := range part {
				next = append(next, prefix+s)
			}
		}
		names = next
	}
	return names
}

// parseElement parses the element at sp (already trimmed and balanced).
func parseElement(pattern string, sp span) (element, error) {
	var el element
	for i := sp.start; i < sp.end; {
		if pattern[i] != '[' {
			j := i
			for j < sp.end && pattern[j] != '[' {
				if isSpace(pattern[j]) {
					return nil, errAt(j, ErrSyntax, "whitespace inside a name")
				}
				j++
			}
			el = append(el, []string{pattern[i:j]})
			i = j
			continue
		}
		end := i + strings.IndexByte(pattern[i:sp.end], ']')
		values, err := parseRangeSet(pattern, span{i + 1, end})
		if err != nil {
			return nil, err
		}
		if el = append(el, values); el.count() > MaxNames {
			return nil, errAt(i, ErrTooLarge, "")
		}
		i = end + 1
	}
	return el, nil
}

// parseRangeSet parses the comma-separated items between brackets.
func parseRangeSet(pattern string, sp span) ([]string, error) {
	var values []string
	start := sp.start
	for i := sp.start; i <= sp.end; i++ {
		if i < sp.end && pattern[i] != ',' {
			continue
		}
		item := trim(pattern, span{start, i})
		if item.start == item.end {
			return nil, errAt(item.start, ErrSyntax, "empty range item")
		}
		vals, err := parseItem(pattern[item.start:item.end], item.start)
		if err != nil {
			return nil, err
		}
		if values = append(values, vals...); len(values) > MaxNames {
			return nil, errAt(item.start, ErrTooLarge, "")
		}
		start = i + 1
	}
	return values, nil
}

// parseItem parses one range item (text at offset): a number, a letter, or a
// range of either.
func parseItem(text string, offset int) ([]string, error) {
	lo, hi, hasHi := strings.Cut(text, "-")
	if isLetter(lo) && hasHi && isLetter(hi) {
		return letterRange(lo[0], hi[0], offset)
	}
	if isLetter(lo) && !hasHi {
		return []string{lo}, nil
	}
	hi, stepText, hasStep := strings.Cut(hi, "/")
	if !isDigits(lo) || (hasHi && !isDigits(hi)) || (hasStep && !isDigits(stepText)) {
		return nil, errAt(offset, ErrSyntax, fmt.Sprintf("range item %q", text))
	}
	if !hasHi {
		return []string{lo}, nil // a single number is kept exactly as written
	}
	return numberRange(lo, hi, stepText, offset)
}

// numberRange expands lo-hi/step, padding to the width of a zero-padded lo.
func numberRange(loText, hiText, stepText string, offset int) ([]string, error) {
	lo, err1 := strconv.ParseUint(loText, 10, 64)
	hi, err2 := strconv.ParseUint(hiText, 10, 64)
	step, err3 := uint64(1), error(nil)
	if stepText != "" {
		step, err3 = strconv.ParseUint(stepText, 10, 64)
	}
	switch {
	case err1 != nil || err2 != nil || err3 != nil:
		return nil, errAt(offset, ErrSyntax, "number out of range")
	case step == 0:
		return nil, errAt(offset, ErrSyntax, "step 0")
	case hi < lo:
		return nil, errAt(offset, ErrReversedRange, loText+"-"+hiText)
	case isPadded(loText, hiText) && len(loText) != len(hiText):
		return nil, errAt(offset, ErrPadding, fmt.Sprintf("%s-%s (pad both bounds to one width, as %s)", loText, hiText, padHint(loText, hiText)))
	case (hi-lo)/step >= MaxNames:
		return nil, errAt(offset, ErrTooLarge, "")
	}
	width := 0
	if len(loText) > 1 && loText[0] == '0' {
		width = len(loText)
	}
	values := make([]string, 0, (hi-lo)/step+1)
	for v := lo; ; v += step {
		values = append(values, pad(v, width))
		if hi-v < step {
			return values, nil
		}
	}
}

// letterRange expands lo-hi over single ASCII letters of the same case.
func letterRange(lo, hi byte, offset int) ([]string, error) {
	if isUpper(lo) != isUpper(hi) {
		return nil, errAt(offset, ErrSyntax, fmt.Sprintf("letter range %c-%c mixes case", lo, hi))
	}
	if hi < lo {
		return nil, errAt(offset, ErrReversedRange, fmt.Sprintf("%c-%c", lo, hi))
	}
	values := make([]string, 0, hi-lo+1)
	for c := lo; c <= hi; c++ {
		values = append(values, string(rune(c)))
	}
	return values, nil
}

// isPadded reports whether either bound of a range is zero padded.
func isPadded(lo, hi string) bool {
	return len(lo) > 1 && lo[0] == '0' || len(hi) > 1 && hi[0] == '0'
}

// padHint rewrites lo-hi with both bounds at the wider width.
func padHint(lo, hi string) string {
	w := max(len(lo), len(hi))
	return strings.Repeat("0", w-len(lo)) + lo + "-" + strings.Repeat("0", w-len(hi)) + hi
}

// pad formats v in decimal, zero-padded to width.
func pad(v uint64, width int) string {
	s := strconv.FormatUint(v, 10)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isLetter(s string) bool {
	return len(s) == 1 && (isUpper(s[0]) || (s[0] >= 'a' && s[0] <= 'z'))
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

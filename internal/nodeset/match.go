package nodeset

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Match reports whether name matches glob, where '*' matches any run of
// characters, '.' included (unlike path.Match), '?' matches exactly one
// character, and every other byte matches itself. There are no character
// classes: brackets in a host literal are ranges, expanded before matching.
func Match(glob, name string) bool {
	// Greedy match, backtracking only to the most recent '*': linear in
	// practice and never exponential.
	g, n := 0, 0
	starG, starN := -1, 0
	for n < len(name) {
		switch {
		case g < len(glob) && glob[g] == '*':
			starG, starN = g, n
			g++
		case g < len(glob) && glob[g] == '?':
			_, size := utf8.DecodeRuneInString(name[n:])
			g, n = g+1, n+size
		case g < len(glob) && glob[g] == name[n]:
			g, n = g+1, n+1
		case starG >= 0:
			_, size := utf8.DecodeRuneInString(name[starN:])
			starN += size
			g, n = starG+1, starN
		default:
			return false
		}
	}
	for g < len(glob) && glob[g] == '*' {
		g++
	}
	return g == len(glob)
}

// GlobSet matches names against many globs at once. Globs are indexed by
// their literal prefix (the text before the first '*' or '?'), so a name is
// tried only against the globs whose prefix it starts with: the globs of
// "dn[0001-0100]*" cost one map probe per prefix length, not a hundred
// matches per name.
type GlobSet struct {
	globs    []string
	byPrefix map[string][]int
	lengths  []int // distinct prefix lengths, ascending
}

// NewGlobSet indexes globs; Matches reports them by their index here.
func NewGlobSet(globs []string) *GlobSet {
	g := &GlobSet{globs: globs, byPrefix: map[string][]int{}}
	seen := map[int]bool{}
	for i, glob := range globs {
		p := literalPrefix(glob)
		g.byPrefix[p] = append(g.byPrefix[p], i)
		if !seen[len(p)] {
			seen[len(p)] = true
			g.lengths = append(g.lengths, len(p))
		}
	}
	slices.Sort(g.lengths)
	return g
}

// Matches calls fn with the index of every glob that name matches, in
// no particular order.
func (g *GlobSet) Matches(name string, fn func(i int)) {
	for _, l := range g.lengths {
		if l > len(name) {
			return
		}
		for _, i := range g.byPrefix[name[:l]] {
			if Match(g.globs[i], name) {
				fn(i)
			}
		}
	}
}

// literalPrefix is glob up to its first '*' or '?'.
func literalPrefix(glob string) string {
	if i := strings.IndexAny(glob, "*?"); i >= 0 {
		return glob[:i]
	}
	return glob
}

package nodeset

import "unicode/utf8"

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

// Package nodeset reads and writes ClusterShell's folded host notation, the
// host literals of the fleetq query language ("dn[0001-0100].smf1",
// "web[1-3,7]-[a-b]", "web-01.smf1,web-02.smf1", "dn*.smf1").
//
// Expand turns a pattern into host names; Fold turns host names back into
// the shortest pattern it finds, so that Expand(Fold(s)) is s as a set.
// Elements that still contain '*' or '?' after expansion are globs (IsGlob),
// which the caller matches against the known hosts of a pass with Match.
//
// Notation:
//
//	pattern = element { "," element }     commas inside [] belong to the range
//	element = { text | "[" item { "," item } "]" }
//	item    = number [ "-" number [ "/" step ] ] | letter [ "-" letter ]
//
// A numeric range keeps the zero padding of its lower bound: [0001-0100]
// gives 0001 … 0100, [08-10] gives 08 09 10, [8-10] gives 8 9 10. A single
// number is kept exactly as written. Letter ranges run over one ASCII letter
// of the same case (a-z, A-Z). Space and tab around elements and items are
// trimmed; whitespace inside a name is an error.
package nodeset

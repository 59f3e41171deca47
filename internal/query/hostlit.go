package query

import (
	"errors"
	"fmt"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/nodeset"
	"github.com/fleetq/fleetq/internal/setops"
)

// Host literals: "dn[0001-0100].smf1", "web-01,web-02", "dn*.smf1" and
// their compositions ("dn[0001-0003]*" is the globs dn0001*, dn0002*,
// dn0003*). The notation is checked when the statement is parsed; what
// the literal names is checked against the pass when it is evaluated:
// every name must be a host of the pass and every glob must match one.

// maxListed is how many missing hosts or globs an error names.
const maxListed = 5

// hostLiteral lowers a quoted literal, checking its notation so that a
// malformed literal is a syntax error at the offending byte.
func (l *lowerer) hostLiteral(g *gPrimary) Node {
	n := &HostList{P: l.pos(g.Pos), Pattern: unquote(*g.Literal)}
	if _, err := nodeset.Parse(n.Pattern); err != nil && l.err == nil {
		l.err = badLiteral(l.input, n, err)
	}
	return n
}

// badLiteral is the error for a literal nodeset.Parse refused, at the
// byte it refused when the literal's text maps onto the input.
func badLiteral(input string, n *HostList, err error) *Error {
	var perr *nodeset.Error
	if !errors.As(err, &perr) {
		return errAt(n.P, input, "%w %q: %v", ErrBadHostLiteral, n.Pattern, err)
	}
	return errAt(literalPos(input, n, perr.Offset), input, "%w %q: %s", ErrBadHostLiteral, n.Pattern, perr.Reason())
}

// literalPos is the position of byte off of n's pattern in the input, or
// the literal's own position when escapes make the two differ.
func literalPos(input string, n *HostList, off int) Pos {
	start := n.P.Offset + 1
	end := start + len(n.Pattern)
	if end >= len(input) || input[start:end] != n.Pattern || input[end] != input[n.P.Offset] {
		return n.P
	}
	return posAt(input, start+off)
}

// elementPos is where an error about the element at off points: the
// literal itself for its first element, else the element.
func elementPos(input string, n *HostList, off int) Pos {
	if strings.TrimSpace(n.Pattern[:off]) == "" {
		return n.P
	}
	return literalPos(input, n, off)
}

// litItem is one name or glob of an expanded literal and the offset of
// the element it came from.
type litItem struct {
	text string
	off  int
}

// expandLiteral splits a checked literal into lower-cased names and globs,
// each once, in the order written.
func expandLiteral(elems []nodeset.Element) (names, globs []litItem) {
	seen := map[string]bool{}
	for _, el := range elems {
		for _, s := range el.Names() {
			if s = hostkey.Normalize(s); seen[s] {
				continue
			}
			seen[s] = true
			if el.Glob {
				globs = append(globs, litItem{s, el.Offset})
			} else {
				names = append(names, litItem{s, el.Offset})
			}
		}
	}
	return names, globs
}

// hostList evaluates a host literal in pass. A name that is not a host of
// the pass, or a glob that matches none, is an error: a literal that
// partly matches is the same silent shrinkage as an unknown set name.
func (ev *evaluator) hostList(n *HostList, pass fleet.Pass) (*roaring.Bitmap, error) {
	elems, err := nodeset.Parse(n.Pattern)
	if err != nil {
		return nil, badLiteral(ev.input, n, err)
	}
	names, globs := expandLiteral(elems)
	out, err := ev.literalNames(n, names, pass)
	if err != nil || len(globs) == 0 {
		return out, err
	}
	matched, err := ev.literalGlobs(n, globs, pass)
	if err != nil {
		return nil, err
	}
	out.Or(matched)
	return out, nil
}

// literalNames looks the plain names of a literal up: the fast path, one
// dictionary probe per name.
func (ev *evaluator) literalNames(n *HostList, names []litItem, pass fleet.Pass) (*roaring.Bitmap, error) {
	if len(names) == 0 {
		return roaring.New(), nil
	}
	keys := make([]string, len(names))
	for i, it := range names {
		keys[i] = it.text
	}
	hosts := ev.env.Snap.Hosts()
	ids, _ := hosts.Lookup(keys)
	inPass := setops.Intersection(ids, pass.All())
	if int(inPass.GetCardinality()) == len(names) {
		return inPass, nil
	}
	missing, more := ev.missingNames(names, pass, len(names)-int(inPass.GetCardinality()))
	p := elementPos(ev.input, n, missing[0].off)
	if isOneName(n) {
		return nil, ev.fail(p, "%w: no host %q in pass %d", ErrUnknownHost, names[0].text, pass.ID())
	}
	return nil, ev.fail(p, "%w: %q names hosts not in pass %d: %s", ErrUnknownHost, n.Pattern, pass.ID(), listed(missing, more))
}

// isOneName reports a literal that is one name or one glob, with no list
// or range: its error names it alone.
func isOneName(n *HostList) bool { return !strings.ContainsAny(n.Pattern, ",[") }

// missingNames finds, in the order written, the first names that are not
// hosts of the pass; count is how many are missing in all.
func (ev *evaluator) missingNames(names []litItem, pass fleet.Pass, count int) ([]litItem, int) {
	hosts := ev.env.Snap.Hosts()
	var out []litItem
	for _, it := range names {
		ids, missing := hosts.Lookup([]string{it.text})
		if len(missing) > 0 || !pass.All().Contains(ids.Minimum()) {
			if out = append(out, it); len(out) == maxListed {
				break
			}
		}
	}
	return out, count - len(out)
}

// literalGlobs matches the globs of a literal against the hosts of the
// pass, all globs in one scan.
func (ev *evaluator) literalGlobs(n *HostList, globs []litItem, pass fleet.Pass) (*roaring.Bitmap, error) {
	patterns := make([]string, len(globs))
	for i, it := range globs {
		patterns[i] = it.text
	}
	set := nodeset.NewGlobSet(patterns)
	hit := make([]bool, len(globs))
	hosts := ev.env.Snap.Hosts()
	out := roaring.New()
	it := pass.All().Iterator()
	for i := 0; it.HasNext(); i++ {
		if i%4096 == 0 && ev.env.Ctx != nil && ev.env.Ctx.Err() != nil {
			return nil, ErrCanceled
		}
		id := it.Next()
		set.Matches(hosts.Name(id), func(g int) { hit[g] = true; out.Add(id) })
	}
	return out, ev.unmatchedGlobs(n, globs, hit, pass)
}

// unmatchedGlobs is the error for globs that matched no host, or nil.
func (ev *evaluator) unmatchedGlobs(n *HostList, globs []litItem, hit []bool, pass fleet.Pass) error {
	var missing []litItem
	count := 0
	for i, ok := range hit {
		if !ok {
			if count++; len(missing) < maxListed {
				missing = append(missing, globs[i])
			}
		}
	}
	if count == 0 {
		return nil
	}
	p := elementPos(ev.input, n, missing[0].off)
	if isOneName(n) {
		return ev.fail(p, "%w: glob %q matches no host of pass %d", ErrUnknownHost, globs[0].text, pass.ID())
	}
	return ev.fail(p, "%w: %q has globs that match no host of pass %d: %s", ErrUnknownHost, n.Pattern, pass.ID(), listed(missing, count-len(missing)))
}

// listed joins items, saying how many more there are.
func listed(items []litItem, more int) string {
	texts := make([]string, len(items))
	for i, it := range items {
		texts[i] = it.text
	}
	s := strings.Join(texts, ", ")
	if more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

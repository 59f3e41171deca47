package query

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/fleetq/fleetq/internal/fleet"
)

// checker resolves names and types of a statement against a pass with
// positions, before anything is evaluated.
type checker struct {
	env   *Env
	input string
}

// Check resolves every name and type in st, starting with Resolve.
// Unknown names fail closed with a suggestion; nothing is evaluated.
func Check(env *Env, st *Statement) error {
	if err := Resolve(env.Snap.Current(), st); err != nil {
		return err
	}
	c := &checker{env: env, input: st.Text}
	if err := c.node(st.Pipeline.Expr, env.Snap.Current(), false); err != nil {
		return err
	}
	return c.stages(st.Pipeline.Stages, env.Snap.Current())
}

// Resolve decides, in place, what a statement that starts `NAME =` is: a
// predicate when NAME is an attribute of pass, else a binding of NAME
// (see Parse). It is the first step of Check, for a caller that must know
// st.Bind, or the names st reads, before running it.
func Resolve(pass fleet.Pass, st *Statement) error {
	return st.resolve(func(name string) bool { return hasAttr(pass, name) })
}

func (c *checker) fail(p Pos, format string, args ...any) error {
	return errAt(p, c.input, format, args...)
}

func (c *checker) node(n Node, pass fleet.Pass, travelled bool) error {
	switch n := n.(type) {
	case *SetRef:
		return c.setRef(n, pass, travelled)
	case *Binary:
		if err := c.node(n.L, pass, travelled); err != nil {
			return err
		}
		return c.node(n.R, pass, travelled)
	case *Not:
		return c.node(n.X, pass, travelled)
	case *HostList:
		return nil
	case *At:
		if travelled && n.Ref.Rel < 0 {
			return c.fail(n.P, "nested time travel: @%s inside another @ counts back from the current pass, not from the outer one; name the pass (@ID or @TIME)", n.Src)
		}
		p, err := c.env.Snap.Resolve(n.Ref)
		if err != nil {
			return c.fail(n.P, "%w", err)
		}
		return c.node(n.X, p, true)
	case *Compare:
		return c.compare(n, pass)
	case *In:
		return c.in(n, pass)
	case *Exists:
		_, err := c.attr(n.Left, pass)
		return err
	}
	return c.fail(n.Position(), "internal: unknown node %T", n)
}

// rolloutPrefix starts a reference to a rollout's hosts (rollout:r3/w2),
// resolved by the snapshot like any named set.
const rolloutPrefix = "rollout:"

// weekPrefix starts a reference to a maintenance week's hosts
// (week:w1/s4), resolved the same way.
const weekPrefix = "week:"

func (c *checker) setRef(n *SetRef, pass fleet.Pass, travelled bool) error {
	if _, ok := c.env.Bindings[n.Name]; ok {
		if travelled {
			return c.fail(n.P, "%s is a session binding; time travel (@) applies to stored sets only", n.Name)
		}
		return nil
	}
	if _, ok, err := readSet(pass, n.P, c.input, n.Name); ok || err != nil {
		return err
	}
	if strings.HasPrefix(n.Name, rolloutPrefix) {
		return c.fail(n.P, "%w: no rollout wave %q (write rollout:r3/w2 or rollout:r3; fleetq rollout status lists the rollouts and their waves)", ErrUnknownName, n.Name)
	}
	if strings.HasPrefix(n.Name, weekPrefix) {
		return c.fail(n.P, "%w: no week step %q (write week:w1/s4, week:w1 or week:w1/unslotted; fleetq week list lists the weeks, fleetq week show their steps)", ErrUnknownName, n.Name)
	}
	if hasAttr(pass, n.Name) {
		return c.fail(n.P, "%s is an attribute, not a set (try %s exists, or compare it: %s = \"…\")", n.Name, n.Name, n.Name)
	}
	return c.fail(n.P, "%w: no set %q in pass %d%s", ErrUnknownName, n.Name, pass.ID(), c.suggestSet(n.Name, pass)+c.hostHint(n.Name))
}

// hostHint says how to name a host when an unknown set name is a host.
func (c *checker) hostHint(name string) string {
	if !strings.Contains(name, ".") {
		return ""
	}
	if _, missing := c.env.Snap.Hosts().Lookup([]string{strings.ToLower(name)}); len(missing) == 0 {
		return fmt.Sprintf(" (%s is a host: quote host names, \"%s\")", name, name)
	}
	return ""
}

// suggestSet proposes the closest set name, or `a - b` for a hyphenated
// name whose parts are sets.
func (c *checker) suggestSet(name string, pass fleet.Pass) string {
	if parts := strings.Split(name, "-"); len(parts) > 1 {
		for i := 1; i < len(parts); i++ {
			l, r := strings.Join(parts[:i], "-"), strings.Join(parts[i:], "-")
			if c.isSet(l, pass) && c.isSet(r, pass) {
				return " (did you mean " + l + " - " + r + "? the difference operator needs spaces)"
			}
		}
	}
	cands := append(pass.SetNames(), c.bindingNames()...)
	if s := closest(name, cands); s != "" {
		return " (did you mean " + s + "?)"
	}
	return ""
}

func (c *checker) isSet(name string, pass fleet.Pass) bool {
	if _, ok := c.env.Bindings[name]; ok {
		return true
	}
	_, ok := slices.BinarySearch(pass.SetNames(), name)
	return ok
}

func (c *checker) bindingNames() []string {
	out := make([]string, 0, len(c.env.Bindings))
	for k := range c.env.Bindings {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// attr resolves a predicate operand to its attribute and type.
func (c *checker) attr(o Operand, pass fleet.Pass) (fleet.Type, error) {
	a, ok, err := readAttr(pass, o.P, c.input, o.Attr)
	if err != nil {
		return 0, err
	}
	if !ok {
		hint := ""
		if s := closest(o.Attr, pass.AttrNames()); s != "" {
			hint = " (did you mean " + s + "?)"
		}
		return 0, c.fail(o.P, "%w: no attribute %q in pass %d%s", ErrUnknownName, o.Attr, pass.ID(), hint)
	}
	if !o.Age {
		return a.Type(), nil
	}
	if !a.Sampled() && a.Type() != fleet.Time {
		return 0, c.fail(o.P, "age(%s) needs a metric with sample times or a time attribute; %s is a %s", o.Attr, o.Attr, a.Type())
	}
	return fleet.Number, nil
}

func (c *checker) compare(n *Compare, pass fleet.Pass) error {
	t, err := c.attr(n.Left, pass)
	if err != nil {
		return err
	}
	if n.Right.Attr != "" && n.Left.Age {
		return c.fail(n.Right.P, "age(%s) compares with a duration like 10m, not with an attribute", n.Left.Attr)
	}
	if n.Right.Attr != "" {
		return c.attrVsAttr(n, t, pass)
	}
	if n.Op == "~" || n.Op == "!~" {
		return c.regex(n, t)
	}
	if n.Left.Age && !n.Right.Dur && n.Right.Kind != fleet.Number {
		return c.fail(n.Right.P, "age(%s) compares with a duration like 10m", n.Left.Attr)
	}
	if t == fleet.Bool && n.Op != "=" && n.Op != "!=" {
		return c.fail(n.P, "%s is a bool; only = and != apply", n.Left.Attr)
	}
	if err := c.literalType(n.Left, t, n.Right); err != nil {
		return err
	}
	if (n.Op == "=" || n.Op == "!=") && t == fleet.String && !n.Left.Age {
		c.unknownValue(n.Left.Attr, n.Right, pass)
	}
	return nil
}

// unknownValue warns when no host of the pass has a compared value but a
// near one exists: role = "hadoop_worker" is then almost surely a typo of
// "hadoop-worker". A value no host has is not an error (nobody may be
// dead right now), so this is a warning, and only for attributes that
// list their values cheaply (a value index).
func (c *checker) unknownValue(attr string, lit Literal, pass fleet.Pass) {
	a, _, _ := pass.Attr(attr) // read without error by attr before
	lister, ok := a.(fleet.ValueLister)
	if !ok {
		return
	}
	values := lister.Values()
	for _, v := range values {
		if v == lit.Str {
			return
		}
	}
	if s := closest(lit.Str, values); s != "" {
		c.env.Warnings = append(c.env.Warnings, fmt.Sprintf("%d:%d: no host of pass %d has %s = %q (did you mean %q?)", lit.P.Line, lit.P.Col, pass.ID(), attr, lit.Str, s))
	}
}

func (c *checker) attrVsAttr(n *Compare, t fleet.Type, pass fleet.Pass) error {
	rt, err := c.attr(Operand{P: n.Right.P, Attr: n.Right.Attr}, pass)
	if err != nil {
		if t == fleet.String && errors.Is(err, ErrUnknownName) {
			err.(*Error).Msg += " (quote a string value: \"" + n.Right.Attr + "\")"
		}
		return err
	}
	if rt != t {
		return c.fail(n.Right.P, "cannot compare %s (%s) with %s (%s)", n.Left.Attr, t, n.Right.Attr, rt)
	}
	if n.Op == "~" || n.Op == "!~" {
		return c.fail(n.P, "~ needs a quoted regular expression on the right")
	}
	return nil
}

func (c *checker) regex(n *Compare, t fleet.Type) error {
	if t != fleet.String || n.Right.Kind != fleet.String {
		return c.fail(n.P, "~ matches a string attribute against a quoted regular expression")
	}
	if _, err := regexp.Compile(n.Right.Str); err != nil {
		return c.fail(n.Right.P, "bad regular expression: %v", err)
	}
	return nil
}

// literalType checks that a literal fits the attribute's type.
func (c *checker) literalType(o Operand, t fleet.Type, lit Literal) error {
	want := t
	if o.Age {
		want = fleet.Number
	}
	got := lit.Kind
	if want == fleet.Time && got == fleet.Number || want == fleet.Number && got == fleet.Time {
		got = want
	}
	if got != want {
		hint := ""
		if want == fleet.String {
			hint = fmt.Sprintf(" (quote it: %q)", lit.Text)
		}
		return c.fail(lit.P, "%s is a %s attribute; %s is a %s%s", o, want, lit.Text, got, hint)
	}
	return nil
}

func (c *checker) in(n *In, pass fleet.Pass) error {
	t, err := c.attr(n.Left, pass)
	if err != nil {
		return err
	}
	for _, v := range n.Values {
		if t == fleet.String && v.Kind == fleet.Number {
			continue // bare numbers in a list of strings are strings
		}
		if err := c.literalType(n.Left, t, v); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) stages(stages []Stage, pass fleet.Pass) error {
	for i, s := range stages {
		if i < len(stages)-1 && isTerminal(s) {
			return c.fail(stages[i+1].Position(), "no stage may follow %q: it does not produce hosts", s.String())
		}
		if err := c.stage(s, pass); err != nil {
			return err
		}
	}
	return nil
}

func isTerminal(s Stage) bool {
	switch s.(type) {
	case *Count, *By, *Show, *Split:
		return true
	}
	return false
}

func (c *checker) stage(s Stage, pass fleet.Pass) error {
	switch s := s.(type) {
	case *Spread:
		return c.attrNames(s.P, []string{s.Attr}, pass)
	case *Stratify:
		return c.attrNames(s.P, s.Attrs, pass)
	case *By:
		return c.attrNames(s.P, []string{s.Attr}, pass)
	case *Show:
		return c.attrNames(s.P, s.Attrs, pass)
	case *Where:
		return c.node(s.Pred, pass, false)
	}
	return nil
}

func (c *checker) attrNames(p Pos, names []string, pass fleet.Pass) error {
	for _, n := range names {
		if _, err := c.attr(Operand{P: p, Attr: n}, pass); err != nil {
			return err
		}
	}
	return nil
}

// closest returns the candidate nearest to name by edit distance, if it
// is near enough to be a plausible typo.
func closest(name string, cands []string) string {
	best, bestD := "", len(name)/2+2
	for _, c := range cands {
		if d := editDistance(name, c); d < bestD || d == bestD && best != "" && c < best {
			best, bestD = c, d
		}
	}
	if best != "" && bestD > max(2, len(name)/3) && !strings.HasPrefix(best, name) {
		return ""
	}
	return best
}

// editDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and transpositions of neighbours ("sest" is one
// step from "sets") each cost 1.
func editDistance(a, b string) int {
	rows := make([][]int, len(a)+1)
	for i := range rows {
		rows[i] = make([]int, len(b)+1)
		rows[i][0] = i
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(rows[i-1][j]+1, rows[i][j-1]+1, rows[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, rows[i-2][j-2]+1)
			}
			rows[i][j] = d
		}
	}
	return rows[len(a)][len(b)]
}

// Closest returns the candidate nearest to name if it is a plausible typo
// of it, else "".
func Closest(name string, cands []string) string { return closest(name, cands) }

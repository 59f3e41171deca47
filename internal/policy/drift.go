package policy

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/fleetq/fleetq/internal/query"
)

// Drift is the [drift] section: which observed attributes should agree
// with a declared one, and the ordered rules that class each drift safe
// (the executor may remediate it) or risky (a person looks first).
//
//	[drift]
//	kernel = ["node_uname.release", "k8s.kernel"]
//
//	[[drift.rule]]
//	name = "critical-clusters"
//	hosts = 'cluster ~ "-critical-"'
//	class = "risky"
//
//	[[drift.rule]]
//	name = "previous-kernel"
//	attr = "kernel"
//	declared = ["5.15.0-105-generic"]
//	observed = ["5.15.0-91-generic"]
//	class = "safe"
//
// The first rule that matches a drift classes it; a drift no rule
// matches is risky (rule DriftDefaultRule): fail closed.
type Drift struct {
	// Attrs are the declared attributes, in name order.
	Attrs []DriftAttr
	Rules []DriftRule
}

// DriftAttr is one declared attribute and the attributes observers
// report it as, in the order the policy lists them.
type DriftAttr struct {
	Declared  string
	Observers []string
}

// DriftRule is one [[drift.rule]]. Every condition given must hold; a
// condition left out holds for every drift.
type DriftRule struct {
	Name string
	// Attr is the declared attribute the rule is about ("" for every one).
	Attr string
	// Hosts is a set expression over the pass ("" for every host).
	Hosts string
	// Declared and Observed are shell globs (path.Match: * ? [a-z]);
	// one must match the value. Empty: any value.
	Declared, Observed []string
	// DeclaredRegex and ObservedRegex are RE2, unanchored as `~` is in
	// the language; nil when not given.
	DeclaredRegex, ObservedRegex *regexp.Regexp
	Class                        string
}

// The classes of a drift.
const (
	DriftSafe  = "safe"
	DriftRisky = "risky"
)

// DriftDefaultRule names the class of a drift no rule matched (risky).
const DriftDefaultRule = "default"

// MaxDriftAttrs and MaxDriftRules bound the [drift] section.
const (
	MaxDriftAttrs = 64
	MaxDriftRules = 256
)

// Matches reports whether the rule's value conditions hold for one
// drift of attr (the host condition is the caller's: it needs a pass).
func (r *DriftRule) Matches(attr, declared, observed string) bool {
	return (r.Attr == "" || r.Attr == attr) &&
		matchGlobs(r.Declared, declared) && matchGlobs(r.Observed, observed) &&
		(r.DeclaredRegex == nil || r.DeclaredRegex.MatchString(declared)) &&
		(r.ObservedRegex == nil || r.ObservedRegex.MatchString(observed))
}

func matchGlobs(globs []string, v string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, v); ok { // validated at load
			return true
		}
	}
	return false
}

// Mapped returns the mapping of a declared attribute.
func (d *Drift) Mapped(declared string) (DriftAttr, bool) {
	for _, a := range d.Attrs {
		if a.Declared == declared {
			return a, true
		}
	}
	return DriftAttr{}, false
}

// keyError is a bad value at a key path ("drift.rule[1].class"): Parse
// turns the path into the file and line it is written at.
type keyError struct {
	path, msg string
	// bare: msg names the key itself ([windows]' errors), so Error is msg.
	bare bool
}

func (e *keyError) Error() string {
	if e.bare {
		return e.msg
	}
	return e.path + ": " + e.msg
}

// bareKey is a keyError whose message already names its key.
func bareKey(path, msg string) error { return &keyError{path: path, msg: msg, bare: true} }

func keyErrorf(path, format string, args ...any) error {
	return &keyError{path: path, msg: fmt.Sprintf(format, args...)}
}

// rawDrift is [drift] as decoded: a table whose keys are declared
// attributes, except rule, the array of rules. It decodes itself, so
// every key under it is checked here (unknown ones are errors).
type rawDrift struct{ tree map[string]any }

// UnmarshalTOML keeps the table; build validates it.
func (d *rawDrift) UnmarshalTOML(v any) error {
	t, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("drift: expected a table ([drift])")
	}
	d.tree = t
	return nil
}

func (p *Policy) buildDrift(raw rawDrift) error {
	for _, k := range slices.Sorted(maps.Keys(raw.tree)) {
		if k == "rule" {
			continue
		}
		a, err := driftAttr(k, raw.tree[k])
		if err != nil {
			return err
		}
		p.Drift.Attrs = append(p.Drift.Attrs, a)
	}
	if len(p.Drift.Attrs) > MaxDriftAttrs {
		return keyErrorf("drift", "%d declared attributes, at most %d", len(p.Drift.Attrs), MaxDriftAttrs)
	}
	rules, ok := raw.tree["rule"]
	if !ok {
		return nil
	}
	return p.buildDriftRules(rules)
}

// driftAttr reads `DECLARED = ["OBSERVED", …]`.
func driftAttr(k string, v any) (DriftAttr, error) {
	at := "drift." + quoteKey(k)
	list, err := stringList(at, v)
	if err != nil {
		return DriftAttr{}, err
	}
	if len(list) == 0 {
		return DriftAttr{}, keyErrorf(at, "no observed attribute (expected %s = [\"node_uname.release\", …])", k)
	}
	seen := map[string]bool{}
	for _, o := range list {
		switch {
		case strings.TrimSpace(o) == "":
			return DriftAttr{}, keyErrorf(at, "an empty attribute name")
		case o == k:
			return DriftAttr{}, keyErrorf(at, "%q observes itself (expected the attributes an observer reports it as)", o)
		case seen[o]:
			return DriftAttr{}, keyErrorf(at, "%q listed twice", o)
		}
		seen[o] = true
	}
	return DriftAttr{Declared: k, Observers: list}, nil
}

func (p *Policy) buildDriftRules(v any) error {
	arr, ok := tableArray(v)
	if !ok {
		return keyErrorf("drift.rule", "expected [[drift.rule]] tables")
	}
	if len(arr) > MaxDriftRules {
		return keyErrorf("drift.rule", "%d rules, at most %d", len(arr), MaxDriftRules)
	}
	seen := map[string]bool{}
	for i, t := range arr {
		r, err := p.driftRule(fmt.Sprintf("drift.rule[%d]", i), t)
		if err != nil {
			return err
		}
		if seen[r.Name] {
			return keyErrorf(fmt.Sprintf("drift.rule[%d].name", i), "rule %q defined twice", r.Name)
		}
		seen[r.Name] = true
		p.Drift.Rules = append(p.Drift.Rules, r)
	}
	return nil
}

var driftRuleKeys = []string{"name", "attr", "hosts", "declared", "observed", "declared_regex", "observed_regex", "class"}

// driftRule reads and checks one [[drift.rule]] at path at.
func (p *Policy) driftRule(at string, t map[string]any) (DriftRule, error) {
	for _, k := range slices.Sorted(maps.Keys(t)) {
		if !slices.Contains(driftRuleKeys, k) {
			return DriftRule{}, keyErrorf(at+"."+k, "unknown key (expected one of %s)", strings.Join(driftRuleKeys, ", "))
		}
	}
	var r DriftRule
	var err error
	str := func(k string) string {
		var s string
		if err == nil {
			s, err = stringValue(at+"."+k, t[k])
		}
		return s
	}
	r.Name, r.Attr, r.Hosts, r.Class = str("name"), str("attr"), str("hosts"), str("class")
	dre, ore := str("declared_regex"), str("observed_regex")
	if err != nil {
		return r, err
	}
	if r.Declared, err = globList(at+".declared", t["declared"]); err != nil {
		return r, err
	}
	if r.Observed, err = globList(at+".observed", t["observed"]); err != nil {
		return r, err
	}
	if r.DeclaredRegex, err = compileRegex(at+".declared_regex", dre); err != nil {
		return r, err
	}
	if r.ObservedRegex, err = compileRegex(at+".observed_regex", ore); err != nil {
		return r, err
	}
	return r, p.checkDriftRule(at, &r)
}

func (p *Policy) checkDriftRule(at string, r *DriftRule) error {
	switch {
	case r.Name == "":
		return keyErrorf(at, "a rule has no name (name = \"previous-kernel\": the report names the rule that classed each drift)")
	case !gateName().MatchString(r.Name) || r.Name == DriftDefaultRule:
		return keyErrorf(at+".name", "%q: expected letters, digits, _ . - (and not %q, the rule of unmatched drifts)", r.Name, DriftDefaultRule)
	case r.Class != DriftSafe && r.Class != DriftRisky:
		return keyErrorf(at+".class", "class = %q: expected \"safe\" or \"risky\"", r.Class)
	case r.Attr != "" && !p.Drift.hasAttr(r.Attr):
		return keyErrorf(at+".attr", "attr = %q: not a declared attribute of [drift] (%s)", r.Attr, p.Drift.attrNames())
	case r.Class == DriftSafe && len(r.Observed) == 0 && r.ObservedRegex == nil:
		return keyErrorf(at, "rule %s: a safe rule must say which observed values it accepts (observed = [...] or observed_regex; observed = [\"*\"] for any)", r.Name)
	}
	if r.Hosts != "" {
		if _, err := query.Parse(r.Hosts); err != nil {
			return keyErrorf(at+".hosts", "hosts = '%s': %v", r.Hosts, err)
		}
	}
	return nil
}

func (d *Drift) hasAttr(name string) bool {
	_, ok := d.Mapped(name)
	return ok
}

func (d *Drift) attrNames() string {
	if len(d.Attrs) == 0 {
		return "[drift] maps no attribute yet"
	}
	names := make([]string, len(d.Attrs))
	for i, a := range d.Attrs {
		names[i] = a.Declared
	}
	return "expected one of " + strings.Join(names, ", ")
}

func stringValue(at string, v any) (string, error) {
	if v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", keyErrorf(at, "expected a string, not %s", tomlValue(v))
	}
	return s, nil
}

// stringList reads an array of strings (a lone string is a list of one
// only where globList allows it).
func stringList(at string, v any) ([]string, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, keyErrorf(at, "expected an array of attribute names, not %s", tomlValue(v))
	}
	out := make([]string, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, keyErrorf(at, "expected strings, not %s", tomlValue(e))
		}
		out[i] = s
	}
	return out, nil
}

// globList reads "GLOB" or ["GLOB", …] and checks each pattern.
func globList(at string, v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	if s, ok := v.(string); ok {
		v = []any{s}
	}
	list, err := stringList(at, v)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, keyErrorf(at, "an empty list matches nothing: leave the key out to match any value")
	}
	for _, g := range list {
		if _, err := path.Match(g, ""); err != nil {
			return nil, keyErrorf(at, "%q: %v (a shell glob: * ? [a-z])", g, err)
		}
	}
	return list, nil
}

func compileRegex(at, s string) (*regexp.Regexp, error) {
	if s == "" {
		return nil, nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, keyErrorf(at, "%q: %v", s, err)
	}
	return re, nil
}

// quoteKey quotes a key that TOML would quote in a dotted path.
func quoteKey(k string) string {
	for _, c := range k {
		if !(c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return `"` + k + `"`
		}
	}
	return k
}

// driftExprs are the rules' host expressions, for policy check.
func (p *Policy) driftExprs() []Expr {
	var out []Expr
	for i, r := range p.Drift.Rules {
		if r.Hosts == "" {
			continue
		}
		file, line := p.lineOf(fmt.Sprintf("drift.rule[%d].hosts", i), "drift.rule", i, "hosts")
		out = append(out, Expr{Key: "drift.rule " + r.Name + ": hosts", Text: r.Hosts, File: file, Line: line})
	}
	return out
}

// driftRefs are the attributes [drift] names, for policy check.
func (p *Policy) driftRefs() []AttrRef {
	var out []AttrRef
	for _, a := range p.Drift.Attrs {
		for _, name := range append([]string{a.Declared}, a.Observers...) {
			r := AttrRef{Key: "drift." + quoteKey(a.Declared), Name: name}
			r.File, r.Line = p.where(r.Key)
			out = append(out, r)
		}
	}
	return out
}

package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/window"
)

// Maintenance windows ([windows], docs/windows.md): the verbs it gates
// approve a host only while one of its windows is open and the lease
// fits before it closes. A host's windows are, first match wins:
//
//  1. its own value of the attribute `attr` (the CMDB column), when it
//     has a non-empty one;
//  2. the first [[windows.rule]] with an `expr` holding the host, in
//     file order;
//  3. the [[windows.rule]] for its cluster;
//  4. the first [[windows.rule]] for its role (the attribute
//     `role_attr`, default "role"), in file order.
//
// A host none of them gives a window is denied window:none when
// `missing` is "deny" (the default for a disruptive verb) and approved
// without a window check when it is "allow" (the default for the
// others).

// Windows is the [windows] section.
type Windows struct {
	Attr     string   // the host attribute with the CMDB value ("": none)
	RoleAttr string   // the attribute role rules match (default "role")
	Verbs    []string // the verbs the windows gate (default: the disruptive ones)
	// Missing is "deny", "allow", or "" (deny for a disruptive verb,
	// allow for the others).
	Missing string
	Rules   []WindowRule
}

// WindowRule is one [[windows.rule]]: exactly one of Cluster, Role and
// Expr, and its windows.
type WindowRule struct {
	N                   int // 1-based, in file order
	Cluster, Role, Expr string
	Windows             window.Set
}

// Kind is what the rule matches: "expr", "cluster" or "role".
func (r WindowRule) Kind() string {
	switch {
	case r.Expr != "":
		return "expr"
	case r.Cluster != "":
		return "cluster"
	}
	return "role"
}

// Target is the expression, cluster or role the rule is for.
func (r WindowRule) Target() string {
	return r.Expr + r.Cluster + r.Role
}

// The values of [windows] missing.
const (
	MissingDeny  = "deny"
	MissingAllow = "allow"
)

// disruptiveVerbs take a host down (customer-visible): the default of
// [verb.NAME] disruptive. drain moves work off a host that stays up and
// undrain gives capacity back: neither is gated by default.
var disruptiveVerbs = map[string]bool{"reboot": true, "rekick": true, "burnin": true, "firmware": true}

type rawWindows struct {
	Attr     string          `toml:"attr"`
	RoleAttr string          `toml:"role_attr"`
	Verbs    *[]string       `toml:"verbs"`
	Missing  string          `toml:"missing"`
	Rules    []rawWindowRule `toml:"rule"`
}

type rawWindowRule struct {
	Cluster string   `toml:"cluster"`
	Role    string   `toml:"role"`
	Expr    string   `toml:"expr"`
	Windows []string `toml:"windows"`
}

// Gated reports whether the policy's windows gate verb.
func (p *Policy) Gated(verb string) bool {
	return p.Windows != nil && slices.Contains(p.Windows.Verbs, verb)
}

// MissingDenies reports whether a host without a window is denied for
// verb: missing = "deny", or unset and the verb disruptive.
func (p *Policy) MissingDenies(verb string) bool {
	if p.Windows == nil {
		return false
	}
	if p.Windows.Missing == "" {
		return p.Rules(verb).Disruptive
	}
	return p.Windows.Missing == MissingDeny
}

// buildWindows validates [windows]; it runs after the verbs are built
// (the default verbs are the disruptive ones).
func (p *Policy) buildWindows(r *rawWindows) error {
	if r == nil {
		return nil
	}
	w := &Windows{Attr: strings.TrimSpace(r.Attr), RoleAttr: orDefault(strings.TrimSpace(r.RoleAttr), "role"), Missing: r.Missing}
	switch w.Missing {
	case "", MissingDeny, MissingAllow:
	default:
		return bareKey("windows.missing", fmt.Sprintf("[windows] missing = %q: expected \"deny\" or \"allow\"", r.Missing))
	}
	if r.Verbs == nil {
		for _, v := range Verbs {
			if p.Verbs[v].Disruptive {
				w.Verbs = append(w.Verbs, v)
			}
		}
	} else {
		for _, v := range *r.Verbs {
			if !IsVerb(v) {
				return bareKey("windows.verbs", fmt.Sprintf("[windows] verbs: %q: %v (expected some of %v)", v, ErrUnknownVerb, Verbs))
			}
			if !slices.Contains(w.Verbs, v) {
				w.Verbs = append(w.Verbs, v)
			}
		}
	}
	for i, rr := range r.Rules {
		rule, err := buildWindowRule(i, rr, w.Rules)
		if err != nil {
			return err
		}
		w.Rules = append(w.Rules, rule)
	}
	p.Windows = w
	return nil
}

func buildWindowRule(i int, r rawWindowRule, earlier []WindowRule) (WindowRule, error) {
	where := fmt.Sprintf("[[windows.rule]] %d", i+1)
	at := func(key, format string, a ...any) error {
		return bareKey(fmt.Sprintf("windows.rule[%d].%s", i, key), where+": "+fmt.Sprintf(format, a...))
	}
	rule := WindowRule{N: i + 1, Cluster: strings.TrimSpace(r.Cluster), Role: strings.TrimSpace(r.Role), Expr: strings.TrimSpace(r.Expr)}
	n := 0
	for _, s := range []string{rule.Cluster, rule.Role, rule.Expr} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return rule, bareKey(fmt.Sprintf("windows.rule[%d]", i), where+": expected exactly one of cluster, role or expr (what the windows are for)")
	}
	if rule.Expr != "" {
		if _, err := query.Parse(rule.Expr); err != nil {
			return rule, at("expr", "expr = '%s': %v", rule.Expr, err)
		}
	}
	for _, e := range earlier {
		if e.Kind() == rule.Kind() && e.Target() == rule.Target() {
			return rule, at(rule.Kind(), "%s %q already has windows in [[windows.rule]] %d", rule.Kind(), rule.Target(), e.N)
		}
	}
	if len(r.Windows) == 0 {
		return rule, at("windows", "windows is missing or empty (e.g. windows = [\"Sat 02:00-06:00 UTC\"])")
	}
	for _, text := range r.Windows {
		set, err := window.Parse(text)
		if err != nil {
			return rule, at("windows", "windows: %v", err)
		}
		rule.Windows = append(rule.Windows, set...)
	}
	return rule, nil
}

// windowExprs are the window rules' expressions, for policy check.
func (p *Policy) windowExprs() []Expr {
	if p.Windows == nil {
		return nil
	}
	var out []Expr
	for i, r := range p.Windows.Rules {
		if r.Expr != "" {
			e := Expr{Key: "windows.rule.expr", Text: r.Expr}
			e.File, e.Line = p.where(fmt.Sprintf("windows.rule[%d].expr", i))
			out = append(out, e)
		}
	}
	return out
}

// windowRefs are the attributes [windows] names: attr, and role_attr
// when a rule is for a role.
func (p *Policy) windowRefs() []AttrRef {
	if p.Windows == nil {
		return nil
	}
	var out []AttrRef
	add := func(key, name string) {
		r := AttrRef{Key: key, Name: name}
		r.File, r.Line = p.where(key)
		out = append(out, r)
	}
	if p.Windows.Attr != "" {
		add("windows.attr", p.Windows.Attr)
	}
	if slices.ContainsFunc(p.Windows.Rules, func(r WindowRule) bool { return r.Role != "" }) {
		add("windows.role_attr", p.Windows.RoleAttr)
	}
	return out
}

// WindowsEffect is what [windows] says of one cluster's hosts, for
// `policy show`: the rules that may give them windows, in precedence
// order after the hosts' own values (first match wins per host).
type WindowsEffect struct {
	Verbs   []string `json:"verbs"`
	Missing string   `json:"missing"` // deny, allow, or "deny for disruptive verbs"
	Attr    string   `json:"attr,omitempty"`
	// OwnValues counts the cluster's hosts with a value of Attr.
	OwnValues int                `json:"own_values"`
	Rules     []WindowRuleEffect `json:"rules"`
}

// WindowRuleEffect is one rule that may apply to the cluster's hosts.
type WindowRuleEffect struct {
	Rule    int    `json:"rule"` // N of [[windows.rule]] N
	Kind    string `json:"kind"`
	Target  string `json:"target"`
	Windows string `json:"windows"`
	// Hosts counts the cluster's hosts it matches (-1 for an expression:
	// it is evaluated by each decision).
	Hosts int    `json:"hosts"`
	From  string `json:"from,omitempty"`
}

// windowsEffect lists the window rules that may apply to a cluster.
func (p *Policy) windowsEffect(pass fleet.Pass, c Cluster) (*WindowsEffect, error) {
	w := p.Windows
	if w == nil {
		return nil, nil
	}
	e := &WindowsEffect{Verbs: w.Verbs, Attr: w.Attr, Missing: w.Missing, Rules: []WindowRuleEffect{}}
	if e.Missing == "" {
		e.Missing = "deny for a disruptive verb, allow for the others"
	}
	if w.Attr != "" {
		a, _, err := pass.Attr(w.Attr)
		if err != nil {
			return nil, err
		}
		if a != nil {
			e.OwnValues = int(a.Present().AndCardinality(c.Hosts))
		}
	}
	roles, err := roleCounts(pass, w, c)
	if err != nil {
		return nil, err
	}
	add := func(i int, r WindowRule, hosts int) {
		e.Rules = append(e.Rules, WindowRuleEffect{Rule: r.N, Kind: r.Kind(), Target: r.Target(), Windows: r.Windows.String(),
			Hosts: hosts, From: p.loc(fmt.Sprintf("windows.rule[%d]", i))})
	}
	for _, kind := range []string{"expr", "cluster", "role"} {
		for i, r := range w.Rules {
			switch {
			case r.Kind() != kind:
			case kind == "expr":
				add(i, r, -1)
			case kind == "cluster" && r.Cluster == c.Name:
				add(i, r, c.Size())
			case kind == "role" && roles[r.Role] > 0:
				add(i, r, roles[r.Role])
			}
		}
	}
	return e, nil
}

// roleCounts counts the cluster's hosts per value of the role attribute.
func roleCounts(pass fleet.Pass, w *Windows, c Cluster) (map[string]int, error) {
	out := map[string]int{}
	if !slices.ContainsFunc(w.Rules, func(r WindowRule) bool { return r.Role != "" }) {
		return out, nil
	}
	a, _, err := pass.Attr(w.RoleAttr)
	if err != nil || a == nil {
		return out, err
	}
	it := c.Hosts.Iterator()
	for it.HasNext() {
		if v, ok := a.Value(it.Next()); ok {
			out[v.String()]++
		}
	}
	return out, nil
}

// Package drift compares what the inventory declares with what the
// observers report, as the policy's [drift] section maps them
// (kernel = ["node_uname.release", "k8s.kernel"]), and classes each
// drifted host safe or risky by the policy's ordered rules.
//
// For one declared attribute every host that declares it or that an
// observer reports it for is in exactly one of:
//
//	agree       declares it, and every observer that reports it agrees
//	drifted     declares it, and an observer reports another value
//	unobserved  declares it, and no observer reports it
//	undeclared  an observer reports it, the host declares none
//
// and every drifted host in exactly one of safe and risky. Values are
// compared as results print them (Value.String), so a declared number
// 32 agrees with an observed "32".
package drift

import (
	"context"
	"fmt"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
)

// ConflictRule names the class of a host whose observers report
// different values: risky, whatever the rules say, since what the host
// runs is not known.
const ConflictRule = "observers-disagree"

// Report is the drift of every declared attribute asked for, on one pass.
type Report struct {
	Pass  int64
	Attrs []*Attr
}

// Attr is the drift of one declared attribute.
type Attr struct {
	Declared  string
	Observers []Observer
	// The partition of the hosts that declare the attribute or that an
	// observer reports it for; Safe and Risky split Drifted.
	Agree, Drifted, Unobserved, Undeclared *roaring.Bitmap
	Safe, Risky                            *roaring.Bitmap
	// Hosts are the drifted hosts in name order.
	Hosts []Host
	// Notes say what the pass lacks (an attribute no host has).
	Notes []string
}

// Observer is one observed attribute and how many hosts it reports.
type Observer struct {
	Attr   string `json:"attr"`
	Hosts  uint64 `json:"hosts"`
	Origin string `json:"origin"` // where the pass has it from; "" when absent
}

// Host is one drifted host.
type Host struct {
	Host     string
	id       uint32
	Declared string
	Observed []Observation
	Class    string // policy.DriftSafe or policy.DriftRisky
	Rule     string // the rule that classed it, or DriftDefaultRule, ConflictRule
}

// Observation is one observer's value of a host.
type Observation struct {
	Attr  string `json:"attr"`
	Value string `json:"value"`
}

// Compute reports the drift of attrs (every mapped attribute when
// empty) in snap's current pass. A name attrs gives that the policy does
// not map is an error; a rule's hosts expression that does not evaluate
// is an error too (a drift cannot be classed without it).
func Compute(ctx context.Context, snap fleet.Snapshot, d *policy.Drift, attrs []string) (*Report, error) {
	maps, err := selectAttrs(d, attrs)
	if err != nil {
		return nil, err
	}
	c := &computer{ctx: ctx, snap: snap, pass: snap.Current(), rules: d.Rules, hosts: map[int]*roaring.Bitmap{}}
	rep := &Report{Pass: c.pass.ID()}
	for _, m := range maps {
		a, err := c.attr(m)
		if err != nil {
			return nil, err
		}
		rep.Attrs = append(rep.Attrs, a)
	}
	return rep, nil
}

// Detach copies the report's sets, which may share the pass's stored
// bytes, so the report outlives the transaction it was computed in.
func (r *Report) Detach() {
	for _, a := range r.Attrs {
		for _, bm := range []**roaring.Bitmap{&a.Agree, &a.Drifted, &a.Unobserved, &a.Undeclared, &a.Safe, &a.Risky} {
			*bm = (*bm).Clone()
		}
	}
}

func selectAttrs(d *policy.Drift, names []string) ([]policy.DriftAttr, error) {
	if len(d.Attrs) == 0 {
		return nil, fmt.Errorf("the policy has no [drift] section: map a declared attribute to what observes it (kernel = [\"node_uname.release\"]; see docs/windows.md)")
	}
	if len(names) == 0 {
		return d.Attrs, nil
	}
	var out []policy.DriftAttr
	for _, n := range names {
		m, ok := d.Mapped(n)
		if !ok {
			return nil, fmt.Errorf("%q is not a declared attribute of the policy's [drift] (expected one of %s)", n, declaredNames(d))
		}
		if !slices.ContainsFunc(out, func(x policy.DriftAttr) bool { return x.Declared == n }) {
			out = append(out, m)
		}
	}
	return out, nil
}

func declaredNames(d *policy.Drift) string {
	s := ""
	for i, a := range d.Attrs {
		if i > 0 {
			s += ", "
		}
		s += a.Declared
	}
	return s
}

type computer struct {
	ctx   context.Context
	snap  fleet.Snapshot
	pass  fleet.Pass
	rules []policy.DriftRule
	hosts map[int]*roaring.Bitmap // rule index → its hosts, evaluated once
}

// column is one attribute of the pass, or none.
type column struct {
	name string
	attr fleet.Attr // nil when no host has it
}

func (c *computer) column(name string, a *Attr) (column, error) {
	at, ok, err := c.pass.Attr(name)
	if err != nil {
		return column{}, err
	}
	if !ok {
		a.Notes = append(a.Notes, fmt.Sprintf("no host of pass %d has %s", c.pass.ID(), name))
		return column{name: name}, nil
	}
	return column{name, at}, nil
}

func present(col column) *roaring.Bitmap {
	if col.attr == nil {
		return roaring.New()
	}
	return col.attr.Present()
}

func (c *computer) attr(m policy.DriftAttr) (*Attr, error) {
	a := &Attr{Declared: m.Declared}
	decl, err := c.column(m.Declared, a)
	if err != nil {
		return nil, err
	}
	obs := make([]column, len(m.Observers))
	observed := roaring.New()
	for i, name := range m.Observers {
		if obs[i], err = c.column(name, a); err != nil {
			return nil, err
		}
		p := present(obs[i])
		observed.Or(p)
		a.Observers = append(a.Observers, Observer{Attr: name, Hosts: p.GetCardinality(), Origin: origin(c.pass, obs[i])})
	}
	declared := present(decl)
	a.Unobserved = roaring.AndNot(declared, observed)
	a.Undeclared = roaring.AndNot(observed, declared)
	a.Drifted = roaring.New()
	for _, o := range obs {
		a.Drifted.Or(disagree(decl, o))
	}
	a.Agree = roaring.AndNot(roaring.And(declared, observed), a.Drifted)
	return a, c.classify(a, decl, obs)
}

func origin(p fleet.Pass, col column) string {
	if col.attr == nil {
		return ""
	}
	return p.Origin(col.name)
}

// disagree is the hosts that declare a value and that o reports with
// another: both present, minus those whose values print the same.
func disagree(decl, o column) *roaring.Bitmap {
	if decl.attr == nil || o.attr == nil {
		return roaring.New()
	}
	byValue := map[string]*roaring.Bitmap{}
	for _, g := range o.attr.Groups() {
		k := g.Value.String()
		if b, ok := byValue[k]; ok {
			byValue[k] = roaring.Or(b, g.Hosts)
		} else {
			byValue[k] = g.Hosts
		}
	}
	both := roaring.And(decl.attr.Present(), o.attr.Present())
	for _, g := range decl.attr.Groups() {
		if b, ok := byValue[g.Value.String()]; ok {
			both.AndNot(roaring.And(g.Hosts, b))
		}
	}
	return both
}

// classify fills a.Hosts, a.Safe and a.Risky from the drifted hosts.
func (c *computer) classify(a *Attr, decl column, obs []column) error {
	a.Safe, a.Risky = roaring.New(), roaring.New()
	names := c.snap.Hosts()
	it := a.Drifted.Iterator()
	for it.HasNext() {
		id := it.Next()
		h := Host{Host: names.Name(id), id: id, Declared: value(decl, id)}
		for _, o := range obs {
			if o.attr == nil {
				continue
			}
			if v, ok := o.attr.Value(id); ok {
				h.Observed = append(h.Observed, Observation{o.name, v.String()})
			}
		}
		if err := c.class(a.Declared, &h); err != nil {
			return err
		}
		if h.Class == policy.DriftSafe {
			a.Safe.Add(id)
		} else {
			a.Risky.Add(id)
		}
		a.Hosts = append(a.Hosts, h)
	}
	slices.SortFunc(a.Hosts, func(x, y Host) int {
		switch {
		case x.Host < y.Host:
			return -1
		case x.Host > y.Host:
			return 1
		}
		return 0
	})
	return nil
}

func value(col column, id uint32) string {
	v, _ := col.attr.Value(id) // a drifted host declares a value
	return v.String()
}

// class applies the rules to one drifted host: observers that disagree
// with each other make it risky; else the first rule that matches its
// declared and observed value (and holds its host) classes it; else it
// is risky by the default rule.
func (c *computer) class(attr string, h *Host) error {
	ov := h.Observed[0].Value
	for _, o := range h.Observed[1:] {
		if o.Value != ov {
			h.Class, h.Rule = policy.DriftRisky, ConflictRule
			return nil
		}
	}
	for i := range c.rules {
		r := &c.rules[i]
		if !r.Matches(attr, h.Declared, ov) {
			continue
		}
		in, err := c.holds(i, h.id)
		if err != nil {
			return err
		}
		if in {
			h.Class, h.Rule = r.Class, r.Name
			return nil
		}
	}
	h.Class, h.Rule = policy.DriftRisky, policy.DriftDefaultRule
	return nil
}

// holds reports whether rule i's hosts expression holds host id.
func (c *computer) holds(i int, id uint32) (bool, error) {
	r := &c.rules[i]
	if r.Hosts == "" {
		return true, nil
	}
	bm, ok := c.hosts[i]
	if !ok {
		var err error
		if bm, err = c.eval(r); err != nil {
			return false, err
		}
		c.hosts[i] = bm
	}
	return bm.Contains(id), nil
}

func (c *computer) eval(r *policy.DriftRule) (*roaring.Bitmap, error) {
	st, err := query.Parse(r.Hosts)
	if err != nil {
		return nil, &RuleError{Rule: r.Name, Hosts: r.Hosts, Err: err}
	}
	res, err := query.Run(&query.Env{Ctx: c.ctx, Snap: c.snap, Seed: 1}, st)
	if err != nil {
		return nil, &RuleError{Rule: r.Name, Hosts: r.Hosts, Err: err}
	}
	if res.Kind != query.HostsResult {
		return nil, &RuleError{Rule: r.Name, Hosts: r.Hosts, Err: fmt.Errorf("must be a set, not a count, table or batches")}
	}
	return res.Hosts, nil
}

// RuleError is a rule's hosts expression that does not evaluate on the
// pass: nothing is classed, since the rule might have matched.
type RuleError struct {
	Rule, Hosts string
	Err         error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("drift.rule %s: hosts = '%s': %v", e.Rule, e.Hosts, e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }

package actions

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/policy"
)

// Cluster constraints (docs/actions.md, "Cluster constraints"): a minimum
// of healthy hosts, capacity minimums and a maximum of hosts down without
// a drain. Each cluster's sums are computed once, when the decision opens
// it, and updated as hosts are taken: a candidate costs a few bitmap
// probes and one value read, whatever the cluster's size.

// Rule names of the constraints.
const (
	RuleMinHealthy = "budget:min-healthy"
	RuleCapacity   = "budget:capacity"
	RuleUndrained  = "budget:undrained-down"
)

// ConstraintLine is one constraint's line in a cluster's arithmetic.
type ConstraintLine struct {
	Rule  string `json:"rule"`
	Attr  string `json:"attr,omitempty"`
	Bound string `json:"bound"` // as the policy writes it: "390", "95%", "80%", "2000"
	// Min is the bound in hosts or in the attribute's units (Max for
	// max_undrained_down); Total the cluster's size or total capacity.
	Min    float64 `json:"min"`
	Total  float64 `json:"total"`
	Before float64 `json:"before"` // healthy / in service / undrained down, before the request
	After  float64 `json:"after"`  // the same after this decision's approvals
	// Missing is how many of the cluster's hosts have no value of Attr.
	Missing int    `json:"missing,omitempty"`
	Text    string `json:"text"`
}

// takesDown are the verbs that take a host down: they count against
// max_undrained_down unless the host is drained.
var takesDown = map[string]bool{"reboot": true, "firmware": true, "rekick": true, "burnin": true}

// drainedStates are the control-plane states of a host that was drained,
// or is being drained, through its control plane.
var drainedStates = map[string]bool{"decommissioning": true, "decommissioned": true, "entering_maintenance": true, "in_maintenance": true}

// clusterCons is one cluster's running account of its constraints.
type clusterCons struct {
	c    policy.Constraints
	size int
	all  *roaring.Bitmap // every host of the cluster
	// costly are the hosts of the cluster still in service (not
	// unavailable, leased or stuck): approving one costs capacity.
	costly *roaring.Bitmap
	// healthy are the costly hosts in the health set; healthyLeft how
	// many of them remain after the approvals so far.
	healthy     *roaring.Bitmap
	minHealthy  int
	healthyLeft int
	// healthyBefore and undrainedBefore are the counts before the request.
	healthyBefore, undrainedBefore int
	caps                           []capAccount
	// undrained counts the hosts down without a drain, approvals
	// included; drained is the decision's set of drained hosts.
	undrained int
	drained   *roaring.Bitmap
	// healthyMemo (for a host outside and one inside the health set) and
	// undrainedMemo are the last denial details, by the count they print.
	healthyMemo   [2]memo
	undrainedMemo memo
}

// capAccount is one capacity minimum of one cluster.
type capAccount struct {
	rule         policy.CapacityMin
	attr         fleet.Attr // nil: no host of the pass has it as a number
	total, left  float64
	bound        float64
	reported     int
	before       float64
	detailNoData string
	// details are the denial details by what would be left, since the
	// last take.
	details map[float64]string
}

// openConstraints opens the constraint accounts of every touched cluster
// whose class has constraints, for a verb the budgets apply to.
func (b *budgets) openConstraints(ctx context.Context, v *view) error {
	var drained, health, outAll *roaring.Bitmap
	for _, cb := range b.clusters {
		c := cb.class.Constraints
		if !b.rules.Budgeted || !cb.class.HasBudget || c.IsZero() {
			continue
		}
		if c.MinHealthy != nil && health == nil {
			var err error
			if health, err = evalSet(ctx, v.snap, v.pol.Health, false); err != nil {
				return err
			}
		}
		if outAll == nil {
			outAll = roaring.Or(b.v.out, b.v.leased)
		}
		out := roaring.And(outAll, cb.hosts)
		cc := &clusterCons{c: c, all: cb.hosts, size: int(cb.hosts.GetCardinality()), costly: roaring.AndNot(cb.hosts, out)}
		if c.MinHealthy != nil {
			cc.openHealthy(health)
		}
		for _, rule := range c.MinCapacity {
			acc, err := b.openCapacity(cc, rule)
			if err != nil {
				return err
			}
			cc.caps = append(cc.caps, acc)
		}
		if c.MaxUndrainedDown >= 0 && takesDown[b.verb] {
			if drained == nil {
				var err error
				if drained, err = b.drainedHosts(); err != nil {
					return err
				}
			}
			cc.drained = drained
			cc.undrained = int(roaring.AndNot(out, drained).GetCardinality())
			cc.undrainedBefore = cc.undrained
		}
		cb.cons = cc
	}
	return nil
}

func (cc *clusterCons) openHealthy(health *roaring.Bitmap) {
	cc.healthy = roaring.And(cc.costly, health)
	cc.minHealthy = cc.c.MinHealthy.Of(cc.size)
	cc.healthyLeft = int(cc.healthy.GetCardinality())
	cc.healthyBefore = cc.healthyLeft
}

// openCapacity sums a numeric attribute over the cluster's hosts (the
// total) and over those still in service (left). A host without a value
// counts as zero in both.
func (b *budgets) openCapacity(cc *clusterCons, rule policy.CapacityMin) (capAccount, error) {
	acc := capAccount{rule: rule}
	a, ok, err := b.v.pass.Attr(rule.Attr)
	if err != nil {
		return acc, err
	}
	if !ok || a.Type() != fleet.Number {
		acc.detailNoData = fmt.Sprintf("%s: no host of the pass has it as a number: the capacity minimum cannot be checked", rule.Attr)
		return acc, nil
	}
	acc.attr = a
	ids := roaring.And(a.Present(), cc.all).ToArray()
	for _, id := range ids {
		val, _ := a.Value(id)
		acc.total += val.Num
		acc.reported++
		if cc.costly.Contains(id) {
			acc.left += val.Num
		}
	}
	if acc.reported == 0 {
		acc.detailNoData = fmt.Sprintf("%s: no host of the cluster reports it: the capacity minimum cannot be checked", rule.Attr)
	}
	acc.bound = acc.total * orZero(rule.Pct) / 100
	if rule.Min != nil {
		acc.bound = *rule.Min
	}
	acc.before = acc.left
	return acc, nil
}

func orZero(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// drainedHosts are the hosts drained before they went down: held by a
// drain lease, or reported by every control plane that reports a state
// for them as decommissioning, decommissioned or in maintenance.
func (b *budgets) drainedHosts() (*roaring.Bitmap, error) {
	reported, notDrained := roaring.New(), roaring.New()
	for _, cp := range controlPlaneOut {
		a, ok, err := b.v.pass.Attr(cp.attr)
		if err != nil {
			return nil, err
		}
		if !ok || a.Type() != fleet.String {
			continue
		}
		reported.Or(a.Present())
		notDrained.Or(a.Filter(func(v fleet.Value) bool { return !drainedStates[v.Str] }))
	}
	out := roaring.AndNot(reported, notDrained)
	for id, l := range b.v.leases {
		if l.Verb == "drain" {
			out.Add(id)
		}
	}
	return out, nil
}

func minHealthyFull(_ *budgets, cb *clusterBudget, h hostCost) (string, bool) {
	cc := cb.cons
	if cc == nil || cc.healthy == nil {
		return "", false
	}
	after, m := cc.healthyLeft, &cc.healthyMemo[0]
	if cc.healthy.Contains(h.id) {
		after, m = after-1, &cc.healthyMemo[1]
	}
	if after >= cc.minHealthy {
		return "", false
	}
	return m.get(after, func() string {
		return fmt.Sprintf("%s: would leave %d healthy of %d, min_healthy %s", cb.report.Cluster, after, cc.size, cc.minHealthyText())
	}), true
}

func (cc *clusterCons) minHealthyText() string {
	m := cc.c.MinHealthy
	if m.Pct < 0 {
		return m.String()
	}
	return fmt.Sprintf("%s of %d = %d", m, cc.size, cc.minHealthy)
}

func capacityFull(_ *budgets, cb *clusterBudget, h hostCost) (string, bool) {
	cc := cb.cons
	if cc == nil {
		return "", false
	}
	for i := range cc.caps {
		acc := &cc.caps[i]
		if acc.detailNoData != "" {
			return acc.detailNoData, true
		}
		after := acc.left - acc.cost(cc, h.id)
		if after < acc.bound {
			return acc.detail(after), true
		}
	}
	return "", false
}

// detail is the denial's detail for what would be left, written once
// per distinct amount while the account stands (most denials repeat one).
func (acc *capAccount) detail(after float64) string {
	if d, ok := acc.details[after]; ok {
		return d
	}
	if acc.details == nil || len(acc.details) > 64 {
		acc.details = map[float64]string{}
	}
	d := acc.rule.Attr + ": would leave " + acc.leaves(after)
	acc.details[after] = d
	return d
}

// cost is the capacity approving a host takes: its value when it is
// still in service, else nothing.
func (acc *capAccount) cost(cc *clusterCons, id uint32) float64 {
	if !cc.costly.Contains(id) {
		return 0
	}
	v, ok := acc.attr.Value(id)
	if !ok {
		return 0
	}
	return v.Num
}

// leaves renders what remains against the bound: "78.4% of 1.2 PB,
// minimum 80%" or "1996 of 2400, minimum 2000".
func (acc *capAccount) leaves(left float64) string {
	if acc.rule.Pct != nil {
		return fmt.Sprintf("%s%% of %s, minimum %s%%", pctDown(left, acc.total), acc.units(acc.total), strconv.FormatFloat(*acc.rule.Pct, 'f', -1, 64))
	}
	return fmt.Sprintf("%s of %s, minimum %s", acc.units(left), acc.units(acc.total), acc.units(acc.bound))
}

// pctDown is part/whole in percent rounded DOWN to 0.1, so a share just
// under a minimum never prints as the minimum (79.97% is 79.9%).
func pctDown(part, whole float64) string {
	if whole <= 0 {
		return "0"
	}
	return strconv.FormatFloat(math.Floor(part*1000/whole)/10, 'f', 1, 64)
}

// units renders a value of the attribute: SI units (1 kB = 1000 B) with
// one decimal for an attribute whose name ends in "bytes", else the
// plain number.
func (acc *capAccount) units(v float64) string {
	if !strings.HasSuffix(strings.ToLower(acc.rule.Attr), "bytes") {
		return plainNumber(v)
	}
	return humanBytes(v)
}

func humanBytes(v float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}
	i := 0
	for math.Abs(v) >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	if i == 0 {
		return plainNumber(v) + " B"
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + " " + units[i]
}

func plainNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func undrainedFull(b *budgets, cb *clusterBudget, h hostCost) (string, bool) {
	cc := cb.cons
	if cc == nil || cc.drained == nil || !cc.addsUndrained(h.id) || cc.undrained+1 <= cc.c.MaxUndrainedDown {
		return "", false
	}
	return cc.undrainedMemo.get(cc.undrained, func() string {
		return fmt.Sprintf("%s: %d hosts down without a drain (max_undrained_down %d): drain the host first, or wait for one to return",
			cb.report.Cluster, cc.undrained, cc.c.MaxUndrainedDown)
	}), true
}

// addsUndrained reports whether taking a host down adds one to the hosts
// down without a drain: it is in service and not drained.
func (cc *clusterCons) addsUndrained(id uint32) bool {
	return cc.costly.Contains(id) && !cc.drained.Contains(id)
}

// takeConstraints records an approved host against the constraints.
func (cb *clusterBudget) takeConstraints(h hostCost) {
	cc := cb.cons
	if cc == nil {
		return
	}
	if cc.healthy != nil && cc.healthy.Contains(h.id) {
		cc.healthyLeft--
	}
	for i := range cc.caps {
		if acc := &cc.caps[i]; acc.attr != nil {
			if c := acc.cost(cc, h.id); c != 0 {
				acc.left -= c
				acc.details = nil
			}
		}
	}
	if cc.drained != nil && cc.addsUndrained(h.id) {
		cc.undrained++
	}
}

// finishConstraints writes every constrained cluster's constraint lines
// into its report, once the decision has taken its hosts.
func (b *budgets) finishConstraints() {
	for _, cb := range b.clusters {
		if cc := cb.cons; cc != nil {
			cb.report.Constraints = cc.report()
		}
	}
}

func (cc *clusterCons) report() []ConstraintLine {
	var out []ConstraintLine
	if cc.healthy != nil {
		l := ConstraintLine{Rule: RuleMinHealthy, Bound: cc.c.MinHealthy.String(), Min: float64(cc.minHealthy), Total: float64(cc.size),
			Before: float64(cc.healthyBefore), After: float64(cc.healthyLeft)}
		l.Text = fmt.Sprintf("min_healthy %s: healthy and in service %d of %d, after %d", cc.minHealthyText(), cc.healthyBefore, cc.size, cc.healthyLeft)
		out = append(out, l)
	}
	for i := range cc.caps {
		out = append(out, cc.caps[i].line(cc.size))
	}
	if cc.drained != nil {
		l := ConstraintLine{Rule: RuleUndrained, Bound: strconv.Itoa(cc.c.MaxUndrainedDown), Min: float64(cc.c.MaxUndrainedDown),
			Total: float64(cc.size), Before: float64(cc.undrainedBefore), After: float64(cc.undrained)}
		l.Text = fmt.Sprintf("max_undrained_down %d: down without a drain %d, after %d", cc.c.MaxUndrainedDown, cc.undrainedBefore, cc.undrained)
		out = append(out, l)
	}
	return out
}

func (acc *capAccount) line(size int) ConstraintLine {
	l := ConstraintLine{Rule: RuleCapacity, Attr: acc.rule.Attr, Min: acc.bound, Total: acc.total, Before: acc.before, After: acc.left,
		Missing: size - acc.reported}
	if acc.rule.Pct != nil {
		l.Bound = strconv.FormatFloat(*acc.rule.Pct, 'f', -1, 64) + "%"
	} else {
		l.Bound = plainNumber(*acc.rule.Min)
	}
	if acc.detailNoData != "" {
		l.Text = "min_capacity " + acc.detailNoData
		return l
	}
	bound := acc.units(acc.bound)
	if acc.rule.Pct != nil {
		bound = fmt.Sprintf("%s of %s = %s", l.Bound, acc.units(acc.total), bound)
	}
	l.Text = fmt.Sprintf("min_capacity %s %s: in service %s (%s%%), after %s (%s%%)", acc.rule.Attr, bound,
		acc.units(acc.before), pctDown(acc.before, acc.total), acc.units(acc.left), pctDown(acc.left, acc.total))
	if l.Missing > 0 {
		l.Text += fmt.Sprintf("; %d hosts without %s count as 0", l.Missing, acc.rule.Attr)
	}
	return l
}

// constraintNames are the names the constraints read: the summed
// attributes, and the control planes' states when downtime is counted.
func constraintNames(attrs []string, undrained bool) []string {
	if undrained {
		for _, cp := range controlPlaneOut {
			attrs = append(attrs, cp.attr)
		}
	}
	return attrs
}

package actions

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

// Policy budgets: how many hosts may be out at once per cluster, rack and
// replica group, how many a verb may start per window, and how long a
// host rests between operations. Every approved host costs one, even one
// already counted as unavailable: headroom ≤ 0 approves nothing, always.

// clusterBudget is one cluster's running account within a decision.
type clusterBudget struct {
	report   *ClusterReport
	class    policy.Class
	hosts    *roaring.Bitmap
	out      int // unavailable + leased + approved so far (hosts that cost)
	approved int
	inMaint  map[string]bool // replica groups with leased or approved hosts
	maint    []string        // inMaint sorted, nil when it changed since
	started  int             // lease starts of this verb in the rate window
	rateMax  int             // the rate's starts per window here (Rate.Limit)
	oldest   time.Time       // earliest expiry of an active lease here
	// full and rate are the last details of a full cluster or rate
	// budget, kept while the count they print stands.
	full, rate memo
	freeze     *store.Freeze // the active freeze covering the cluster
	// groupDetails are the replica-group invariant's details by group,
	// for the groups in maintenance now (reset when they change).
	groupDetails map[string]string
	noBudget     string // the no-budget denial's detail, once written
	// bound lists the budgets over attributes and slots (index << 32 |
	// slot) that refused hosts of the cluster, for the report's "bound
	// by" (with repeats, compacted at the end).
	bound []uint64
	cons  *clusterCons // the cluster's constraints (nil: none apply)
}

// memo is a denial's detail and the count it was written for: most
// denials of one decision repeat a handful of details.
type memo struct {
	n      int
	detail string
}

// get returns the detail for count n, writing it only when n changed.
func (m *memo) get(n int, write func() string) string {
	if m.detail == "" || m.n != n {
		m.n, m.detail = n, write()
	}
	return m.detail
}

// budgets is the running account of one decision.
type budgets struct {
	v        *view
	verb     string
	rules    policy.VerbRules
	clusters map[string]*clusterBudget
	groups   map[string]int // hosts out per cluster/replica group
	facts    hostFacts      // the one candidate's facts being judged
	// byCode is each cluster code's budget (index).
	byCode []*clusterBudget
	// The budgets over attributes (perattr.go): rack and group are
	// limits.per_rack and per_group (nil when 0), extra the
	// [[limits.per]]; all of them in check order, and slots the current
	// candidate's slot in each (resolve).
	rack, group *perBudget
	extra, all  []*perBudget
	slots       []int32
	notes       []string
	perRule     string // the rule of the last [[limits.per]] denial
	// counted, when not nil, keeps each cluster's hosts out (outCounts)
	// for the next budgets over the same view: Headroom opens every
	// cluster once per verb, and the counts do not depend on the verb.
	counted map[string]outCounts
}

// outCounts are a cluster's hosts out by cause, and its leased and stuck
// hosts, as the view counts them.
type outCounts struct {
	causes        []Cause
	leased, stuck int
}

// clusterOut counts the hosts of c out by cause, leased and stuck in the
// view (once per cluster when b.counted keeps them).
func (b *budgets) clusterOut(c policy.Cluster) outCounts {
	if oc, ok := b.counted[c.Name]; ok {
		return oc
	}
	var oc outCounts
	for _, x := range b.v.causes {
		if n := int(x.hosts.AndCardinality(c.Hosts)); n > 0 {
			oc.causes = append(oc.causes, Cause{x.name, n})
		}
	}
	oc.stuck = int(b.v.stuck.AndCardinality(c.Hosts))
	oc.leased = int(b.v.leasedOut().AndCardinality(c.Hosts)) - oc.stuck + b.v.ghostLeased[c.Name]
	if b.counted != nil {
		b.counted[c.Name] = oc
	}
	return oc
}

func newBudgets(v *view, verb string, classes map[string]policy.Class, hosts []policy.Cluster, cs *candSet) (*budgets, error) {
	b := &budgets{v: v, verb: verb, rules: v.pol.Rules(verb), clusters: map[string]*clusterBudget{}, groups: map[string]int{}}
	for _, c := range hosts {
		b.clusters[c.Name] = b.openCluster(c, classes[c.Name])
	}
	if err := b.newPerBudgets(cs); err != nil {
		return nil, err
	}
	for _, pb := range b.all {
		b.countOut(pb, pb.keySet(cs))
	}
	for _, cb := range b.clusters {
		b.countCluster(cb)
	}
	b.countStarts()
	b.index(cs)
	return b, nil
}

func (b *budgets) openCluster(c policy.Cluster, class policy.Class) *clusterBudget {
	r := &ClusterReport{Cluster: c.Name, Archetype: class.Archetype, Exception: class.Exception,
		Budgeted: class.HasBudget && b.rules.Budgeted}
	cb := &clusterBudget{report: r, class: class, hosts: c.Hosts, inMaint: map[string]bool{}, freeze: b.v.freezeOf(c.Name),
		rateMax: b.rules.Rate.Limit(c.Size())}
	if class.HasBudget {
		r.Arith = class.Budget.Cap(c.Size())
	}
	oc := b.clusterOut(c)
	r.Causes = slices.Clone(oc.causes) // the leased and stuck causes are appended to this report's own
	for _, x := range oc.causes {
		r.Unavailable += x.Hosts
	}
	r.Stuck, r.Leased = oc.stuck, oc.leased
	if r.Leased > 0 {
		r.Causes = append(r.Causes, Cause{"leased", r.Leased})
	}
	if r.Stuck > 0 {
		r.Causes = append(r.Causes, Cause{"stuck", r.Stuck})
	}
	r.Unavailable += r.Leased + r.Stuck
	cb.out = r.Unavailable
	r.Headroom = policy.Headroom(r.Arith.Cap, r.Unavailable-r.Leased-r.Stuck, r.Leased+r.Stuck)
	if cb.freeze != nil {
		r.Frozen = cb.freeze.Reason
	}
	return cb
}

// index keys the accounts by the candidates' codes, once they are counted.
func (b *budgets) index(cs *candSet) {
	b.byCode = make([]*clusterBudget, len(cs.cluster.vals))
	for code, name := range cs.cluster.vals {
		if code != 0 {
			b.byCode[code] = b.clusters[name]
		}
	}
	for _, pb := range b.all {
		pb.index(len(cs.cluster.vals))
	}
}

// anyBudgeted reports whether a budget applies in a touched cluster.
func (b *budgets) anyBudgeted() bool {
	for _, cb := range b.clusters {
		if cb.report.Budgeted {
			return true
		}
	}
	return false
}

// countCluster tallies a touched cluster's hosts already out per replica
// group, its groups in maintenance (leased) and its oldest active lease.
func (b *budgets) countCluster(cb *clusterBudget) {
	b.tally(cb, roaring.And(b.v.out, cb.hosts), false)
	b.tally(cb, roaring.And(b.v.leasedOut(), cb.hosts), true)
}

func (b *budgets) tally(cb *clusterBudget, hosts *roaring.Bitmap, leased bool) {
	ids := hosts.ToArray()
	groups := b.v.groupR.column(ids, hosts)
	for i, id := range ids {
		if g := groups.at(int32(i)); g != "" {
			b.groups[cb.report.Cluster+"\x00"+g]++
			if leased {
				cb.addMaint(g)
			}
		}
		if l := b.v.leases[id]; leased && !b.v.stuck.Contains(id) && (cb.oldest.IsZero() || l.Expiry.Before(cb.oldest)) {
			cb.oldest = l.Expiry
		}
	}
}

// noRack is the rack key of hosts without a rack.
const noRack = "<none>"

func rackKeyOf(rack string) string {
	if rack != "" {
		return rack
	}
	return noRack
}

func (b *budgets) countStarts() {
	if b.rules.Rate.IsZero() {
		return
	}
	since := b.v.now.Add(-b.rules.Rate.Window)
	for _, s := range b.v.starts {
		if cb, ok := b.clusters[s.Cluster]; ok && s.Verb == b.verb && !s.At.Before(since) {
			cb.started++
		}
	}
}

// inMaint lists a cluster's replica groups in maintenance, sorted.
func (cb *clusterBudget) groupsInMaint() []string {
	if cb.maint != nil {
		return cb.maint
	}
	out := make([]string, 0, len(cb.inMaint))
	for g := range cb.inMaint {
		out = append(out, g)
	}
	sort.Strings(out)
	cb.maint = out
	return out
}

// addMaint marks a replica group as in maintenance.
func (cb *clusterBudget) addMaint(g string) {
	if !cb.inMaint[g] {
		cb.inMaint[g], cb.maint, cb.groupDetails = true, nil, nil
	}
}

// hostCost is what approving one host would take.
type hostCost struct {
	pos     int32 // among the sorted candidates
	id      uint32
	cluster string
	rack    string
	group   string
	codes   [3]int32 // the candidate's cluster, rack and group codes
	win     int32    // its window source (0 when no window gates the decision)
	// cb is the cluster's budget.
	cb *clusterBudget
}

type budgetCheck struct {
	rule  string
	check func(b *budgets, cb *clusterBudget, h hostCost) (detail string, over bool)
}

// budgetChecks run in this order; the first that is full names the denial.
var budgetChecks = []budgetCheck{
	{RuleCooldown, cooldownFull},
	{RuleRate, rateFull},
	{RuleCluster, clusterFull},
	{RuleRack, rackFull},
	{RuleGroup, groupFull},
	{RulePer, perAttrFull},
	{RuleMinHealthy, minHealthyFull},
	{RuleCapacity, capacityFull},
	{RuleUndrained, undrainedFull},
}

func (b *budgets) check(cb *clusterBudget, h hostCost) (rule, detail string) {
	for _, c := range budgetChecks {
		if d, over := c.check(b, cb, h); over {
			if c.rule == RulePer {
				return b.perRule, d
			}
			return c.rule, d
		}
	}
	return "", ""
}

func cooldownFull(b *budgets, _ *clusterBudget, h hostCost) (string, bool) {
	if b.rules.Cooldown <= 0 || len(b.v.lastOp) == 0 {
		return "", false
	}
	last, ok := b.v.lastOp[b.v.names.Name(h.id)]
	if !ok || !b.v.now.Before(last.Add(b.rules.Cooldown)) {
		return "", false
	}
	return fmt.Sprintf("last operation ended %s; cooldown %s until %s", stamp(last), b.rules.Cooldown, stamp(last.Add(b.rules.Cooldown))), true
}

func rateFull(b *budgets, cb *clusterBudget, _ hostCost) (string, bool) {
	r := b.rules.Rate
	if r.IsZero() || cb.started+cb.approved < cb.rateMax {
		return "", false
	}
	return cb.rate.get(cb.started+cb.approved, func() string {
		n := strconv.Itoa(cb.rateMax)
		if r.IsPct {
			size := int(cb.hosts.GetCardinality())
			n = fmt.Sprintf("%s%% of %d = %d", strconv.FormatFloat(r.Pct, 'f', -1, 64), size, r.Raw(size))
			if cb.rateMax != r.Raw(size) {
				n += fmt.Sprintf(" → %d (floor %d)", cb.rateMax, r.Floor)
			}
		}
		return fmt.Sprintf("%s rate %s per %s in %s: %d started in the window", b.verb, n, r.Window, cb.report.Cluster, cb.started+cb.approved)
	}), true
}

func clusterFull(b *budgets, cb *clusterBudget, h hostCost) (string, bool) {
	if !cb.report.Budgeted || cb.out < cb.report.Arith.Cap {
		return "", false
	}
	return cb.full.get(cb.out, func() string {
		d := fmt.Sprintf("%s budget full: cap %d, %d out", cb.report.Cluster, cb.report.Arith.Cap, cb.out)
		if !cb.oldest.IsZero() {
			return d + "; retry after the oldest lease expires at " + stamp(cb.oldest)
		}
		return d + "; retry when unavailable hosts return"
	}), true
}

func rackFull(b *budgets, cb *clusterBudget, h hostCost) (string, bool) {
	if b.rack == nil {
		return "", false
	}
	return b.perFull(0, cb, h)
}

func groupFull(b *budgets, cb *clusterBudget, h hostCost) (string, bool) {
	if b.group == nil {
		return "", false
	}
	i := 0
	if b.rack != nil {
		i = 1
	}
	return b.perFull(i, cb, h)
}

// perAttrFull checks the [[limits.per]] in file order; the first full
// one names the denial (b.perRule: "budget:per dc").
func perAttrFull(b *budgets, cb *clusterBudget, h hostCost) (string, bool) {
	for i := len(b.all) - len(b.extra); i < len(b.all); i++ {
		if d, over := b.perFull(i, cb, h); over {
			b.perRule = b.all[i].rule
			return d, true
		}
	}
	return "", false
}

// take records an approved host against every budget covering it.
func (b *budgets) take(cb *clusterBudget, h hostCost) {
	cb.approved++
	cb.report.Approved++
	if h.group != "" {
		cb.addMaint(h.group)
	}
	if !cb.report.Budgeted {
		return
	}
	cb.takeConstraints(h)
	cb.out++
	b.takePer()
}

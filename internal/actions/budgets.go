package actions

import (
	"fmt"
	"sort"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
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
	oldest   time.Time       // earliest expiry of an active lease here
	// full and rate are the last details of a full cluster or rate
	// budget, kept while the count they print stands.
	full, rate memo
	freeze     *store.Freeze // the active freeze covering the cluster
	// groupDetails are the replica-group invariant's details by group,
	// for the groups in maintenance now (reset when they change).
	groupDetails map[string]string
	noBudget     string // the no-budget denial's detail, once written
	// groupSlots are 1 + the budgets' group slot of each group code of
	// the cluster's candidates (0: none yet), when they have few codes.
	groupSlots []int32
	cons       *clusterCons // the cluster's constraints (nil: none apply)
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
	racks    map[string]int // hosts out per rack
	groups   map[string]int // hosts out per cluster/replica group
	facts    hostFacts      // the one candidate's facts being judged
	// The per-host accounts by the candidates' codes (index): byCode is
	// each cluster code's budget; rackOut and rackMemo a rack's count and
	// the last detail of it full, by slot (rackSlot of a rack code);
	// groupOut and groupMemo the same per cluster and replica group, by
	// the slot groupSlots gives a (cluster code, group code) pair.
	byCode              []*clusterBudget
	rackSlot            []int32
	rackOut             []int
	rackMemo, groupMemo []memo
	groupSlots          map[uint64]int32
	groupOut            []int
	groupCodes          int // how many codes the candidates' group column has
}

func newBudgets(v *view, verb string, classes map[string]policy.Class, hosts []policy.Cluster, racks map[string]bool) *budgets {
	b := &budgets{v: v, verb: verb, rules: v.pol.Rules(verb), clusters: map[string]*clusterBudget{},
		racks: map[string]int{}, groups: map[string]int{}, groupSlots: map[uint64]int32{}}
	for _, c := range hosts {
		b.clusters[c.Name] = b.openCluster(c, classes[c.Name])
	}
	b.countRacks(racks)
	for _, cb := range b.clusters {
		b.countCluster(cb)
	}
	b.countStarts()
	return b
}

func (b *budgets) openCluster(c policy.Cluster, class policy.Class) *clusterBudget {
	r := &ClusterReport{Cluster: c.Name, Archetype: class.Archetype, Exception: class.Exception,
		Budgeted: class.HasBudget && b.rules.Budgeted}
	cb := &clusterBudget{report: r, class: class, hosts: c.Hosts, inMaint: map[string]bool{}, freeze: b.v.freezeOf(c.Name)}
	if class.HasBudget {
		r.Arith = class.Budget.Cap(c.Size())
	}
	for _, x := range b.v.causes {
		if n := int(x.hosts.AndCardinality(c.Hosts)); n > 0 {
			r.Causes = append(r.Causes, Cause{x.name, n})
			r.Unavailable += n
		}
	}
	r.Stuck = int(b.v.stuck.AndCardinality(c.Hosts))
	r.Leased = int(b.v.leasedOut().AndCardinality(c.Hosts)) - r.Stuck + b.v.ghostLeased[c.Name]
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
	slots := map[string]int32{}
	b.rackSlot = make([]int32, len(cs.rackKeys))
	for code, k := range cs.rackKeys {
		slot, ok := slots[k]
		if !ok {
			slot = int32(len(b.rackOut))
			slots[k] = slot
			b.rackOut = append(b.rackOut, b.racks[k])
		}
		b.rackSlot[code] = slot
	}
	b.rackMemo = make([]memo, len(b.rackOut))
	b.groupCodes = len(cs.group.vals)
}

// groupSlot is the slot of a host's cluster and replica group (-1 when
// it has no group): found by group code in the cluster's own table when
// the candidates have few groups, else in a map by both codes.
func (b *budgets) groupSlot(h *hostCost) int32 {
	if h.group == "" {
		return -1
	}
	if b.groupCodes > maxGroupTable {
		key := uint64(h.codes[0])<<32 | uint64(h.codes[2])
		slot, ok := b.groupSlots[key]
		if !ok {
			slot = b.newGroupSlot(h)
			b.groupSlots[key] = slot
		}
		return slot
	}
	cb := h.cb
	if cb.groupSlots == nil {
		cb.groupSlots = make([]int32, b.groupCodes)
	}
	if s := cb.groupSlots[h.codes[2]]; s > 0 {
		return s - 1
	}
	slot := b.newGroupSlot(h)
	cb.groupSlots[h.codes[2]] = slot + 1
	return slot
}

// maxGroupTable is the most group codes a per-cluster table is kept for.
const maxGroupTable = 64

func (b *budgets) newGroupSlot(h *hostCost) int32 {
	b.groupOut = append(b.groupOut, b.groups[h.cluster+"\x00"+h.group])
	b.groupMemo = append(b.groupMemo, memo{})
	return int32(len(b.groupOut) - 1)
}

// countRacks counts the hosts already out in each of the given racks
// (the candidates' racks: no other rack's count is ever read), whatever
// their cluster: racks may hold hosts of several clusters. A host that is
// unavailable and leased counts twice, as it did when it was approved:
// every approval costs one.
func (b *budgets) countRacks(keys map[string]bool) {
	r := b.v.rackR
	if b.v.pol.PerRack == 0 || !b.anyBudgeted() {
		return // no rack limit is checked: the counts are never read
	}
	for _, set := range []*roaring.Bitmap{b.v.out, b.v.leasedOut()} {
		n := int(set.GetCardinality())
		if r.a != nil && r.byGroups(n) {
			b.countRacksByGroup(r.allGroups(), set, keys)
			continue
		}
		it := set.Iterator()
		for it.HasNext() {
			if k := rackKeyOf(str(r.a, it.Next())); keys[k] {
				b.racks[k]++
			}
		}
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

// countRacksByGroup reads the count of each rack from its hosts; hosts
// with no rack ("<none>") are those no rack holds.
func (b *budgets) countRacksByGroup(groups []fleet.Group, set *roaring.Bitmap, keys map[string]bool) {
	racked := uint64(0)
	for _, g := range groups {
		k := rackKeyOf(g.Value.String())
		if !keys[k] && !keys[noRack] {
			continue
		}
		n := g.Hosts.AndCardinality(set)
		racked += n
		if keys[k] {
			b.racks[k] += int(n)
		}
	}
	if keys[noRack] {
		b.racks[noRack] += int(set.GetCardinality() - racked)
	}
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
	// cb is the cluster's budget, groupSlot the index of its cluster and
	// group in the budgets' group accounts (-1 without a group).
	cb        *clusterBudget
	groupSlot int32
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
	{RuleMinHealthy, minHealthyFull},
	{RuleCapacity, capacityFull},
	{RuleUndrained, undrainedFull},
}

func (b *budgets) check(cb *clusterBudget, h hostCost) (rule, detail string) {
	for _, c := range budgetChecks {
		if d, over := c.check(b, cb, h); over {
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
	if r.IsZero() || cb.started+cb.approved < r.N {
		return "", false
	}
	return cb.rate.get(cb.started+cb.approved, func() string {
		return fmt.Sprintf("%s rate %d per %s in %s: %d started in the window", b.verb, r.N, r.Window, cb.report.Cluster, cb.started+cb.approved)
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
	lim, slot := b.v.pol.PerRack, b.rackSlot[h.codes[1]]
	if !cb.report.Budgeted || lim == 0 || b.rackOut[slot] < lim {
		return "", false
	}
	return b.rackMemo[slot].get(b.rackOut[slot], func() string {
		return fmt.Sprintf("rack %s: %d out (per_rack %d)", h.rack, b.rackOut[slot], lim)
	}), true
}

func groupFull(b *budgets, cb *clusterBudget, h hostCost) (string, bool) {
	lim, slot := b.v.pol.PerGroup, h.groupSlot
	if !cb.report.Budgeted || lim == 0 || slot < 0 || b.groupOut[slot] < lim {
		return "", false
	}
	return b.groupMemo[slot].get(b.groupOut[slot], func() string {
		return fmt.Sprintf("replica group %s of %s: %d out (per_group %d)", h.group, h.cluster, b.groupOut[slot], lim)
	}), true
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
	b.rackOut[b.rackSlot[h.codes[1]]]++
	if h.groupSlot >= 0 {
		b.groupOut[h.groupSlot]++
	}
}

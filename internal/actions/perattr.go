package actions

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/policy"
)

// Budgets over the values of one attribute: limits.per_rack (fleet-wide
// per rack value, hosts without a rack counted under "<none>"),
// limits.per_group (per cluster and replica group, hosts without a group
// free) and every [[limits.per]] are instances of perBudget. Each keeps
// its hosts out by slot (one slot per value, or per cluster and value,
// that some candidate has), its cap by slot, and the last detail of a
// full slot; a candidate's slot is found from its codes in O(1).

// perBudget is one budget over an attribute's values within a decision.
type perBudget struct {
	rule  string // RuleRack, RuleGroup or RulePer + " " + the attribute
	label string // how the detail names a value's hosts: "rack", "dc"
	limit string // how the detail names the limit: "per_rack 2"
	lim   policy.Budget
	// scoped counts per cluster and value; none keys hosts without a
	// value under noRack (and limits them) instead of leaving them free.
	scoped, none bool
	r            *attrReader
	// which is where a candidate's value code is: h.codes[which] (1 the
	// rack, 2 the group), or codes[h.pos] when which is 0.
	which int
	codes []int32
	vals  []string // the candidates' values by code, as keys
	// counts are the hosts already out by key (the value, or cluster
	// "\x00" value when scoped), read before the candidates.
	counts map[string]int
	// slotOf is 1 + the slot of a value code (fleet scope), or of
	// cluster code × len(vals) + value code (scoped, when small), else
	// slotMap by both codes.
	slotOf  []int32
	slotMap map[uint64]int32
	// lastOf is, by value code, the last cluster code and 1 + slot the
	// map gave: most values (racks) are in one cluster, so most lookups
	// end there.
	lastOf []clusterSlot
	out    []int
	caps   []int          // by slot: the cap
	ariths []policy.Arith // by slot, for a pct budget only: its arithmetic
	memos  []memo
	codes0 []int32 // the value code of each slot (its key: key(code))
	sizes  map[string]*roaring.Bitmap
	// denied counts the hosts each slot refused in this decision;
	// lastCB is the cluster of the last one (a slot is listed under a
	// cluster's bound once per run of denials there).
	denied []int
	lastCB []*clusterBudget
}

type clusterSlot struct{ cluster, slot int32 }

// RulePer is the prefix of a [[limits.per]] denial: "budget:per dc".
const RulePer = "budget:per"

// maxSlotTable is the most entries a scoped budget's slot table has.
const maxSlotTable = 1 << 20

// newPerBudgets builds the decision's budgets over attributes, rack and
// replica group first, then the [[limits.per]] in file order.
func (b *budgets) newPerBudgets(cs *candSet) error {
	pol := b.v.pol
	if pol.PerRack > 0 {
		max := pol.PerRack
		b.rack = &perBudget{rule: RuleRack, label: "rack", limit: fmt.Sprintf("per_rack %d", max), lim: policy.Budget{Max: &max},
			none: true, r: b.v.rackR, which: 1, vals: cs.rackKeys}
	}
	if pol.PerGroup > 0 {
		max := pol.PerGroup
		b.group = &perBudget{rule: RuleGroup, label: "replica group", limit: fmt.Sprintf("per_group %d", max), lim: policy.Budget{Max: &max},
			scoped: true, r: b.v.groupR, which: 2, vals: cs.group.vals}
	}
	for _, l := range pol.Per {
		a, _, err := b.v.pass.Attr(l.Attr)
		if err != nil {
			return err
		}
		if a == nil {
			b.notes = append(b.notes, fmt.Sprintf("per %s budget not checked: pass %d has no attribute %s", l.Attr, b.v.pass.ID(), l.Attr))
			continue
		}
		pb := &perBudget{rule: RulePer + " " + l.Attr, label: l.Attr, limit: "per " + l.Attr, lim: l.Budget, scoped: l.Cluster(), r: newAttrReader(a)}
		col := pb.r.column(cs.ids, cs.set)
		pb.codes, pb.vals = col.codes, col.vals
		b.extra = append(b.extra, pb)
	}
	for _, pb := range b.perBudgets() {
		pb.counts = map[string]int{}
		b.all = append(b.all, pb)
	}
	b.slots = make([]int32, len(b.all))
	return nil
}

// perBudgets are the decision's budgets over attributes, in check order.
func (b *budgets) perBudgets() []*perBudget {
	var out []*perBudget
	for _, pb := range []*perBudget{b.rack, b.group} {
		if pb != nil {
			out = append(out, pb)
		}
	}
	return append(out, b.extra...)
}

// key is the value a code counts under ("" for hosts the budget leaves
// free).
func (pb *perBudget) key(code int32) string {
	if pb.none {
		return rackKeyOf(pb.vals[code])
	}
	return pb.vals[code]
}

// countOut counts the hosts already out under every key some candidate
// has: fleet-wide, or in each touched cluster when scoped. A host that
// is unavailable and leased counts twice, as it did when it was
// approved: every approval costs one.
func (b *budgets) countOut(pb *perBudget, keys map[string]bool) {
	if !b.anyBudgeted() || pb == b.group { // tally counts the groups
		return
	}
	if pb.scoped {
		b.countScoped(pb)
		return
	}
	for _, set := range []*roaring.Bitmap{b.v.out, b.v.leasedOut()} {
		n := int(set.GetCardinality())
		if pb.r.a != nil && pb.r.byGroups(n) {
			b.countByGroup(pb, set, keys)
			continue
		}
		it := set.Iterator()
		for it.HasNext() {
			k := str(pb.r.a, it.Next())
			if pb.none {
				k = rackKeyOf(k)
			}
			if keys[k] {
				pb.counts[k]++
			}
		}
	}
}

// countScoped counts per touched cluster and value: the attribute is read
// once over the hosts out in all of them, then each cluster's hosts are
// found among those by position.
func (b *budgets) countScoped(pb *perBudget) {
	all := make([]*roaring.Bitmap, 0, len(b.clusters))
	for _, cb := range b.clusters {
		all = append(all, cb.hosts)
	}
	touched := roaring.FastOr(all...)
	for _, set := range []*roaring.Bitmap{b.v.out, b.v.leasedOut()} {
		in := roaring.And(set, touched)
		ids := in.ToArray()
		col := pb.r.column(ids, in)
		for _, cb := range b.clusters {
			it := roaring.And(in, cb.hosts).Iterator()
			for lo := 0; it.HasNext(); {
				i, _ := slices.BinarySearch(ids[lo:], it.Next())
				i += lo
				if v := col.at(int32(i)); v != "" {
					pb.counts[cb.report.Cluster+"\x00"+v]++
				}
				lo = i + 1
			}
		}
	}
}

// countByGroup reads the count of each value from its hosts; hosts with
// no value ("<none>", counted only when the budget limits them) are
// those no value holds.
func (b *budgets) countByGroup(pb *perBudget, set *roaring.Bitmap, keys map[string]bool) {
	racked := uint64(0)
	noneWanted := pb.none && keys[noRack]
	for _, g := range pb.r.allGroups() {
		k := g.Value.String()
		if pb.none {
			k = rackKeyOf(k)
		}
		if !keys[k] && !noneWanted {
			continue
		}
		n := g.Hosts.AndCardinality(set)
		racked += n
		if keys[k] {
			pb.counts[k] += int(n)
		}
	}
	if noneWanted {
		pb.counts[noRack] += int(set.GetCardinality() - racked)
	}
}

// keySet are the keys of the candidates' values (none of the free "").
func (pb *perBudget) keySet(cs *candSet) map[string]bool {
	codes := pb.codes
	switch pb.which {
	case 1:
		codes = cs.rack.codes
	case 2:
		codes = cs.group.codes
	}
	used := make([]bool, len(pb.vals))
	for _, c := range codes {
		used[c] = true
	}
	out := map[string]bool{}
	for code, ok := range used {
		if k := pb.key(int32(code)); ok && k != "" {
			out[k] = true
		}
	}
	return out
}

// index sizes the slot tables once the counts are read.
func (pb *perBudget) index(clusterCodes int) {
	n := len(pb.vals)
	if pb.scoped {
		if uint64(clusterCodes)*uint64(n) > maxSlotTable {
			pb.slotMap, pb.lastOf = map[uint64]int32{}, make([]clusterSlot, n)
			return
		}
		n *= clusterCodes
	}
	pb.slotOf = make([]int32, n)
	if !pb.scoped { // at most one slot per code
		pb.out, pb.caps, pb.memos, pb.codes0 = make([]int, 0, n), make([]int, 0, n), make([]memo, 0, n), make([]int32, 0, n)
	}
}

// slot is the candidate's slot in the budget (-1: the budget leaves it
// free), opened on first use.
func (b *budgets) slot(pb *perBudget, h *hostCost) int32 {
	code := pb.codeOf(h)
	if code == 0 && !pb.none {
		return -1
	}
	if pb.slotMap != nil {
		if c := pb.lastOf[code]; c.slot > 0 && c.cluster == h.codes[0] {
			return c.slot - 1
		}
		k := uint64(h.codes[0])<<32 | uint64(code)
		s, ok := pb.slotMap[k]
		if !ok {
			s = b.openSlot(pb, h, code)
			pb.slotMap[k] = s
		}
		pb.lastOf[code] = clusterSlot{h.codes[0], s + 1}
		return s
	}
	i := int(code)
	if pb.scoped {
		i += int(h.codes[0]) * len(pb.vals)
	}
	if s := pb.slotOf[i]; s > 0 {
		return s - 1
	}
	s := b.openSlot(pb, h, code)
	pb.slotOf[i] = s + 1
	return s
}

func (pb *perBudget) codeOf(h *hostCost) int32 {
	if pb.which > 0 {
		return h.codes[pb.which]
	}
	return pb.codes[h.pos]
}

// openSlot opens a value's (or cluster and value's) account: its hosts
// out and its cap, max or pct of the hosts with the value in the scope.
func (b *budgets) openSlot(pb *perBudget, h *hostCost, code int32) int32 {
	k := pb.key(code)
	ck := k
	if pb.scoped {
		ck = h.cluster + "\x00" + k
	}
	if pb == b.group {
		ck = h.cluster + "\x00" + k
		pb.out = append(pb.out, b.groups[ck])
	} else {
		pb.out = append(pb.out, pb.counts[ck])
	}
	a := pb.lim.Cap(pb.size(h, k))
	pb.caps = append(pb.caps, a.Cap)
	if pb.lim.Max == nil {
		pb.ariths = append(pb.ariths, a)
	}
	pb.memos = append(pb.memos, memo{})
	pb.codes0 = append(pb.codes0, code)
	return int32(len(pb.out) - 1)
}

// size is how many hosts have the value (in the host's cluster when
// scoped): read only for a pct budget.
func (pb *perBudget) size(h *hostCost, k string) int {
	if pb.lim.Max != nil {
		return 0
	}
	if pb.sizes == nil {
		pb.sizes = map[string]*roaring.Bitmap{}
		for _, g := range pb.r.allGroups() {
			if v := g.Value.String(); pb.sizes[v] == nil {
				pb.sizes[v] = g.Hosts
			}
		}
	}
	hosts := pb.sizes[k]
	if hosts == nil {
		return 0
	}
	if pb.scoped {
		return int(hosts.AndCardinality(h.cb.hosts))
	}
	return int(hosts.GetCardinality())
}

// resolve finds the candidate's slot in every budget over attributes.
func (b *budgets) resolve(h *hostCost) {
	for i, pb := range b.all {
		b.slots[i] = b.slot(pb, h)
	}
}

// perFull reports whether the candidate's value is full in the i-th
// budget over attributes, and counts the denial against its cluster.
func (b *budgets) perFull(i int, cb *clusterBudget, h hostCost) (string, bool) {
	pb, slot := b.all[i], b.slots[i]
	if !cb.report.Budgeted || slot < 0 || pb.out[slot] < pb.caps[slot] {
		return "", false
	}
	b.bind(i, slot, cb)
	return pb.memos[slot].get(pb.out[slot], func() string { return pb.detail(slot, h) }), true
}

// detail is the denial of a full slot: "rack r1: 2 out (per_rack 2)",
// "replica group g1 of c1: 1 out (per_group 1)", "dc ams: 40 out (per
// dc max 40)", "dc ams of c1: 3 out (per dc 5% of 70 = 3 (floor 1,
// ceiling none))".
func (pb *perBudget) detail(slot int32, h hostCost) string {
	of := ""
	if pb.scoped {
		of = " of " + h.cluster
	}
	return fmt.Sprintf("%s %s%s: %d out (%s)", pb.label, pb.keyOf(slot), of, pb.out[slot], pb.limitText(slot))
}

// takePer records an approved host in every budget over attributes.
func (b *budgets) takePer() {
	for i, pb := range b.all {
		if s := b.slots[i]; s >= 0 {
			pb.out[s]++
		}
	}
}

// bind counts a denial by the i-th budget over attributes, slot slot,
// and lists the slot under the cluster on its first denial there.
func (b *budgets) bind(i int, slot int32, cb *clusterBudget) {
	pb := b.all[i]
	if int(slot) >= len(pb.denied) { // grown to every slot there may be, or doubled
		n := max(cap(pb.out), 2*len(pb.out))
		pb.denied = append(pb.denied, make([]int, n-len(pb.denied))...)
		pb.lastCB = append(pb.lastCB, make([]*clusterBudget, n-len(pb.lastCB))...)
	}
	pb.denied[slot]++
	if pb.lastCB[slot] != cb {
		pb.lastCB[slot] = cb
		cb.bound = append(cb.bound, uint64(i)<<32|uint64(slot))
	}
}

// boundBy names the budget over attributes that refused the most hosts
// among those that refused hosts of the cluster (ties: the first in
// check order, then the value by name), for the cluster's line.
func (b *budgets) boundBy(cb *clusterBudget) *Bound {
	slices.Sort(cb.bound)
	keys := slices.Compact(cb.bound)
	var best *Bound
	for _, k := range keys {
		pb, slot := b.all[int(k>>32)], int32(k&0xffffffff)
		n := pb.denied[slot]
		if best == nil || n > best.Denied || (n == best.Denied && best.Rule == pb.rule && pb.keyOf(slot) < best.Value) {
			best = &Bound{Rule: pb.rule, Attr: pb.label, Value: pb.keyOf(slot), Limit: pb.limitText(slot), Denied: n}
		}
	}
	if best != nil {
		best.More = len(keys) - 1
	}
	return best
}

// limitText is the limit as the details print it: "per_rack 2", "per dc
// max 40", "per dc 5% of 70 = 3 (floor 1, ceiling none)".
func (pb *perBudget) limitText(slot int32) string {
	switch {
	case pb.which > 0:
		return pb.limit
	case pb.lim.Max != nil:
		return pb.limit + " max " + strconv.Itoa(pb.caps[slot])
	}
	return pb.limit + " " + pb.ariths[slot].String()
}

// keyOf is the value of a slot.
func (pb *perBudget) keyOf(slot int32) string { return pb.key(pb.codes0[slot]) }

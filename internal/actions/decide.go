package actions

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// Input is everything a decision is computed from besides the request.
type Input struct {
	Ctx    context.Context
	Snap   fleet.Snapshot
	Policy *policy.Policy
	Ledger *store.Ledger
}

// shuffleSalt separates the shuffle's random stream from the one the
// expression's own stages (sample, spread) draw from the same seed.
const shuffleSalt = 0x5eed_f1ee_7a11_0c8e

// Decide computes the decision for a request: the candidate expression is
// evaluated, an empty set approves nothing, a set over max_request is
// refused before any other rule, then hosts are taken in a seeded random
// order and each is approved only if no invariant forbids it and every
// budget covering it has headroom. It never writes anything.
func Decide(in Input, req Request) (*Decision, error) {
	if !policy.IsVerb(req.Verb) {
		return nil, fmt.Errorf("%w %q (expected one of %v)", policy.ErrUnknownVerb, req.Verb, policy.Verbs)
	}
	if req.Force && req.Reason == "" {
		return nil, ErrNeedReason
	}
	if err := CheckDuration(in.Policy, req.Verb, time.Duration(req.Duration)); err != nil {
		return nil, err
	}
	env := &query.Env{Ctx: in.Ctx, Snap: in.Snap, Seed: req.Seed}
	cands, err := candidates(env, req.Expr)
	if err != nil {
		return nil, err
	}
	d := &Decision{Request: req, Pass: in.Snap.Current().ID(), PolicyHash: in.Policy.Hash,
		LedgerVersion: in.Ledger.Version, Requested: int(cands.GetCardinality())}
	switch {
	case d.Requested == 0:
		d.Notes = append(d.Notes, "empty selection: nothing to do (an empty host list never means everything)")
		return d.finish(), nil
	case d.Requested > in.Policy.MaxRequest:
		d.Refused = fmt.Sprintf("%d hosts selected, more than max_request %d: refused before any other rule; narrow the expression", d.Requested, in.Policy.MaxRequest)
		return d.finish(), nil
	}
	v, err := newView(env, in.Policy, in.Ledger, req.Verb, req.Now)
	if err != nil {
		return nil, err
	}
	d.Evidence = v.evidence
	if err := d.run(env, v, cands); err != nil {
		return nil, err
	}
	return d.finish(), nil
}

// candidates evaluates the request's expression to a host set.
func candidates(env *query.Env, expr string) (*roaring.Bitmap, error) {
	st, err := query.Parse(expr)
	if err == nil {
		err = query.Resolve(env.Snap.Current(), st)
	}
	if err != nil {
		return nil, err
	}
	if st.Bind != "" {
		return nil, fmt.Errorf("%q: a verb takes an expression, not a binding", expr)
	}
	r, err := query.Run(env, st)
	if err != nil {
		return nil, err
	}
	if r.Kind != query.HostsResult {
		return nil, fmt.Errorf("%q: %w, not a count, table or batches", expr, ErrNotHostSet)
	}
	return r.Hosts, nil
}

func (d *Decision) run(env *query.Env, v *view, cands *roaring.Bitmap) error {
	cs := newCandSet(v, cands)
	hosts, err := v.clusterHosts(cs.touched())
	if err != nil {
		return err
	}
	if v.win, err = newWinGate(env, v, d.Verb, leaseLength(v.pol, d.Verb, time.Duration(d.Duration)), cs); err != nil {
		return err
	} else if v.win != nil {
		d.Notes = append(d.Notes, v.win.note)
		cs.win = v.win.res.src
	}
	classes, err := v.pol.Classify(env.Ctx, v.pass, hosts, d.Verb)
	if err != nil {
		return err
	}
	gates := evalGates(env, cs.cluster.vals, hosts, classes)
	b, err := newBudgets(v, d.Verb, classes, hosts, cs)
	if err != nil {
		return err
	}
	d.Notes = append(d.Notes, b.notes...)
	if err := b.openConstraints(env.Ctx, v); err != nil {
		return err
	}
	if v.group == nil && v.pol.GroupAttr != "" {
		d.Notes = append(d.Notes, fmt.Sprintf("replica-group invariant not checked: pass %d has no attribute %s", d.Pass, v.pol.GroupAttr))
	}
	order := shuffled(len(cs.ids), d.Seed)
	m := newMarks(len(order), len(cs.cluster.vals))
	noCluster := fmt.Sprintf("no %s attribute: no budget covers the host", v.pol.ClusterAttr)
	for h := range cs.inOrder(order) {
		if h.cluster == "" {
			m.deny(h, RuleNoCluster, noCluster)
			continue
		}
		h.cb = b.byCode[h.codes[0]]
		b.resolve(&h)
		d.decideHost(b, gates[h.codes[0]], m, h)
	}
	b.finishConstraints()
	d.nameApproved(v, cs, m)
	d.nameDenials(v.names, cs, m)
	for _, name := range slices.Sorted(maps.Keys(b.clusters)) {
		cb := b.clusters[name]
		cb.report.Bound = b.boundBy(cb)
		d.Clusters = append(d.Clusters, *cb.report)
	}
	return nil
}

// shuffled returns the positions 0..n-1 of the sorted candidates in a
// random order drawn from seed (the order a shuffle of the candidates'
// ids themselves would take).
func shuffled(n int, seed uint64) []int32 {
	pos := make([]int32, n)
	for i := range pos {
		pos[i] = int32(i)
	}
	rng := rand.New(rand.NewPCG(seed, seed^shuffleSalt))
	rng.Shuffle(n, func(i, j int) { pos[i], pos[j] = pos[j], pos[i] })
	return pos
}

func (d *Decision) decideHost(b *budgets, gate gateVerdict, m *marks, h hostCost) {
	v, cb := b.v, h.cb
	cb.report.Requested++
	if cb.groupDetails == nil {
		cb.groupDetails = map[string]string{}
	}
	facts := &b.facts
	*facts = hostFacts{verb: d.Verb, now: v.now, stale: v.stale, lease: v.leases[h.id], incident: v.incidentFor(h.id), freeze: v.freezeFor(cb.freeze, h.id),
		force: d.Force && d.Reason != "", planes: v.planes(d.Verb, h.id), group: h.group, inMaint: cb.groupsInMaint(), maxGroup: v.pol.MaxGroups,
		hold: v.holds[h.id], groupDetails: cb.groupDetails}
	rule, detail, forced := checkInvariants(facts)
	if rule == "" {
		var wforced bool
		rule, detail, wforced = v.win.check(h.win, facts.force)
		forced = forced || wforced
	}
	if rule == "" && gate.rule != "" {
		rule, detail = gate.rule, gate.detail
	}
	if rule == "" && b.rules.Budgeted && !cb.class.HasBudget {
		if cb.noBudget == "" {
			cb.noBudget = fmt.Sprintf("archetype %s gives %s no budget (and no `any`): refused", cb.class.Archetype, d.Verb)
		}
		rule, detail = RuleNoBudget, cb.noBudget
	}
	if rule == "" {
		rule, detail = b.check(cb, h)
	}
	if rule != "" {
		m.deny(h, rule, detail)
		return
	}
	d.Forced = d.Forced || forced
	if forced && v.stale != "" {
		d.ForcedStale = v.stale
	}
	b.take(cb, h)
	m.approve(h, forced)
}

// nameApproved lists the approved hosts and their leases by name, reading
// the names in id order.
func (d *Decision) nameApproved(v *view, cs *candSet, m *marks) {
	var named []string
	var at []int32
	for pos, x := range m.at {
		if x.rule == approvedMark {
			named, at = append(named, v.names.Name(cs.ids[pos])), append(at, int32(pos))
		}
	}
	if len(named) == 0 {
		return
	}
	ttl := leaseLength(v.pol, d.Verb, time.Duration(d.Duration))
	d.Approved = make([]string, 0, len(named))
	d.leases = make([]store.Lease, 0, len(named))
	for _, i := range sortByName(named) {
		pos, forced := at[i], m.at[at[i]].detail == 1
		name := named[i]
		d.Approved = append(d.Approved, name)
		lease := ttl
		if forced {
			lease = min(ttl, v.pol.ForceLease)
		}
		d.leases = append(d.leases, store.Lease{Host: name, Verb: d.Verb, Cluster: cs.cluster.vals[cs.codes[pos][0]], Requester: d.Requester,
			Reason: d.Reason, Start: d.Now, Expiry: d.Now.Add(lease), Forced: forced, Requested: d.Duration.text()})
	}
}

// nameDenials lists the denied hosts by name, sorted, and groups them by
// rule, cluster and detail for the audit record's compact form. The
// marks are by candidate position (id order): names are read in id
// order, the dictionary's chunks one after another.
func (d *Decision) nameDenials(names fleet.Hosts, cs *candSet, m *marks) {
	type key struct {
		rule            uint8
		cluster, detail int32
	}
	index := map[key]int{}
	// last is per cluster code the key and group of its last denied host:
	// hosts of a cluster mostly share one.
	type lastGroup struct {
		k key
		g int
	}
	last := make([]lastGroup, len(cs.cluster.vals))
	n := 0
	for _, x := range m.at {
		if x.rule != 0 && x.rule != approvedMark {
			n++
		}
	}
	named, at := make([]string, 0, n), make([]int32, 0, n)
	for pos, x := range m.at {
		if x.rule == 0 || x.rule == approvedMark {
			continue
		}
		k := key{x.rule, cs.codes[pos][0], x.detail}
		g, ok := last[k.cluster].g, last[k.cluster].k == k
		if !ok {
			g, ok = index[k]
		}
		if !ok {
			g = len(d.deniedGroups)
			index[k] = g
			rule := m.ruleName(x.rule)
			d.deniedGroups = append(d.deniedGroups, store.DeniedGroup{Rule: rule, Cluster: cs.cluster.vals[k.cluster],
				Detail: m.details[x.detail], Transient: Transient(rule)})
		}
		last[k.cluster] = lastGroup{k, g}
		d.deniedGroups[g].IDs = append(d.deniedGroups[g].IDs, cs.ids[pos])
		named, at = append(named, names.Name(cs.ids[pos])), append(at, int32(pos))
	}
	d.deniedN = len(named)
	d.Denied = make([]Denial, len(named))
	for j, i := range sortByName(named) {
		x := m.at[at[i]]
		rule := m.ruleName(x.rule)
		d.Denied[j] = Denial{Host: named[i], Cluster: cs.cluster.vals[cs.codes[at[i]][0]], Rule: rule, Detail: m.details[x.detail], Transient: Transient(rule)}
	}
}

// finish sorts everything into canonical order and counts denials by rule.
func (d *Decision) finish() *Decision {
	// Host names are unique in a decision, so an order that is already
	// sorted is the one any sort gives.
	if !slices.IsSorted(d.Approved) {
		sort.Strings(d.Approved)
	}
	if !slices.IsSortedFunc(d.Denied, func(a, b Denial) int { return strings.Compare(a.Host, b.Host) }) {
		sort.Slice(d.Denied, func(i, j int) bool { return d.Denied[i].Host < d.Denied[j].Host })
	}
	if !slices.IsSortedFunc(d.leases, func(a, b store.Lease) int { return strings.Compare(a.Host, b.Host) }) {
		sort.Slice(d.leases, func(i, j int) bool { return d.leases[i].Host < d.leases[j].Host })
	}
	counts := map[string]int{}
	for _, x := range d.Denied {
		counts[x.Rule]++
	}
	d.Rules = nil
	for _, r := range slices.Sorted(maps.Keys(counts)) {
		d.Rules = append(d.Rules, RuleCount{Rule: r, Hosts: counts[r], Transient: Transient(r)})
	}
	d.Approved = nonNil(d.Approved)
	if d.Denied == nil {
		d.Denied = []Denial{}
	}
	if d.Clusters == nil {
		d.Clusters = []ClusterReport{}
	}
	if d.Rules == nil {
		d.Rules = []RuleCount{}
	}
	for i := range d.Clusters {
		if d.Clusters[i].Causes == nil {
			d.Clusters[i].Causes = []Cause{}
		}
	}
	return d
}

package actions

import (
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// view is the fleet and the ledger as one decision sees them.
type view struct {
	snap    fleet.Snapshot
	pass    fleet.Pass
	names   fleet.Hosts
	pol     *policy.Policy
	now     time.Time
	cluster fleet.Attr // nil when the pass has no cluster attribute
	rack    fleet.Attr
	group   fleet.Attr // nil when the invariant is off
	// clusterR, rackR and groupR read them over sets of hosts (columns.go).
	clusterR, rackR, groupR *attrReader
	// planeSets are read once, with the attributes above.
	planeSets map[string]planeRead
	causes    []cause
	out       *roaring.Bitmap // unavailable (any cause), before leases
	leases    map[uint32]*store.Lease
	leased    *roaring.Bitmap // the hosts of leases, stuck ones included
	// stuck are hosts whose lease expired while they were not back in
	// the health set on a pass sealed after the lease: still out.
	stuck *roaring.Bitmap
	// evidence is the pass and the sources the decision reads, with ages;
	// stale says why they are too old ("" when they are not).
	evidence []Evidence
	stale    string
	// ghostLeased counts active leases on hosts not in the pass, by the
	// cluster the lease recorded: they still count against its budget.
	ghostLeased map[string]int
	freezes     map[string]*store.Freeze // active, by scope (clusters and all)
	exprFreezes []exprFreeze             // active freezes by expression
	incident    *store.Incident
	// incidentHosts are the hosts of a scoped incident (nil: fleet-wide).
	incidentHosts *roaring.Bitmap
	lastOp        map[string]time.Time
	starts        []store.Start
	holds         map[uint32]*rolloutHold // hosts of halted rollouts' later waves
	weeks         []store.Week            // planned weeks not yet ended (windows.go)
	win           *winGate                // the window verdicts of the candidates (nil: none gate)
}

func newView(env *query.Env, pol *policy.Policy, l *store.Ledger, verb string, now time.Time) (*view, error) {
	v := &view{snap: env.Snap, pass: env.Snap.Current(), names: env.Snap.Hosts(), pol: pol, now: now,
		leases: map[uint32]*store.Lease{}, ghostLeased: map[string]int{}, freezes: map[string]*store.Freeze{},
		incident: l.Incident, lastOp: l.LastOp, starts: l.Starts, weeks: l.Weeks}
	if err := v.read(); err != nil {
		return nil, err
	}
	causes, err := unavailableCauses(env, pol.Unavailable, pol.ControlPlaneOut)
	if err != nil {
		return nil, err
	}
	v.causes, v.out = causes, roaring.New()
	for _, c := range causes {
		v.out.Or(c.hosts)
	}
	v.evidence = gatherEvidence(v.pass, pol, verb, now)
	v.stale = staleDetail(v.evidence)
	if err := v.addLeases(env, l.Leases); err != nil {
		return nil, err
	}
	v.holds = rolloutHolds(v.names, l.Halted)
	for i := range l.Freezes {
		if f := &l.Freezes[i]; f.Active(now) && f.Expr == "" {
			v.freezes[f.Scope] = f
		}
	}
	v.exprFreezes = evalExprFreezes(env, l.Freezes, now)
	v.incidentHosts = IncidentHosts(env, l.Incident)
	return v, nil
}

// addLeases indexes the leases that still hold a host: active ones, and
// expired ones whose host has not recovered (stuck). A lease on a host
// the pass no longer lists still counts against its recorded cluster
// while active.
func (v *view) addLeases(env *query.Env, ls []store.Lease) error {
	healthy, err := v.healthyIfNeeded(env, ls)
	if err != nil {
		return err
	}
	held := map[string]*store.Lease{}
	var names []string
	for i := range ls {
		held[ls[i].Host] = &ls[i]
		names = append(names, ls[i].Host)
	}
	ids, _ := v.names.Lookup(names)
	all := v.pass.All()
	v.leased, v.stuck = roaring.New(), roaring.New()
	inPass := map[string]bool{}
	it := ids.Iterator()
	for it.HasNext() {
		id := it.Next()
		name := v.names.Name(id)
		if !all.Contains(id) {
			continue
		}
		inPass[name] = true
		l := held[name]
		switch {
		case l.Active(v.now):
		case Recovered(v.pass, healthy, id, *l):
			continue
		default:
			v.stuck.Add(id)
		}
		v.leases[id] = l
		v.leased.Add(id)
	}
	for _, n := range names {
		if !inPass[n] && held[n].Active(v.now) {
			v.ghostLeased[held[n].Cluster]++
		}
	}
	return nil
}

// healthyIfNeeded evaluates the health set only when some lease has
// expired: only then does a decision need to know who recovered.
func (v *view) healthyIfNeeded(env *query.Env, ls []store.Lease) (*roaring.Bitmap, error) {
	for _, l := range ls {
		if !l.Active(v.now) {
			return evalSet(env.Ctx, env.Snap, v.pol.Health, false)
		}
	}
	return roaring.New(), nil
}

// Recovered reports whether a leased host is back: in the health set of a
// pass sealed after the lease was granted. Health judged on a snapshot
// from before the lease says nothing about what the operation did.
func Recovered(pass fleet.Pass, healthy *roaring.Bitmap, id uint32, l store.Lease) bool {
	return pass.Created().After(l.Start) && healthy.Contains(id)
}

// str returns a host's string value of an attribute ("" when absent).
func str(a fleet.Attr, id uint32) string {
	if a == nil {
		return ""
	}
	if val, ok := a.Value(id); ok {
		return val.String()
	}
	return ""
}

// leasedOut is every host in the pass held by a lease (stuck included).
func (v *view) leasedOut() *roaring.Bitmap { return v.leased }

// freezeOf returns the active freeze covering a cluster, if any.
// read reads what every decision looks at: the policy's cluster, rack
// and group attributes, the clusters, and the control planes' sets.
func (v *view) read() error {
	var err error
	if v.cluster, _, err = v.pass.Attr(v.pol.ClusterAttr); err != nil {
		return err
	}
	if v.rack, _, err = v.pass.Attr(v.pol.RackAttr); err != nil {
		return err
	}
	if v.pol.GroupAttr != "" {
		if v.group, _, err = v.pass.Attr(v.pol.GroupAttr); err != nil {
			return err
		}
	}
	v.clusterR, v.rackR, v.groupR = newAttrReader(v.cluster), newAttrReader(v.rack), newAttrReader(v.group)
	v.planeSets = map[string]planeRead{}
	for _, name := range v.pol.ControlPlanes {
		var r planeRead
		if r.set, r.ok, err = v.pass.Set(name); err != nil {
			return err
		}
		if r.state, _, err = v.pass.Attr(name + ".state"); err != nil {
			return err
		}
		v.planeSets[name] = r
	}
	return nil
}

// planeRead is a control plane's set and state attribute in the pass.
type planeRead struct {
	set   *roaring.Bitmap
	ok    bool
	state fleet.Attr // nil when the plane reports no state
}

func (v *view) freezeOf(cluster string) *store.Freeze {
	if f, ok := v.freezes[cluster]; ok {
		return f
	}
	return v.freezes["all"]
}

// planes reports what the control planes the policy names say of a host,
// for a verb the unserved invariant judges (no other rule reads them).
func (v *view) planes(verb string, id uint32) []planeFact {
	if !unservingVerbs[verb] {
		return nil
	}
	out := make([]planeFact, 0, len(v.pol.ControlPlanes))
	for _, name := range v.pol.ControlPlanes {
		f := planeFact{name: name}
		if r := v.planeSets[name]; r.ok {
			f.observed, f.seen = true, r.set.Contains(id)
			f.state = str(r.state, id)
		}
		out = append(out, f)
	}
	return out
}

// clusterHosts groups the pass's hosts of the given clusters. A few
// clusters of a dictionary-coded attribute are read by code, one walk
// each, not by building every cluster's hosts: at 5M hosts and ~14k
// clusters that was 0.45 s of a 100-host dry run.
func (v *view) clusterHosts(names map[string]bool) ([]policy.Cluster, error) {
	if c, ok := v.cluster.(fleet.Coded); ok && len(names) <= fewClusters {
		return codedClusters(c, names), nil
	}
	all, err := policy.Clusters(v.pass, v.pol.ClusterAttr)
	if err != nil {
		return nil, err
	}
	var out []policy.Cluster
	for _, c := range all {
		if names[c.Name] {
			out = append(out, c)
		}
	}
	return out, nil
}

// fewClusters is how many touched clusters clusterHosts reads by code.
const fewClusters = 8

// codedClusters finds each named cluster's code by binary search of the
// sorted dictionary and its hosts with one HostsWith.
func codedClusters(c fleet.Coded, names map[string]bool) []policy.Cluster {
	n := c.DictLen()
	var out []policy.Cluster
	for _, name := range slices.Sorted(maps.Keys(names)) {
		k := sort.Search(n, func(i int) bool { return c.DictValue(uint32(i)) >= name })
		if k == n || c.DictValue(uint32(k)) != name {
			continue
		}
		keep := make([]bool, n)
		keep[k] = true
		out = append(out, policy.Cluster{Name: name, Hosts: c.HostsWith(keep)})
	}
	return out
}

package actions

import (
	"sort"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// view is the fleet and the ledger as one decision sees them.
type view struct {
	pass    query.Pass
	names   query.Hosts
	pol     *policy.Policy
	now     time.Time
	cluster query.Attr // nil when the pass has no cluster attribute
	rack    query.Attr
	group   query.Attr // nil when the invariant is off
	causes  []cause
	out     *roaring.Bitmap // unavailable (any cause), before leases
	leases  map[uint32]*store.Lease
	leased  *roaring.Bitmap // the hosts of leases
	// ghostLeased counts active leases on hosts not in the pass, by the
	// cluster the lease recorded: they still count against its budget.
	ghostLeased map[string]int
	freezes     map[string]*store.Freeze // active, by scope
	incident    *store.Incident
	lastOp      map[string]time.Time
	starts      []store.Start
	holds       map[uint32]*rolloutHold // hosts of halted rollouts' later waves
}

func newView(env *query.Env, pol *policy.Policy, l *store.Ledger, now time.Time) (*view, error) {
	v := &view{pass: env.Snap.Current(), names: env.Snap.Hosts(), pol: pol, now: now,
		leases: map[uint32]*store.Lease{}, ghostLeased: map[string]int{}, freezes: map[string]*store.Freeze{},
		incident: l.Incident, lastOp: l.LastOp, starts: l.Starts}
	v.cluster, _ = v.pass.Attr(pol.ClusterAttr)
	v.rack, _ = v.pass.Attr(pol.RackAttr)
	if pol.GroupAttr != "" {
		v.group, _ = v.pass.Attr(pol.GroupAttr)
	}
	causes, err := unavailableCauses(env, pol.Unavailable, pol.ControlPlaneOut)
	if err != nil {
		return nil, err
	}
	v.causes, v.out = causes, roaring.New()
	for _, c := range causes {
		v.out.Or(c.hosts)
	}
	v.addLeases(l.Leases)
	v.holds = rolloutHolds(v.names, l.Halted)
	for i := range l.Freezes {
		if f := &l.Freezes[i]; f.Active(now) {
			v.freezes[f.Scope] = f
		}
	}
	return v, nil
}

func (v *view) addLeases(ls []store.Lease) {
	active := map[string]*store.Lease{}
	var names []string
	for i := range ls {
		if ls[i].Active(v.now) {
			active[ls[i].Host] = &ls[i]
			names = append(names, ls[i].Host)
		}
	}
	ids, _ := v.names.Lookup(names)
	all := v.pass.All()
	v.leased = roaring.New()
	found := map[string]bool{}
	it := ids.Iterator()
	for it.HasNext() {
		id := it.Next()
		name := v.names.Name(id)
		if all.Contains(id) {
			v.leases[id] = active[name]
			v.leased.Add(id)
			found[name] = true
		}
	}
	for _, n := range names {
		if !found[n] {
			v.ghostLeased[active[n].Cluster]++
		}
	}
}

// str returns a host's string value of an attribute ("" when absent).
func str(a query.Attr, id uint32) string {
	if a == nil {
		return ""
	}
	if val, ok := a.Value(id); ok {
		return val.String()
	}
	return ""
}

// leasedOut is every host in the pass with an active lease.
func (v *view) leasedOut() *roaring.Bitmap { return v.leased }

// freezeOf returns the active freeze covering a cluster, if any.
func (v *view) freezeOf(cluster string) *store.Freeze {
	if f, ok := v.freezes[cluster]; ok {
		return f
	}
	return v.freezes["all"]
}

// planes reports what the control planes the policy names say of a host.
func (v *view) planes(id uint32) []planeFact {
	out := make([]planeFact, 0, len(v.pol.ControlPlanes))
	for _, name := range v.pol.ControlPlanes {
		f := planeFact{name: name}
		if set, ok := v.pass.Set(name); ok {
			f.observed, f.seen = true, set.Contains(id)
			if a, ok := v.pass.Attr(name + ".state"); ok {
				f.state = str(a, id)
			}
		}
		out = append(out, f)
	}
	return out
}

// clusterHosts groups the pass's hosts of the given clusters.
func (v *view) clusterHosts(names map[string]bool) []policy.Cluster {
	var out []policy.Cluster
	for _, c := range policy.Clusters(v.pass, v.pol.ClusterAttr) {
		if names[c.Name] {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

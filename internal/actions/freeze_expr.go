package actions

import (
	"context"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// Freezes by expression (`fleetq freeze 'role = "kafka"'`): the freeze
// keeps the expression, and every decision evaluates it on its own pass,
// so a host that joins the role later is frozen too. An expression that
// no longer evaluates on the pass (a name gone) freezes every host, fail
// closed, until it is unfrozen or evaluates again.

// exprFreeze is an active freeze by expression and the hosts it holds in
// the decision's pass.
type exprFreeze struct {
	f     *store.Freeze
	hosts *roaring.Bitmap
}

func evalExprFreezes(env *query.Env, fs []store.Freeze, now time.Time) []exprFreeze {
	var out []exprFreeze
	for i := range fs {
		f := &fs[i]
		if f.Expr == "" || !f.Active(now) {
			continue
		}
		out = append(out, exprFreeze{f: f, hosts: FreezeHosts(env, f)})
	}
	return out
}

// FreezeHosts is the hosts a freeze by expression holds in env's pass:
// every host when the expression does not evaluate (fail closed).
func FreezeHosts(env *query.Env, f *store.Freeze) *roaring.Bitmap {
	bm, err := evalSet(env.Ctx, env.Snap, f.Expr, false)
	if err != nil {
		return env.Snap.Current().All()
	}
	return bm
}

// IncidentHosts is the hosts a scoped incident holds in env's pass (nil
// for a fleet-wide one): every host when its expression does not
// evaluate (fail closed).
func IncidentHosts(env *query.Env, inc *store.Incident) *roaring.Bitmap {
	if inc == nil || inc.Expr == "" {
		return nil
	}
	return FreezeHosts(env, &store.Freeze{Expr: inc.Expr})
}

// incidentFor is the incident that holds a host: a fleet-wide one, or a
// scoped one whose hosts contain it.
func (v *view) incidentFor(id uint32) *store.Incident {
	if v.incident == nil || v.incidentHosts == nil || v.incidentHosts.Contains(id) {
		return v.incident
	}
	return nil
}

// freezeFor is the freeze that holds a host: its cluster's (or all),
// else the first freeze by expression that contains it.
func (v *view) freezeFor(cluster *store.Freeze, id uint32) *store.Freeze {
	if cluster != nil {
		return cluster
	}
	for _, x := range v.exprFreezes {
		if x.hosts.Contains(id) {
			return x.f
		}
	}
	return nil
}

// FreezeView is an active freeze with the number of hosts it holds in a
// pass (fleetq freezes).
type FreezeView struct {
	Scope     string    `json:"scope"`
	Expr      string    `json:"expr,omitempty"`
	Hosts     int       `json:"hosts"`
	Reason    string    `json:"reason"`
	Requester string    `json:"requester"`
	Start     time.Time `json:"start"`
	Until     time.Time `json:"until,omitzero"`
}

// ViewFreezes counts the hosts each active freeze holds in snap's pass:
// every host for all, the cluster's hosts for a cluster, the
// expression's for a freeze by expression.
func ViewFreezes(ctx context.Context, snap fleet.Snapshot, pol *policy.Policy, fs []store.Freeze, now time.Time) ([]FreezeView, error) {
	pass := snap.Current()
	clusters, err := policy.Clusters(pass, pol.ClusterAttr)
	if err != nil {
		return nil, err
	}
	size := map[string]int{}
	for _, c := range clusters {
		size[c.Name] = c.Size()
	}
	env := &query.Env{Ctx: ctx, Snap: snap, Seed: 1}
	out := []FreezeView{}
	for i := range fs {
		f := &fs[i]
		if !f.Active(now) {
			continue
		}
		v := FreezeView{Scope: f.Scope, Expr: f.Expr, Reason: f.Reason, Requester: f.Requester, Start: f.Start, Until: f.Until}
		switch {
		case f.Expr != "":
			v.Hosts = int(FreezeHosts(env, f).GetCardinality())
		case f.Scope == "all":
			v.Hosts = int(pass.All().GetCardinality())
		default:
			v.Hosts = size[f.Scope]
		}
		out = append(out, v)
	}
	return out, nil
}

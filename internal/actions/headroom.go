package actions

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// ClusterHeadroom is one cluster's budget for one verb as a decision
// made now would open it, before any host is judged: the same
// arithmetic (budgets.go, openCluster) a verb prints on its cluster line.
type ClusterHeadroom struct {
	Verb      string `json:"verb"`
	Cluster   string `json:"cluster"`
	Archetype string `json:"archetype"`
	Exception bool   `json:"exception,omitempty"`
	// Budgeted is false when no budget applies: the verb is unbudgeted
	// in the policy, or the archetype gives it none (then it is refused
	// there, policy:no-budget, unless the verb is unbudgeted).
	Budgeted    bool         `json:"budgeted"`
	Size        int          `json:"size"`
	Arith       policy.Arith `json:"arith"`
	Causes      []Cause      `json:"causes"`
	Unavailable int          `json:"unavailable"`
	Leased      int          `json:"leased"`
	Stuck       int          `json:"stuck"`
	Cap         int          `json:"cap"`
	Headroom    int          `json:"headroom"`
	Frozen      string       `json:"frozen,omitempty"`
}

// HeadroomReport is every cluster's headroom for some verbs, on the
// newest pass.
type HeadroomReport struct {
	Pass     int64             `json:"pass"`
	Clusters []ClusterHeadroom `json:"clusters"`
}

// Headroom computes, for each of verbs (in the order given) and every
// cluster of the newest pass (in name order; only those of clusters when
// it is not empty), what a decision at now would count as out and how
// much budget is left: the view and the cluster accounts of Decide,
// opened without a request. It reads tx and writes nothing.
func Headroom(ctx context.Context, tx *store.Tx, pol *policy.Policy, verbs, clusters []string, now time.Time) (*HeadroomReport, error) {
	for _, v := range verbs {
		if !policy.IsVerb(v) {
			return nil, fmt.Errorf("%w %q (expected one of %v)", policy.ErrUnknownVerb, v, policy.Verbs)
		}
	}
	l, err := tx.Ledger(now.Add(-maxWindow(pol)))
	if err != nil {
		return nil, err
	}
	snap, err := tx.Snapshot(0)
	if err != nil {
		return nil, err
	}
	env := &query.Env{Ctx: ctx, Snap: snap, Seed: 1}
	out := &HeadroomReport{Pass: snap.Current().ID(), Clusters: []ClusterHeadroom{}}
	if len(verbs) == 0 {
		return out, nil
	}
	// The view's evidence is the only part that depends on the verb, and
	// headroom does not report it: one view serves every verb.
	v, err := newView(env, pol, l, verbs[0], now)
	if err != nil {
		return nil, err
	}
	all, err := policy.Clusters(v.pass, pol.ClusterAttr)
	if err != nil {
		return nil, err
	}
	if len(clusters) > 0 {
		all = slices.DeleteFunc(all, func(c policy.Cluster) bool { return !slices.Contains(clusters, c.Name) })
	}
	counted := map[string]outCounts{} // every verb's budgets count the same hosts out
	out.Clusters = make([]ClusterHeadroom, 0, len(verbs)*len(all))
	matched, err := pol.Match(ctx, v.pass, all) // the archetypes do not depend on the verb
	if err != nil {
		return nil, err
	}
	for _, verb := range verbs {
		classes, err := matched.Classes(verb)
		if err != nil {
			return nil, err
		}
		b := &budgets{v: v, verb: verb, rules: pol.Rules(verb), counted: counted}
		for _, c := range all {
			r := b.openCluster(c, classes[c.Name]).report
			out.Clusters = append(out.Clusters, headroomOf(verb, c.Size(), r))
		}
	}
	return out, nil
}

func headroomOf(verb string, size int, r *ClusterReport) ClusterHeadroom {
	causes := r.Causes
	if causes == nil {
		causes = []Cause{}
	}
	return ClusterHeadroom{Verb: verb, Cluster: r.Cluster, Archetype: r.Archetype, Exception: r.Exception, Budgeted: r.Budgeted,
		Size: size, Arith: r.Arith, Causes: causes, Unavailable: r.Unavailable, Leased: r.Leased, Stuck: r.Stuck,
		Cap: r.Arith.Cap, Headroom: r.Headroom, Frozen: r.Frozen}
}

package actions

import (
	"context"
	"fmt"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/agefmt"
	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// LeaseView is a lease as `fleetq leases` shows it.
type LeaseView struct {
	store.Lease
	// State is active; stuck (expired, the host not back in the health
	// set on a pass sealed since the lease: it still counts as out);
	// expired (and recovered: it no longer counts); or ghost.
	State string `json:"state"`
	Ghost string `json:"ghost,omitempty"`
}

// ViewLeases classifies leases at now: a lease whose host the newest pass
// no longer lists, or lists as decommissioned, is a ghost (releasing it is
// safe: the host is gone); else active, stuck or expired.
func ViewLeases(ctx context.Context, snap fleet.Snapshot, pol *policy.Policy, leases []store.Lease, now time.Time) ([]LeaseView, error) {
	decom, err := evalSet(ctx, snap, pol.Decommissioned, true)
	if err != nil {
		return nil, err
	}
	healthy, err := evalSet(ctx, snap, pol.Health, false)
	if err != nil {
		return nil, err
	}
	pass := snap.Current()
	out := make([]LeaseView, len(leases))
	for i, l := range leases {
		v := LeaseView{Lease: l}
		ids, missing := snap.Hosts().Lookup([]string{l.Host})
		switch {
		case len(missing) > 0 || !pass.All().Contains(ids.Minimum()):
			v.State, v.Ghost = "ghost", fmt.Sprintf("not in pass %d: the inventory no longer lists it", pass.ID())
		case decom.Contains(ids.Minimum()):
			v.State, v.Ghost = "ghost", fmt.Sprintf("decommissioned in pass %d (%s)", pass.ID(), pol.Decommissioned)
		case l.Active(now):
			v.State = "active"
		case Recovered(pass, healthy, ids.Minimum(), l):
			v.State = "expired"
		default:
			v.State = "stuck"
		}
		out[i] = v
	}
	return out, nil
}

// evalSet evaluates a policy expression to a host set. With lenient, an
// expression naming an attribute the pass lacks is the empty set (a
// fleet without lifecycle has no decommissioned hosts).
func evalSet(ctx context.Context, snap fleet.Snapshot, expr string, lenient bool) (*roaring.Bitmap, error) {
	if expr == "" {
		return roaring.New(), nil
	}
	st, err := query.Parse(expr)
	if err == nil {
		var r *query.Result
		if r, err = query.Run(&query.Env{Ctx: ctx, Snap: snap, Seed: 1}, st); err == nil && r.Kind == query.HostsResult {
			return r.Hosts, nil
		}
	}
	if lenient {
		return roaring.New(), nil
	}
	return nil, fmt.Errorf("policy expression %q: %w", expr, err)
}

// ReleaseRequest says which leases to end and how.
type ReleaseRequest struct {
	Hosts     []string
	Ghosts    bool // also every ghost lease
	Force     bool // release unhealthy hosts too (needs Reason)
	Reason    string
	Requester string
	Now       time.Time
	// MayActForOthers lets the requester end leases others hold (an
	// operator under fleetq serve, and the command line).
	MayActForOthers bool
}

// ReleaseResult is what happened to one host's lease.
type ReleaseResult struct {
	Host     string `json:"host"`
	Verb     string `json:"verb,omitempty"`
	Released bool   `json:"released"`
	Forced   bool   `json:"forced,omitempty"`
	Rule     string `json:"rule,omitempty"` // why it was kept: release:health, release:no-health-set, release:no-lease
	Detail   string `json:"detail"`
	// Transient is set when retrying later can succeed without an
	// operator: no pass has been read since the lease was granted.
	Transient bool  `json:"transient,omitempty"`
	Pass      int64 `json:"pass"` // the pass health was judged on
}

// Rules a release keeps a lease by.
const (
	RuleReleaseHealth   = "release:health"
	RuleReleaseNoHealth = "release:no-health-set"
	RuleReleaseNoLease  = "release:no-lease"
	// RuleReleaseNoEvidence: no pass sealed since the lease (transient).
	RuleReleaseNoEvidence = "release:no-evidence"
)

// result is how the audit log names what happened to the host.
func (r ReleaseResult) result() string {
	switch {
	case r.Forced:
		return "forced"
	case r.Released:
		return "released"
	case r.Rule == RuleReleaseNoLease:
		return "no-lease"
	}
	return "kept"
}

// Release ends leases in a write transaction, by default only for hosts
// back in the policy's health set: a lock released before the host is
// healthy again lets the next operation take a second host down. Ghost
// leases (the host is gone) release safely; --force releases anything
// and is recorded. The audit log gets one entry.
func Release(ctx context.Context, tx *store.Tx, pol *policy.Policy, req ReleaseRequest) ([]ReleaseResult, error) {
	if req.Force && req.Reason == "" {
		return nil, ErrNeedReason
	}
	if err := tx.RecordExpiries(req.Now, req.Requester); err != nil {
		return nil, err
	}
	l, err := tx.Ledger(req.Now)
	if err != nil {
		return nil, err
	}
	snap, err := tx.Snapshot(0)
	if err != nil {
		return nil, err
	}
	if err := ownLeases(l.Leases, req.Hosts, req.Requester, "stop", req.MayActForOthers); err != nil {
		return nil, err
	}
	views, err := ViewLeases(ctx, snap, pol, l.Leases, req.Now)
	if err != nil {
		return nil, err
	}
	healthy, err := evalSet(ctx, snap, pol.Health, false)
	if err != nil {
		return nil, err
	}
	results := releaseDecisions(snap, pol, views, healthy, req)
	for i := range results {
		results[i].Pass = snap.Current().ID()
	}
	return results, recordRelease(tx, snap.Current().ID(), pol, req, results)
}

func releaseDecisions(snap fleet.Snapshot, pol *policy.Policy, views []LeaseView, healthy *roaring.Bitmap, req ReleaseRequest) []ReleaseResult {
	byHost := map[string]LeaseView{}
	for _, v := range views {
		byHost[v.Host] = v
	}
	hosts := append([]string(nil), req.Hosts...)
	if req.Ghosts {
		for _, v := range views {
			if v.State == "ghost" {
				hosts = append(hosts, v.Host)
			}
		}
	}
	var out []ReleaseResult
	seen := map[string]bool{}
	for _, h := range hosts {
		if seen[h] {
			continue
		}
		seen[h] = true
		v, ok := byHost[h]
		if !ok {
			out = append(out, ReleaseResult{Host: h, Rule: RuleReleaseNoLease, Detail: "holds no lease"})
			continue
		}
		out = append(out, releaseOne(snap, pol, v, healthy, req))
	}
	return out
}

// releaseOne decides one lease's release. Health counts only on a pass
// sealed after the lease was granted: a snapshot from before the
// operation says nothing about what it did to the host.
func releaseOne(snap fleet.Snapshot, pol *policy.Policy, v LeaseView, healthy *roaring.Bitmap, req ReleaseRequest) ReleaseResult {
	r := ReleaseResult{Host: v.Host, Verb: v.Verb, Released: true}
	pass := snap.Current()
	ids, _ := snap.Hosts().Lookup([]string{v.Host})
	switch {
	case v.State == "ghost":
		r.Detail = "ghost (" + v.Ghost + "): safe to release"
	case pol.Health != "" && !ids.IsEmpty() && Recovered(pass, healthy, ids.Minimum(), v.Lease):
		r.Detail = fmt.Sprintf("back in the health set (%s) on pass %d, sealed %s after the lease", pol.Health, pass.ID(), agefmt.Age(pass.Created().Sub(v.Start)))
	case req.Force:
		r.Forced, r.Detail = true, "FORCED while not shown healthy: "+req.Reason
	case pol.Health == "":
		r.Released, r.Rule, r.Detail = false, RuleReleaseNoHealth, "the policy names no health set: release with --force --reason"
	case !pass.Created().After(v.Start):
		r.Released, r.Rule, r.Transient = false, RuleReleaseNoEvidence, true
		r.Detail = fmt.Sprintf("not yet: no evidence since the lease was granted at %s (newest pass %d was sealed %s); ingest, then retry", stamp(v.Start), pass.ID(), stamp(pass.Created()))
	default:
		r.Released, r.Rule, r.Detail = false, RuleReleaseHealth, fmt.Sprintf("not back in the health set (%s) on pass %d; retry once it is, or --force --reason", pol.Health, pass.ID())
	}
	if !r.Released && v.State == "stuck" {
		r.Detail += fmt.Sprintf(" (the lease expired at %s: stuck, still counted as out)", stamp(v.Expiry))
	}
	return r
}

// recordRelease ends the released leases and appends one release entry
// saying, per host, whether it was released, forced or kept and why.
func recordRelease(tx *store.Tx, pass int64, pol *policy.Policy, req ReleaseRequest, results []ReleaseResult) error {
	var released []string
	var kept []store.Denied
	hosts := make([]store.AuditHost, len(results))
	forced := false
	for i, r := range results {
		hosts[i] = store.AuditHost{Host: r.Host, Verb: r.Verb, Result: r.result(), Detail: r.Detail}
		forced = forced || r.Forced
		if r.Released {
			released = append(released, r.Host)
		} else {
			kept = append(kept, store.Denied{Host: r.Host, Rule: r.Rule, Detail: r.Detail})
		}
	}
	if _, err := tx.ReleaseLeases(released, req.Now); err != nil {
		return err
	}
	_, err := tx.AppendAudit(&store.AuditEntry{Time: req.Now, Requester: req.Requester, Kind: store.KindRelease, Reason: req.Reason,
		Pass: pass, PolicyHash: pol.Hash, LedgerVersion: tx.LedgerVersion(), Committed: len(released) > 0, Forced: forced,
		Approved: nonNil(released), Denied: kept, Hosts: hosts})
	return err
}

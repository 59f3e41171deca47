package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

// Outcome is a decision as run against the store: its audit entry id and,
// for a dry run, its plan token.
type Outcome struct {
	*Decision
	Audit     int64  `json:"audit"`
	Committed bool   `json:"committed"`
	Token     string `json:"token,omitempty"`
	// AppliedFrom is the audit id of the plan an apply committed.
	AppliedFrom int64 `json:"applied_from,omitempty"`
	// Started are the hosts an apply --hosts granted leases to: a subset
	// of the plan's approved hosts (absent when the whole plan started).
	Started []string `json:"started,omitempty"`
	// WhatIf marks a decision made at a clock reading other than now: it
	// was not recorded and has no token.
	WhatIf bool `json:"what_if,omitempty"`
}

// inputs are the ledger facts a decision read, recorded for replay.
type inputs struct {
	Ledger *store.Ledger `json:"ledger"`
}

// Run decides req inside a write transaction and records it in the audit
// log. With commit, the leases are granted in the same transaction, so
// the budgets were checked against every lease any other committer made
// before this one: bbolt runs one write transaction at a time, and this
// one read the ledger it writes. Without commit only the audit log
// changes, and the outcome carries a plan token.
func Run(ctx context.Context, tx *store.Tx, pol *policy.Policy, req Request, commit bool) (*Outcome, error) {
	if err := tx.RecordExpiries(req.Now, req.Requester); err != nil {
		return nil, err
	}
	d, l, err := decideIn(ctx, tx, pol, req, 0)
	if err != nil {
		return nil, err
	}
	return record(tx, pol, d, l, commit, nil, nil)
}

// WhatIf decides req as Run would, but writes nothing: tx may be
// read-only. Its decision has no audit entry and no token.
func WhatIf(ctx context.Context, tx *store.Tx, pol *policy.Policy, req Request) (*Decision, error) {
	d, _, err := decideIn(ctx, tx, pol, req, 0)
	return d, err
}

func decideIn(ctx context.Context, tx *store.Tx, pol *policy.Policy, req Request, pass int64) (*Decision, *store.Ledger, error) {
	l, err := tx.Ledger(req.Now.Add(-maxWindow(pol)))
	if err != nil {
		return nil, nil, err
	}
	snap, err := tx.Snapshot(pass)
	if err != nil {
		return nil, nil, err
	}
	d, err := Decide(Input{Ctx: ctx, Snap: snap, Policy: pol, Ledger: l}, req)
	return d, trimLedger(l, pol, req.Now), err
}

// record appends the audit entry and, when committing, grants the leases.
// A dry run's token names its own entry, so it is computed from the id
// the entry is about to get: the entry is complete when appended.
// An apply names the plan it commits (from) and its token.
//
// started, on an apply of a subset of the plan, are the hosts to grant:
// the entry's approved hosts, with the plan's whole approved set as its
// planned hosts (the decision record stays the whole decision, so audit
// replay recomputes it as it was).
func record(tx *store.Tx, pol *policy.Policy, d *Decision, l *store.Ledger, commit bool, from *store.AuditEntry, started []string) (*Outcome, error) {
	if err := tx.PutPolicyText(pol.Hash, pol.Text); err != nil {
		return nil, err
	}
	e := d.AuditEntry(commit)
	if from != nil {
		e.Kind, e.Plan, e.Token = store.KindApply, from.ID, from.Token
	}
	if started != nil {
		e.Planned, e.Approved = e.Approved, started
	}
	if !commit {
		e.ID = tx.NextAuditID()
		e.Token = tokenOf(d, e.ID).String()
	}
	var err error
	if e.Decision, err = d.record(); err != nil {
		return nil, err
	}
	if e.Inputs, err = json.Marshal(inputs{Ledger: l}); err != nil {
		return nil, err
	}
	id, err := tx.AppendAudit(e)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Decision: d, Audit: id, Committed: commit}
	if !commit {
		out.Token = e.Token
		return out, nil
	}
	if from != nil {
		out.AppliedFrom = from.ID
	}
	if started != nil {
		out.Started = started
		d.leases = slices.DeleteFunc(d.leases, func(x store.Lease) bool { return !slices.Contains(started, x.Host) })
	}
	for i := range d.leases {
		d.leases[i].Audit = id
	}
	if len(d.leases) == 0 {
		return out, nil
	}
	return out, tx.PutLeases(d.leases)
}

// maxWindow is how far back lease starts matter (the longest rate window).
func maxWindow(pol *policy.Policy) time.Duration {
	var w time.Duration
	for _, v := range policy.Verbs {
		w = max(w, pol.Rules(v).Rate.Window)
	}
	return w
}

// trimLedger keeps what a decision at now can depend on: every lease (an
// expired one may be stuck), active freezes, and last operations still
// inside a cooldown.
func trimLedger(l *store.Ledger, pol *policy.Policy, now time.Time) *store.Ledger {
	out := *l
	out.Leases = slices.Clone(l.Leases) // expired ones too: a stuck host still counts
	out.Freezes = slices.DeleteFunc(slices.Clone(l.Freezes), func(x store.Freeze) bool { return !x.Active(now) })
	var cool time.Duration
	for _, v := range policy.Verbs {
		cool = max(cool, pol.Rules(v).Cooldown)
	}
	// Only a week running at now gates a decision (windows.go).
	out.Weeks = slices.DeleteFunc(slices.Clone(l.Weeks), func(w store.Week) bool { return !w.Running(now) })
	out.LastOp = map[string]time.Time{}
	for h, t := range l.LastOp {
		if now.Before(t.Add(cool)) {
			out.LastOp[h] = t
		}
	}
	return &out
}

// ApplyRequest is an apply: the plan's token, who applies it, and
// optionally the subset of the plan's approved hosts to start.
type ApplyRequest struct {
	Token     string
	Requester string
	// Hosts, when set, are the hosts of the plan to start now: each must
	// be one the plan approved. The plan is re-checked whole, and counts
	// as applied afterwards: its other hosts need a new request.
	Hosts []string
	Now   time.Time
	// MayActForOthers lets the requester apply a plan another made (an
	// operator under fleetq serve, and the command line).
	MayActForOthers bool
}

// Apply commits the plan a token names, exactly (or the subset of it
// req.Hosts names): it refuses when the plan was applied or cancelled
// already, when it is another's plan and req may not act for others,
// when the newest pass, the ledger version or the policy differ from the
// plan's, when deciding again no longer approves the same hosts, or when
// a host of req.Hosts is not in the plan. A refusal is appended to the
// audit log of tx and returned as a *RefusedApply: the caller commits tx
// to keep it.
func Apply(ctx context.Context, tx *store.Tx, pol *policy.Policy, req ApplyRequest) (*Outcome, error) {
	if err := tx.RecordExpiries(req.Now, req.Requester); err != nil {
		return nil, err
	}
	ref := &store.AuditEntry{Time: req.Now, Requester: req.Requester, Kind: store.KindApply, Token: req.Token,
		PolicyHash: pol.Hash, Pass: tx.LatestID(), LedgerVersion: tx.LedgerVersion(), Approved: []string{}}
	plan, err := planOf(tx, req.Token)
	if err == nil {
		ref.Plan, ref.Verb, ref.Expr, ref.Reason, ref.Seed = plan.ID, plan.Verb, plan.Expr, plan.Reason, plan.Seed
		err = mayApply(tx, pol, plan, ref, req)
	}
	if err != nil {
		return nil, refuse(tx, ref, err)
	}
	dreq := Request{Verb: plan.Verb, Expr: plan.Expr, Reason: plan.Reason, Requester: req.Requester, Force: plan.Forced, Seed: plan.Seed, Now: req.Now}
	var pd Decision
	if json.Unmarshal(plan.Decision, &pd) == nil {
		dreq.Force, dreq.Duration = pd.Force, pd.Duration
	}
	d, l, err := decideIn(ctx, tx, pol, dreq, plan.Pass)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(d.Approved, plan.Approved) {
		return nil, refuse(tx, ref, fmt.Errorf("%w: deciding again approves %d hosts, the plan approved %d (a lease expired or a cooldown ended since); plan again", ErrStalePlan, len(d.Approved), len(plan.Approved)))
	}
	if req.Hosts == nil {
		return record(tx, pol, d, l, true, plan, nil)
	}
	return record(tx, pol, d, l, true, plan, startedOf(plan.Approved, req.Hosts))
}

// mayApply refuses a plan req may not apply: another's (without
// MayActForOthers), one applied or cancelled already, a stale one, or a
// subset naming a host the plan did not approve.
func mayApply(tx *store.Tx, pol *policy.Policy, plan, ref *store.AuditEntry, req ApplyRequest) error {
	if !req.MayActForOthers && plan.Requester != req.Requester {
		return &ForbiddenError{Principal: req.Requester, Action: "apply", Object: "plan " + plan.Token, Owner: plan.Requester}
	}
	if err := applicable(tx, pol, plan, ref); err != nil {
		return err
	}
	for _, h := range req.Hosts {
		if !slices.Contains(plan.Approved, h) {
			return fmt.Errorf("%w: %s is not one of the %d hosts the plan approved; start only hosts of the plan", ErrNotInPlan, h, len(plan.Approved))
		}
	}
	if req.Hosts != nil && len(req.Hosts) == 0 {
		return fmt.Errorf("%w: no hosts named to start", ErrNotInPlan)
	}
	return nil
}

// startedOf is the hosts of approved that hosts names, in approved's
// order, each once.
func startedOf(approved, hosts []string) []string {
	return slices.DeleteFunc(slices.Clone(approved), func(h string) bool { return !slices.Contains(hosts, h) })
}

// planOf finds the dry run that recorded token.
func planOf(tx *store.Tx, token string) (*store.AuditEntry, error) {
	t, err := ParseToken(token)
	if err != nil {
		return nil, err
	}
	plan, err := tx.Audit(t.Audit)
	if err != nil || plan.Token != t.String() {
		return nil, fmt.Errorf("%w %s: no dry run recorded this token", ErrBadToken, token)
	}
	return plan, nil
}

// refuse records a refused apply and returns the refusal.
func refuse(tx *store.Tx, e *store.AuditEntry, err error) error {
	e.Refused = err.Error()
	id, aerr := tx.AppendAudit(e)
	if aerr != nil {
		return aerr
	}
	return &RefusedApply{Audit: id, Err: err}
}

// applicable refuses a plan that was applied or cancelled already, or
// is stale.
func applicable(tx *store.Tx, pol *policy.Policy, plan, ref *store.AuditEntry) error {
	by, err := planEnd(tx, plan.ID)
	if err != nil {
		return err
	}
	switch {
	case by != nil && by.Kind == store.KindCancel:
		return fmt.Errorf("%w (audit %d) by %s at %s: %s; plan again", ErrCancelled, by.ID, by.Requester, by.Time.UTC().Format(time.RFC3339), by.Reason)
	case by != nil:
		ref.AppliedBy = by.ID
		return fmt.Errorf("%w (audit %d) by %s at %s: nothing to do", ErrAlreadyApplied, by.ID, by.Requester, by.Time.UTC().Format(time.RFC3339))
	}
	return stale(tx, pol, plan)
}

// planEnd is the entry that ended plan, if any: the apply that committed
// it, or the cancel that withdrew it (a plan ends once).
func planEnd(tx *store.Tx, plan int64) (*store.AuditEntry, error) {
	later, err := tx.AuditSince(plan)
	if err != nil {
		return nil, err
	}
	for i := range later {
		e := &later[i]
		if e.Plan != plan || e.Refused != "" {
			continue
		}
		if (e.Kind == store.KindApply && e.Committed) || e.Kind == store.KindCancel {
			return e, nil
		}
	}
	return nil, nil
}

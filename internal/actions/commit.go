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
	d, l, err := decideIn(ctx, tx, pol, req, 0)
	if err != nil {
		return nil, err
	}
	return record(tx, pol, d, l, commit, 0)
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
func record(tx *store.Tx, pol *policy.Policy, d *Decision, l *store.Ledger, commit bool, from int64) (*Outcome, error) {
	if err := tx.PutPolicyText(pol.Hash, pol.Text); err != nil {
		return nil, err
	}
	e := d.AuditEntry(commit)
	if from != 0 {
		e.Kind = "apply"
	}
	var err error
	if e.Decision, err = json.Marshal(d); err != nil {
		return nil, err
	}
	if e.Inputs, err = json.Marshal(inputs{Ledger: l}); err != nil {
		return nil, err
	}
	id, err := tx.AppendAudit(e)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Decision: d, Audit: id, Committed: commit, AppliedFrom: from}
	if !commit {
		out.Token = tokenOf(d, id).String()
		e.Token = out.Token
		return out, tx.UpdateAudit(e)
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
	out.LastOp = map[string]time.Time{}
	for h, t := range l.LastOp {
		if now.Before(t.Add(cool)) {
			out.LastOp[h] = t
		}
	}
	return &out
}

// Apply commits the plan a token names, exactly: it refuses when the
// newest pass, the ledger version or the policy differ from the plan's,
// or when deciding again no longer approves the same hosts.
func Apply(ctx context.Context, tx *store.Tx, pol *policy.Policy, token, requester string, now time.Time) (*Outcome, error) {
	t, err := ParseToken(token)
	if err != nil {
		return nil, err
	}
	plan, err := tx.Audit(t.Audit)
	if err != nil || plan.Token != t.String() {
		return nil, fmt.Errorf("%w %s: no dry run recorded this token", ErrBadToken, token)
	}
	if err := stale(tx, pol, plan); err != nil {
		return nil, err
	}
	req := Request{Verb: plan.Verb, Expr: plan.Expr, Reason: plan.Reason, Requester: requester, Force: plan.Forced, Seed: plan.Seed, Now: now}
	var pd Decision
	if json.Unmarshal(plan.Decision, &pd) == nil {
		req.Force = pd.Force
	}
	d, l, err := decideIn(ctx, tx, pol, req, plan.Pass)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(d.Approved, plan.Approved) {
		return nil, fmt.Errorf("%w: deciding again approves %d hosts, the plan approved %d (a lease expired or a cooldown ended since); plan again", ErrStalePlan, len(d.Approved), len(plan.Approved))
	}
	return record(tx, pol, d, l, true, plan.ID)
}

func stale(tx *store.Tx, pol *policy.Policy, plan *store.AuditEntry) error {
	switch {
	case plan.Committed:
		return fmt.Errorf("%w: audit %d was already committed", ErrStalePlan, plan.ID)
	case tx.LatestID() != plan.Pass:
		return fmt.Errorf("%w: planned on pass %d, the newest pass is now %d; plan again", ErrStalePlan, plan.Pass, tx.LatestID())
	case tx.LedgerVersion() != plan.LedgerVersion:
		return fmt.Errorf("%w: the ledger changed since the plan (version %d, now %d: leases, releases, freezes); plan again", ErrStalePlan, plan.LedgerVersion, tx.LedgerVersion())
	case pol.Hash != plan.PolicyHash:
		return fmt.Errorf("%w: the policy changed since the plan (%.12s, now %.12s); plan again", ErrStalePlan, plan.PolicyHash, pol.Hash)
	}
	return nil
}

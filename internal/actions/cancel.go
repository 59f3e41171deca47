package actions

import (
	"fmt"
	"time"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

// CancelRequest withdraws a plan (Token) or ends leases whose hosts were
// never taken down (Hosts): one or the other.
type CancelRequest struct {
	Token     string
	Hosts     []string
	Reason    string
	Requester string
	Now       time.Time
	// MayActForOthers lets the requester cancel others' plans and leases
	// (an operator under fleetq serve, and the command line).
	MayActForOthers bool
}

// CancelResult is what a cancel did: the plan it withdrew, or per host
// whether its lease ended.
type CancelResult struct {
	Audit int64        `json:"audit"`
	Plan  int64        `json:"plan,omitempty"`
	Token string       `json:"token,omitempty"`
	Hosts []CancelHost `json:"hosts"`
}

// CancelHost is one host of a cancel of leases.
type CancelHost struct {
	Host      string `json:"host"`
	Verb      string `json:"verb,omitempty"`
	Holder    string `json:"holder,omitempty"`
	Cancelled bool   `json:"cancelled"`
	Detail    string `json:"detail"`
}

// NotCancelled counts the hosts that held no lease.
func (r *CancelResult) NotCancelled() int {
	n := 0
	for _, h := range r.Hosts {
		if !h.Cancelled {
			n++
		}
	}
	return n
}

// Cancel withdraws an approved plan, so that apply refuses it from now
// on, or ends the leases of hosts whose maintenance never started:
// without the health gate of a release (the host was never taken down;
// the requester says so, and the audit log records it as a cancel, not
// a release). Ownership is checked in tx, the transaction that writes.
func Cancel(tx *store.Tx, pol *policy.Policy, req CancelRequest) (*CancelResult, error) {
	if req.Reason == "" {
		return nil, fmt.Errorf("cancel needs --reason: it is recorded")
	}
	if (req.Token == "") == (len(req.Hosts) == 0) {
		return nil, fmt.Errorf("cancel: give a plan token or --hosts, not both")
	}
	if err := tx.RecordExpiries(req.Now, req.Requester); err != nil {
		return nil, err
	}
	if req.Token != "" {
		return cancelPlan(tx, pol, req)
	}
	return cancelLeases(tx, pol, req)
}

func cancelPlan(tx *store.Tx, pol *policy.Policy, req CancelRequest) (*CancelResult, error) {
	plan, err := planOf(tx, req.Token)
	if err != nil {
		return nil, err
	}
	if !req.MayActForOthers && plan.Requester != req.Requester {
		return nil, &ForbiddenError{Principal: req.Requester, Action: "cancel", Object: "plan " + plan.Token, Owner: plan.Requester}
	}
	by, err := planEnd(tx, plan.ID)
	if err != nil {
		return nil, err
	}
	switch {
	case by != nil && by.Kind == store.KindCancel:
		return nil, fmt.Errorf("plan %s: %w already (audit %d) by %s", plan.Token, ErrCancelled, by.ID, by.Requester)
	case by != nil:
		return nil, fmt.Errorf("plan %s: %w (audit %d) by %s: its leases are held; end them with cancel --hosts or release", plan.Token, ErrAlreadyApplied, by.ID, by.Requester)
	}
	id, err := tx.AppendAudit(&store.AuditEntry{Time: req.Now, Requester: req.Requester, Kind: store.KindCancel, Verb: plan.Verb, Expr: plan.Expr,
		Reason: req.Reason, Pass: tx.LatestID(), PolicyHash: pol.Hash, LedgerVersion: tx.LedgerVersion(), Plan: plan.ID, Token: plan.Token,
		Approved: []string{}})
	return &CancelResult{Audit: id, Plan: plan.ID, Token: plan.Token, Hosts: []CancelHost{}}, err
}

func cancelLeases(tx *store.Tx, pol *policy.Policy, req CancelRequest) (*CancelResult, error) {
	l, err := tx.Ledger(req.Now)
	if err != nil {
		return nil, err
	}
	if err := ownLeases(l.Leases, req.Hosts, req.Requester, "cancel", req.MayActForOthers); err != nil {
		return nil, err
	}
	res := &CancelResult{}
	var ended []string
	var hosts []store.AuditHost
	leaseOf := make(map[string]int, len(l.Leases)) // host → its lease's index
	for i, x := range l.Leases {
		if _, ok := leaseOf[x.Host]; !ok {
			leaseOf[x.Host] = i
		}
	}
	for _, h := range uniq(req.Hosts) {
		i, held := leaseOf[h]
		c := CancelHost{Host: h, Detail: "holds no lease"}
		if held {
			x := l.Leases[i]
			c = CancelHost{Host: h, Verb: x.Verb, Holder: x.Requester, Cancelled: true,
				Detail: fmt.Sprintf("lease of audit %d ended: never taken down (%s)", x.Audit, req.Reason)}
			ended = append(ended, h)
		}
		res.Hosts = append(res.Hosts, c)
		hosts = append(hosts, store.AuditHost{Host: h, Verb: c.Verb, Result: cancelResult(c), Detail: c.Detail})
	}
	if _, err := tx.CancelLeases(ended, req.Now); err != nil {
		return nil, err
	}
	res.Audit, err = tx.AppendAudit(&store.AuditEntry{Time: req.Now, Requester: req.Requester, Kind: store.KindCancel, Reason: req.Reason,
		Pass: tx.LatestID(), PolicyHash: pol.Hash, LedgerVersion: tx.LedgerVersion(), Committed: len(ended) > 0,
		Approved: nonNil(ended), Hosts: hosts})
	return res, err
}

func cancelResult(c CancelHost) string {
	if c.Cancelled {
		return "cancelled"
	}
	return "no-lease"
}

// ownLeases refuses, as a whole, acting on a lease of hosts another
// holds, unless mayOthers.
func ownLeases(leases []store.Lease, hosts []string, requester, action string, mayOthers bool) error {
	if mayOthers {
		return nil
	}
	named := make(map[string]bool, len(hosts))
	for _, h := range hosts {
		named[h] = true
	}
	for _, x := range leases {
		if x.Requester != requester && named[x.Host] {
			return &ForbiddenError{Principal: requester, Action: action, Object: "the lease of " + x.Host, Owner: x.Requester}
		}
	}
	return nil
}

func uniq(s []string) []string {
	var out []string
	seen := make(map[string]bool, len(s))
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

package actions

import (
	"errors"
	"fmt"
)

var (
	// ErrRefused is returned (wrapped) when a request is refused as a
	// whole: more hosts than max_request, before any other rule runs.
	ErrRefused = errors.New("refused")
	// ErrNotHostSet is returned when a verb's expression ends in count,
	// by, show or split instead of a host set.
	ErrNotHostSet = errors.New("an action needs a host set")
	// ErrStalePlan is returned by Apply when the pass, the ledger or the
	// policy changed since the plan was made, or the plan no longer holds.
	ErrStalePlan = errors.New("plan is stale")
	// ErrBadToken is returned for a plan token that does not parse or
	// does not match its audit record.
	ErrBadToken = errors.New("bad plan token")
	// ErrNeedReason is returned when --force is given without --reason.
	ErrNeedReason = errors.New("--force needs --reason")
	// ErrOverMaxDuration is returned when --duration is longer than the
	// verb's max_duration: the request is refused, nothing is written.
	ErrOverMaxDuration = errors.New("requested duration over the maximum")
)

// ErrCancelled is returned (wrapped in a RefusedApply) when the plan was
// withdrawn by fleetq cancel TOKEN.
var ErrCancelled = errors.New("cancelled")

// ErrNotInPlan is returned (wrapped in a RefusedApply) when apply --hosts
// names a host the plan did not approve.
var ErrNotInPlan = errors.New("not in the plan")

// ForbiddenError is a principal acting on another's plan or lease
// without the right to (under fleetq serve, a requester: only operators
// and admins act for others). Nothing is changed.
type ForbiddenError struct {
	Principal string // who asked
	Action    string // apply, stop, cancel
	Object    string // "plan a17.p6…", "the lease of dn0003.smf1"
	Owner     string // whose it is
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("%s may not %s %s: it is %s's (only an operator acts on others' plans and leases)", e.Principal, e.Action, e.Object, e.Owner)
}

// ErrAlreadyApplied is returned (wrapped in a RefusedApply) when a plan
// token was applied before: a plan commits once.
var ErrAlreadyApplied = errors.New("already applied")

// RefusedApply is a refused apply: Err says why (ErrStalePlan,
// ErrAlreadyApplied, ErrBadToken), and the refusal is already appended to
// the audit log as entry Audit, in the transaction Apply ran in.
type RefusedApply struct {
	Audit int64
	Err   error
}

func (r *RefusedApply) Error() string {
	return fmt.Sprintf("%v (refusal recorded as audit %d)", r.Err, r.Audit)
}

func (r *RefusedApply) Unwrap() error { return r.Err }

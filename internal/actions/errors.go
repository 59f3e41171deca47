package actions

import "errors"

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
)

package store

import "errors"

// ErrNoAudit is returned when an audit entry id matches no entry.
var ErrNoAudit = errors.New("no such audit entry")

// ErrNoRollout is returned when a rollout reference or name matches no
// recorded rollout.
var ErrNoRollout = errors.New("no such rollout")

// ErrNoWeek is returned when a week reference or name matches no
// recorded maintenance week.
var ErrNoWeek = errors.New("no such week")

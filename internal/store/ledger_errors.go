package store

import "errors"

// ErrNoAudit is returned when an audit entry id matches no entry.
var ErrNoAudit = errors.New("no such audit entry")

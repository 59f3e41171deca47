package main

import "github.com/fleetq/fleetq/internal/store"

// What docs/json.md promises of every JSON result and the stored records
// do not always hold by themselves: an empty list is [], never null, and
// one thing has one id. The helpers below fix that at the edge, on the
// way out, so the stored bytes (hash-chained audit entries, rollouts) and
// the packages that write them stay as they are.

// auditEntryJSON is an audit entry as JSON shows it: approved and denied are
// lists even on entries that decide nothing (a freeze, an incident).
func auditEntryJSON(e *store.AuditEntry) *store.AuditEntry {
	if e.Approved != nil && e.Denied != nil {
		return e
	}
	c := *e
	if c.Approved == nil {
		c.Approved = []string{}
	}
	if c.Denied == nil {
		c.Denied = []store.Denied{}
	}
	return &c
}

// auditsJSON is auditEntryJSON of every entry, [] for none.
func auditsJSON(l []store.AuditEntry) []*store.AuditEntry {
	out := make([]*store.AuditEntry, len(l))
	for i := range l {
		out[i] = auditEntryJSON(&l[i])
	}
	return out
}

// rolloutJSON is a rollout as JSON shows it: its id as plan rollout and
// rollout status print it ("r3"), not the stored number.
func rolloutJSON(r *store.Rollout) any {
	return struct {
		ID string `json:"id"`
		*store.Rollout
	}{r.Ref(), r}
}

package main

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/auth"
	"github.com/fleetq/fleetq/internal/server"
	"github.com/fleetq/fleetq/internal/store"
)

// fleetLockGroup is GET /v1/fleetlock/groups/{group}: who holds the
// group's slots (the leases of fleetlock:<id> principals granted with the
// group's reason) and why the others wait (each client whose latest
// pre-reboot in the window was refused, with the rule and detail of that
// refusal, from the audit log).
type fleetLockGroup struct {
	Group   string            `json:"group"`
	Since   string            `json:"since"` // how far back waiters are read
	Holders []fleetLockHolder `json:"holders"`
	Waiters []fleetLockWaiter `json:"waiters"`
}

type fleetLockHolder struct {
	ID     string    `json:"id"`
	Host   string    `json:"host"`
	Since  time.Time `json:"since"`
	Expiry time.Time `json:"expiry"`
	State  string    `json:"state"` // active, stuck, ghost
	Audit  int64     `json:"audit"` // the decision that granted it
}

type fleetLockWaiter struct {
	ID           string    `json:"id"`
	Host         string    `json:"host"`
	Rule         string    `json:"rule"`
	Kind         string    `json:"kind"` // the FleetLock error kind the client was answered
	Detail       string    `json:"detail"`
	WaitingSince time.Time `json:"waiting_since"` // the first refusal since its last grant (within the window)
	LastAttempt  time.Time `json:"last_attempt"`
	Attempts     int       `json:"attempts"`
	Audit        int64     `json:"audit"` // the latest refused decision
}

// Group reads the group's holders through fleetq leases and its waiters
// from the audit log of the last since.
func (b *fleetLockBridge) Group(ctx context.Context, run server.Runner, group string, since time.Duration) (any, *server.Error) {
	ls, ferr := b.leases(ctx, run, auth.Principal{Name: "fleetlock", Role: auth.Viewer, Automation: true})
	if ferr != nil {
		return nil, &server.Error{Kind: server.KindFailed, Message: ferr.Value}
	}
	out := fleetLockGroup{Group: group, Since: since.String(), Holders: []fleetLockHolder{}, Waiters: []fleetLockWaiter{}}
	holding := map[string]bool{}
	for _, l := range ls {
		id, ok := strings.CutPrefix(l.Requester, server.FleetLockPrincipalPrefix)
		if !ok {
			continue
		}
		holding[id] = true
		if l.Reason == fleetLockReason(group) {
			out.Holders = append(out.Holders, fleetLockHolder{ID: id, Host: l.Host, Since: secs(l.Start), Expiry: secs(l.Expiry),
				State: l.State, Audit: l.Audit})
		}
	}
	var entries []store.AuditEntry
	a := &app{db: b.db, timeout: b.lockWait, ctx: ctx}
	err := a.view(func(tx *store.Tx) error {
		var err error
		entries, err = tx.AuditLog(time.Now().UTC().Add(-since))
		return err
	})
	if err != nil {
		return nil, &server.Error{Kind: server.KindFailed, Message: firstLine(err.Error())}
	}
	out.Waiters = waiters(entries, group, holding)
	return out, nil
}

// waiters are the clients of group whose latest pre-reboot among entries
// (oldest first) was refused and that hold no lease now, longest waiting
// first.
func waiters(entries []store.AuditEntry, group string, holding map[string]bool) []fleetLockWaiter {
	byID := map[string]*fleetLockWaiter{}
	for _, e := range entries {
		id, ok := strings.CutPrefix(e.Requester, server.FleetLockPrincipalPrefix)
		if !ok || e.KindOf() != store.KindCommit || e.Verb != "reboot" || e.Reason != fleetLockReason(group) {
			continue
		}
		if len(e.Approved) > 0 {
			delete(byID, id)
			continue
		}
		w := byID[id]
		if w == nil {
			w = &fleetLockWaiter{ID: id, WaitingSince: secs(e.Time)}
			byID[id] = w
		}
		w.LastAttempt, w.Audit = secs(e.Time), e.ID
		w.Attempts++
		w.Rule, w.Detail, w.Host = "refused", e.Refused, ""
		if len(e.Denied) > 0 {
			w.Rule, w.Detail, w.Host = e.Denied[0].Rule, e.Denied[0].Detail, e.Denied[0].Host
		}
		w.Kind = server.DenialKind(w.Rule)
	}
	out := []fleetLockWaiter{}
	for id, w := range byID {
		if !holding[id] {
			out = append(out, *w)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].WaitingSince.Equal(out[j].WaitingSince) {
			return out[i].WaitingSince.Before(out[j].WaitingSince)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// secs is t in UTC at second precision, as every time of the JSON results
// (docs/json.md).
func secs(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

// ledgerOptions are the flags every ledger command shares.
type ledgerOptions struct {
	policy string
	as     string
}

func (o *ledgerOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.policy, "policy", "", "policy file or directory (default $FLEETQ_POLICY, else fleetq.policy.toml or fleetq.policy.d/ beside the database)")
	fs.StringVar(&o.as, "as", "", "requester recorded in leases and the audit log (default: the OS user)")
}

// Validate accepts any policy path and requester: a missing policy is
// found when it is loaded.
func (o *ledgerOptions) Validate() error { return nil }

// requester is who the decision is recorded under: under fleetq serve
// the authenticated principal (the API has no --as), else --as, else
// the OS user.
func (o *ledgerOptions) requester(a *app) string {
	if a.principal != "" {
		return a.principal
	}
	if o.as != "" {
		return o.as
	}
	return currentUser()
}

// mayActForOthers says whether the requester may apply plans others
// made and stop or cancel leases others hold: on the command line (no
// principal: the file's owner decides who runs it) always; under fleetq
// serve only an operator or admin.
func (a *app) mayActForOthers() bool { return a.principal == "" || a.actsForOthers }

// clock is the machine's clock: the one place a ledger command reads it.
// No flag moves it: a decision that writes the ledger is made now.
func (o *ledgerOptions) clock() time.Time { return time.Now().UTC() }

// whatIfClock parses the reading of a what-if flag (--what-if, check's
// --at): a clock for commands that write nothing (RFC 3339, or a duration
// from now such as 25h).
func whatIfClock(flag, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := policy.ParseDuration(strings.TrimPrefix(s, "+"))
	if err != nil {
		return time.Time{}, &usageError{fmt.Sprintf("%s %q: expected an RFC 3339 time (2026-11-20T10:00:00Z) or a duration from now (25h, 2d)", flag, s)}
	}
	return time.Now().UTC().Add(d), nil
}

// loadPolicy finds and parses the policy: --policy, $FLEETQ_POLICY, or
// fleetq.policy.toml beside the database.
// policyAndClock is what every deciding command starts with: the policy
// and the clock reading to decide at.
func (o *ledgerOptions) policyAndClock(a *app) (*policy.Policy, time.Time, error) {
	pol, err := o.loadPolicy(a)
	if err != nil {
		return nil, time.Time{}, err
	}
	return pol, o.clock(), err
}

func (o *ledgerOptions) loadPolicy(a *app) (*policy.Policy, error) {
	path, err := policy.Find(o.policy, os.Getenv("FLEETQ_POLICY"), a.dbPath())
	if err != nil {
		return nil, err
	}
	return policy.Load(path)
}

// update runs fn in one write transaction of a briefly opened database.
// An interrupt (Ctrl-C) before fn returns rolls the transaction back.
func (a *app) update(fn func(*store.Tx) error) error {
	db, err := a.openWrite(false)
	if err != nil {
		return err
	}
	defer db.Close()
	a.noteCreated(db)
	return db.Update(func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return a.context().Err()
	})
}

// ledgerAudit records a freeze or incident change, after the lease
// expiries this write transaction is the first to see.
func ledgerAudit(tx *store.Tx, kind, scope, reason, who string, now time.Time) error {
	if err := tx.RecordExpiries(now, who); err != nil {
		return err
	}
	_, err := tx.AppendAudit(&store.AuditEntry{Time: now, Requester: who, Kind: kind, Expr: scope, Reason: reason,
		LedgerVersion: tx.LedgerVersion(), Committed: true, Approved: []string{}})
	return err
}

// policyOrDefault loads the policy, or the defaults when there is none:
// listing leases must work without one.
func (o *ledgerOptions) policyOrDefault(a *app) (*policy.Policy, error) {
	p, err := o.loadPolicy(a)
	if errors.Is(err, policy.ErrNoPolicy) {
		return policy.Parse([]byte("[[archetype]]\nname = \"none\"\n"))
	}
	return p, err
}

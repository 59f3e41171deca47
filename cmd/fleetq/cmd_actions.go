package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

// actionCommands are the action verbs and the ledger commands (issue 5):
// one cmd_actions_*.go file per group.
func actionCommands(a *app) []*cobra.Command {
	var cmds []*cobra.Command
	for _, v := range policy.Verbs {
		cmds = append(cmds, newVerbCommand(a, v))
	}
	return append(cmds,
		newApplyCommand(a),
		newLeasesCommand(a),
		newReleaseCommand(a),
		newFreezeCommand(a),
		newUnfreezeCommand(a),
		newIncidentCommand(a),
		newAuditCommand(a),
		newPlanCommand(a),
		newCheckCommand(a),
		newRolloutCommand(a), // cmd_rollout.go
	)
}

// ledgerOptions are the flags every ledger command shares.
type ledgerOptions struct {
	policy string
	as     string
	now    string
}

func (o *ledgerOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.policy, "policy", "", "policy file (default $FLEETQ_POLICY, else fleetq.policy.toml beside the database)")
	cmd.Flags().StringVar(&o.as, "as", "", "requester recorded in leases and the audit log (default: the OS user)")
	cmd.Flags().StringVar(&o.now, "now", "", "the clock reading to decide at, RFC 3339 (for tests and replays)")
	_ = cmd.Flags().MarkHidden("now")
}

// requester is --as, else the OS user.
func (o *ledgerOptions) requester() string {
	if o.as != "" {
		return o.as
	}
	return currentUser()
}

// clock is --now, else the wall clock: the one place it is read.
func (o *ledgerOptions) clock() (time.Time, error) {
	if o.now == "" {
		return time.Now().UTC().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, o.now)
	if err != nil {
		return time.Time{}, &usageError{fmt.Sprintf("--now %q: expected RFC 3339 (2026-11-20T10:00:00Z)", o.now)}
	}
	return t.UTC(), nil
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
	now, err := o.clock()
	return pol, now, err
}

func (o *ledgerOptions) loadPolicy(a *app) (*policy.Policy, error) {
	path, err := policy.Find(o.policy, os.Getenv("FLEETQ_POLICY"), a.dbPath())
	if err != nil {
		return nil, err
	}
	return policy.Load(path)
}

// update runs fn in one write transaction of a briefly opened database.
func (a *app) update(owner string, fn func(*store.Tx) error) error {
	db, err := a.openWrite(false, owner)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Update(fn)
}

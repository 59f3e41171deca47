package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

type freezeOptions struct {
	ledgerOptions
	reason string
	until  string
}

func (o *freezeOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.StringVar(&o.reason, "reason", "", "why (required; recorded)")
	fs.StringVar(&o.until, "until", "", "when the freeze ends by itself: RFC 3339 time or a duration from now")
}

// Validate checks --until's syntax; runFreeze reads it against the clock
// it records the freeze at.
func (o *freezeOptions) Validate() error {
	if strings.TrimSpace(o.reason) == "" {
		return &usageError{"--reason is required"}
	}
	if _, err := parseUntil(o.until, o.clock()); err != nil {
		return err
	}
	return o.ledgerOptions.Validate()
}

func newFreezeCommand(a *app) *cobra.Command {
	o := &freezeOptions{}
	cmd := &cobra.Command{
		Use:   "freeze EXPR|CLUSTER|all --reason TEXT [--until TIME|DURATION]",
		Short: "Start a change freeze: no automatic action on a cluster, all, or the hosts of an expression",
		Long: `Freeze a cluster, or the whole fleet with 'all': while the freeze holds,
every action verb denies its hosts (a permanent block, rule
invariant:freeze) unless run with --force --reason, which still stays
within the budgets, is recorded, and gets shorter leases. --until ends the
freeze by itself (an RFC 3339 time, or a duration from now such as 8h or
3d); without it the freeze lasts until 'fleetq unfreeze'. A cluster name
must exist in the newest pass. Any other argument is a set expression of
the query language (no pipeline stages), checked against the newest pass
and kept as its canonical text: every later decision evaluates it on its
own pass, so a host that joins the set later is frozen too (an expression
that no longer evaluates freezes every host, fail closed). 'fleetq
freezes' lists active freezes with the hosts each holds now; 'fleetq
leases' lists them too. Recorded in the audit log (kind freeze).

Examples:
  fleetq freeze smf1-dense-02 --reason "HDFS upgrade" --until 8h
  fleetq freeze all --reason "holiday moratorium" --until 2026-12-27T00:00:00Z
  fleetq freeze 'role = "kafka"' --until 3d --reason "change freeze"

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFreeze(cmd.Context(), a, o, args[0])
		},
	}
	a.bind(cmd, o)
	return prints(cmd, (*ledgerChange)(nil))
}

func parseUntil(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := policy.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, &usageError{fmt.Sprintf("--until %q: expected an RFC 3339 time or a positive duration (8h, 3d)", s)}
	}
	return now.Add(d), nil
}

func runFreeze(ctx context.Context, a *app, o *freezeOptions, scope string) error {
	pol, err := o.policyOrDefault(a)
	if err != nil {
		return err
	}
	now := o.clock()
	until, err := parseUntil(o.until, now)
	if err != nil {
		return err
	}
	f := store.Freeze{Scope: scope, Reason: o.reason, Requester: o.requester(a), Start: now, Until: until}
	err = a.update(func(tx *store.Tx) error {
		if err := resolveScope(ctx, tx, pol, &f); err != nil {
			return err
		}
		scope = f.Scope
		if err := tx.PutFreeze(f); err != nil {
			return err
		}
		return ledgerAudit(tx, store.KindFreeze, scope, f.Reason, f.Requester, now)
	})
	if err != nil {
		return err
	}
	return a.print(&ledgerChange{Change: "frozen", Scope: scope, Until: until, Reason: o.reason})
}

// resolveScope reads a freeze's argument: all, a cluster of the newest
// pass (as before), else a set expression that checks against the newest
// pass, kept as its canonical text (Scope and Expr). Anything else fails
// closed, saying both readings.
func resolveScope(ctx context.Context, tx *store.Tx, pol *policy.Policy, f *store.Freeze) error {
	if f.Scope == "all" {
		return nil
	}
	snap, err := tx.Snapshot(0)
	if err != nil {
		return err
	}
	clusters, err := policy.Clusters(snap.Current(), pol.ClusterAttr)
	if err != nil {
		return err
	}
	for _, c := range clusters {
		if c.Name == f.Scope {
			return nil
		}
	}
	canon, err := freezeExpr(ctx, snap, f.Scope)
	if err != nil {
		return fmt.Errorf("no cluster %q in pass %d (attribute %s), and not a set expression (%v); give a cluster name, all, or an expression such as 'role = \"kafka\"'",
			f.Scope, snap.Current().ID(), pol.ClusterAttr, err)
	}
	f.Scope, f.Expr = canon, canon
	return nil
}

// freezeExpr checks text as a freeze's expression against the newest
// pass: a set expression without a binding or pipeline stages (a random
// stage would freeze different hosts on every pass). It returns the
// canonical text.
func freezeExpr(ctx context.Context, snap fleet.Snapshot, text string) (string, error) {
	st, err := query.Parse(text)
	if err == nil {
		err = query.Resolve(snap.Current(), st)
	}
	switch {
	case err != nil:
		return "", err
	case st.Bind != "":
		return "", fmt.Errorf("a binding (%s = …) is not a set", st.Bind)
	case len(st.Pipeline.Stages) > 0:
		return "", fmt.Errorf("a freeze takes a set expression, without pipeline stages")
	}
	if _, err := query.Run(&query.Env{Ctx: ctx, Snap: snap, Seed: 1}, st); err != nil {
		return "", err
	}
	return st.String(), nil
}

package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

type freezeOptions struct {
	ledgerOptions
	reason string
	until  string
}

func newFreezeCommand(a *app) *cobra.Command {
	o := &freezeOptions{}
	cmd := &cobra.Command{
		Use:   "freeze CLUSTER|all --reason TEXT [--until TIME|DURATION]",
		Short: "Start a change freeze: no automatic action on a cluster (or all)",
		Long: `Freeze a cluster, or the whole fleet with 'all': while the freeze holds,
every action verb denies its hosts (a permanent block, rule
invariant:freeze) unless run with --force --reason, which still stays
within the budgets, is recorded, and gets shorter leases. --until ends the
freeze by itself (an RFC 3339 time, or a duration from now such as 8h or
3d); without it the freeze lasts until 'fleetq unfreeze'. A cluster name
must exist in the newest pass. 'fleetq leases' lists active freezes.
Recorded in the audit log (kind freeze).

Examples:
  fleetq freeze smf1-dense-02 --reason "HDFS upgrade" --until 8h
  fleetq freeze all --reason "holiday moratorium" --until 2026-12-27T00:00:00Z

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(o.reason) == "" {
				return &usageError{"--reason is required"}
			}
			return runFreeze(cmd.Context(), a, o, args[0])
		},
	}
	o.AddFlags(cmd)
	cmd.Flags().StringVar(&o.reason, "reason", "", "why (required; recorded)")
	cmd.Flags().StringVar(&o.until, "until", "", "when the freeze ends by itself: RFC 3339 time or a duration from now")
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
	f := store.Freeze{Scope: scope, Reason: o.reason, Requester: o.requester(), Start: now, Until: until}
	err = a.update(func(tx *store.Tx) error {
		if err := checkScope(tx, pol, scope); err != nil {
			return err
		}
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

// ledgerChange is the result of freeze, unfreeze and incident start and
// stop: what changed in the ledger.
type ledgerChange struct {
	Change string    `json:"change"` // frozen, unfrozen, incident-start, incident-stop
	Scope  string    `json:"scope,omitempty"`
	Until  time.Time `json:"until,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

func (c *ledgerChange) jsonValue() any { return c }

func (c *ledgerChange) writeText(w *textWriter) {
	switch c.Change {
	case "frozen":
		fmt.Fprintf(w, "frozen: %s %s (%s)\n", c.Scope, untilText(c.Until), c.Reason)
	case "unfrozen":
		fmt.Fprintf(w, "unfrozen: %s\n", c.Scope)
	case "incident-start":
		fmt.Fprintln(w, "incident mode on: no automatic action until 'fleetq incident stop'")
	case "incident-stop":
		fmt.Fprintln(w, "incident mode off")
	}
}

// checkScope fails closed on a cluster name the newest pass does not know.
func checkScope(tx *store.Tx, pol *policy.Policy, scope string) error {
	if scope == "all" {
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
		if c.Name == scope {
			return nil
		}
	}
	return fmt.Errorf("no cluster %q in pass %d (attribute %s); give a cluster name or all", scope, snap.Current().ID(), pol.ClusterAttr)
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

func newUnfreezeCommand(a *app) *cobra.Command {
	o := &freezeOptions{}
	cmd := &cobra.Command{
		Use:   "unfreeze CLUSTER|all",
		Short: "End a change freeze",
		Long: `End the freeze of a cluster, or the fleet-wide freeze 'all' (a cluster's own
freeze and 'all' are separate). Recorded in the audit log (kind unfreeze).

Examples:
  fleetq unfreeze smf1-dense-02
  fleetq unfreeze all --reason "moratorium over"

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUnfreeze(a, o, args[0])
		},
	}
	o.AddFlags(cmd)
	cmd.Flags().StringVar(&o.reason, "reason", "", "why (recorded)")
	return prints(cmd, (*ledgerChange)(nil))
}

func runUnfreeze(a *app, o *freezeOptions, scope string) error {
	now := o.clock()
	var had bool
	var err error
	err = a.update(func(tx *store.Tx) error {
		if had, err = tx.DeleteFreeze(scope); err != nil || !had {
			return err
		}
		return ledgerAudit(tx, store.KindUnfreeze, scope, o.reason, o.requester(), now)
	})
	if err != nil {
		return err
	}
	if !had {
		return fmt.Errorf("%s is not frozen", scope)
	}
	return a.print(&ledgerChange{Change: "unfrozen", Scope: scope, Reason: o.reason})
}

func newIncidentCommand(a *app) *cobra.Command {
	o := &freezeOptions{}
	cmd := &cobra.Command{
		Use:   "incident start|stop|status --reason TEXT",
		Short: "Start or stop incident mode: no automatic action anywhere",
		Long: `Incident mode stops every automatic action across the fleet: verbs deny
every host (rule invariant:incident, a permanent block) unless run with
--force --reason, which stays within the budgets and is recorded.
'incident status' (or 'fleetq leases') shows whether it is on. Start and
stop are recorded in the audit log (kinds incident-start, incident-stop;
'fleetq audit --kind incident').

Examples:
  fleetq incident start --reason "INC-2211 packet loss in smf1"
  fleetq incident status
  fleetq incident stop --reason "resolved"

` + exitCodesHelp,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"start", "stop", "status"},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runIncident(a, o, args[0])
		},
	}
	o.AddFlags(cmd)
	cmd.Flags().StringVar(&o.reason, "reason", "", "why (required to start; recorded)")
	return prints(cmd, (*ledgerChange)(nil))
}

func runIncident(a *app, o *freezeOptions, action string) error {
	now := o.clock()
	switch action {
	case "status":
		return incidentStatus(a)
	case "start":
		if strings.TrimSpace(o.reason) == "" {
			return &usageError{"incident start: --reason is required"}
		}
	case "stop":
	default:
		return &usageError{fmt.Sprintf("incident %q: expected start, stop or status", action)}
	}
	var inc *store.Incident
	if action == "start" {
		inc = &store.Incident{Reason: o.reason, Requester: o.requester(), Start: now}
	}
	err := a.update(func(tx *store.Tx) error {
		if err := tx.SetIncident(inc); err != nil {
			return err
		}
		return ledgerAudit(tx, "incident-"+action, "", o.reason, o.requester(), now)
	})
	if err != nil {
		return err
	}
	return a.print(&ledgerChange{Change: "incident-" + action, Reason: o.reason})
}

func incidentStatus(a *app) error {
	var inc *store.Incident
	err := a.view(func(tx *store.Tx) error {
		l, err := tx.Ledger(time.Now())
		inc = l.Incident
		return err
	})
	if err != nil {
		return err
	}
	return a.print(incidentState{inc})
}

// incidentState is the result of fleetq incident status.
type incidentState struct{ inc *store.Incident }

func (s incidentState) jsonValue() any {
	return map[string]any{"incident": s.inc != nil, "detail": s.inc}
}

func (s incidentState) writeText(w *textWriter) {
	if s.inc == nil {
		fmt.Fprintln(w, "incident mode off")
		return
	}
	fmt.Fprintf(w, "INCIDENT MODE since %s by %s: %s\n", stampShort(s.inc.Start), s.inc.Requester, s.inc.Reason)
}

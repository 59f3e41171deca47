package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/store"
)

type incidentOptions struct {
	ledgerOptions
	reason string
	scope  string
}

func (o *incidentOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.StringVar(&o.reason, "reason", "", "why (required to start; recorded)")
	fs.StringVar(&o.scope, "scope", "", "start: only the hosts of this set expression (evaluated on every later pass), not the whole fleet")
}

// incidentArgs checks the action, and that starting one says why: the
// reason's need depends on the argument, so Args checks it, where cobra
// checks arguments (a usage error at source).
func (o *incidentOptions) incidentArgs(cmd *cobra.Command, args []string) error {
	if err := cobra.ExactArgs(1)(cmd, args); err != nil {
		return err
	}
	switch args[0] {
	case "start":
		if strings.TrimSpace(o.reason) == "" {
			return &usageError{"incident start: --reason is required"}
		}
	case "stop", "status":
		if o.scope != "" {
			return &usageError{"incident " + args[0] + ": --scope is for start"}
		}
	default:
		return &usageError{fmt.Sprintf("incident %q: expected start, stop or status", args[0])}
	}
	return nil
}

func newIncidentCommand(a *app) *cobra.Command {
	o := &incidentOptions{}
	cmd := &cobra.Command{
		Use:   "incident start|stop|status --reason TEXT",
		Short: "Start or stop incident mode: no automatic action anywhere",
		Long: `Incident mode stops every automatic action across the fleet: verbs deny
every host (rule invariant:incident, a permanent block) unless run with
--force --reason, which stays within the budgets and is recorded.
With --scope EXPR the incident holds only the hosts of a set expression
(no bindings or stages), evaluated on every later decision's pass, as a
freeze by expression is: a host that joins the set later is held too, and
an expression that no longer evaluates holds every host (fail closed).
One incident is on at a time; starting another replaces it.
'incident status' (or 'fleetq leases') shows whether it is on. Start and
stop are recorded in the audit log (kinds incident-start, incident-stop;
'fleetq audit --kind incident').

Examples:
  fleetq incident start --reason "INC-2211 packet loss in smf1"
  fleetq incident start --scope 'dc = "smf1"' --reason "INC-2211 packet loss in smf1"
  fleetq incident status
  fleetq incident stop --reason "resolved"

` + exitCodesHelp,
		Args:      o.incidentArgs,
		ValidArgs: []string{"start", "stop", "status"},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runIncident(a, o, args[0])
		},
	}
	a.bind(cmd, o)
	return prints(cmd, (*ledgerChange)(nil))
}

func runIncident(a *app, o *incidentOptions, action string) error {
	now := o.clock()
	if action == "status" {
		return incidentStatus(a)
	}
	var inc *store.Incident
	if action == "start" {
		inc = &store.Incident{Reason: o.reason, Requester: o.requester(a), Start: now}
	}
	err := a.update(func(tx *store.Tx) error {
		if inc != nil && o.scope != "" {
			snap, err := tx.Snapshot(0)
			if err != nil {
				return err
			}
			if inc.Expr, err = freezeExpr(a.context(), snap, o.scope); err != nil {
				return &usageError{fmt.Sprintf("incident start --scope %q: not a set expression: %v", o.scope, err)}
			}
		}
		if err := tx.SetIncident(inc); err != nil {
			return err
		}
		return ledgerAudit(tx, "incident-"+action, "", o.reason, o.requester(a), now)
	})
	if err != nil {
		return err
	}
	change := &ledgerChange{Change: "incident-" + action, Reason: o.reason}
	if inc != nil {
		change.Scope = inc.Expr
	}
	return a.print(change)
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
	scope := ""
	if s.inc.Expr != "" {
		scope = " (hosts of " + s.inc.Expr + ")"
	}
	fmt.Fprintf(w, "INCIDENT MODE%s since %s by %s: %s\n", scope, stampShort(s.inc.Start), s.inc.Requester, s.inc.Reason)
}

package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/store"
)

type freezesOptions struct {
	ledgerOptions
}

func (o *freezesOptions) AddFlags(fs *pflag.FlagSet) { o.ledgerOptions.AddFlags(fs) }

func (o *freezesOptions) Validate() error { return o.ledgerOptions.Validate() }

func newFreezesCommand(a *app) *cobra.Command {
	o := &freezesOptions{}
	cmd := &cobra.Command{
		Use:   "freezes",
		Short: "List the active change freezes and the hosts each holds now",
		Long: `List the active freezes: the scope (a cluster, all, or an expression), the
number of hosts of the newest pass it holds now (a freeze by expression is
evaluated again on every pass, so the count follows the fleet), the
reason, who froze it, and until when. Read-only.

Examples:
  fleetq freezes
  fleetq freezes --format json | jq -r '.[] | select(.expr != null) | .scope'

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFreezes(cmd.Context(), a, o)
		},
	}
	a.bind(cmd, o)
	return prints(cmd, (*freezeListing)(nil))
}

type freezeListing struct {
	freezes []actions.FreezeView
}

func runFreezes(ctx context.Context, a *app, o *freezesOptions) error {
	pol, err := o.policyOrDefault(a)
	if err != nil {
		return err
	}
	now := o.clock()
	var ls freezeListing
	err = a.view(func(tx *store.Tx) error {
		l, err := tx.Ledger(now)
		if err != nil {
			return err
		}
		snap, err := tx.Snapshot(0)
		if err != nil {
			return err
		}
		ls.freezes, err = actions.ViewFreezes(ctx, snap, pol, l.Freezes, now)
		return err
	})
	if err != nil {
		return err
	}
	return a.print(&ls)
}

func (ls *freezeListing) jsonValue() any { return ls.freezes }

func (ls *freezeListing) writeText(w *textWriter) {
	if len(ls.freezes) == 0 {
		fmt.Fprintln(w, "no freezes")
		return
	}
	rows := make([][]string, len(ls.freezes))
	for i, f := range ls.freezes {
		kind := "cluster"
		switch {
		case f.Expr != "":
			kind = "expression"
		case f.Scope == "all":
			kind = "all"
		}
		until := "unfrozen"
		if !f.Until.IsZero() {
			until = stampShort(f.Until)
		}
		rows[i] = []string{f.Scope, kind, fmt.Sprint(f.Hosts), f.Requester, until, f.Reason}
	}
	writeTable(w, []string{"SCOPE", "KIND", "HOSTS", "BY", "UNTIL", "REASON"}, rows)
}

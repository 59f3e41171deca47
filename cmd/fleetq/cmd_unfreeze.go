package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/store"
)

type unfreezeOptions struct {
	ledgerOptions
	reason string
}

func (o *unfreezeOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.StringVar(&o.reason, "reason", "", "why (recorded)")
}

func newUnfreezeCommand(a *app) *cobra.Command {
	o := &unfreezeOptions{}
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
	a.bind(cmd, o)
	return prints(cmd, (*ledgerChange)(nil))
}

func runUnfreeze(a *app, o *unfreezeOptions, scope string) error {
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

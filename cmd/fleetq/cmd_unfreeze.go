package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/query"
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
		Use:   "unfreeze EXPR|CLUSTER|all",
		Short: "End a change freeze",
		Long: `End the freeze of a cluster, or the fleet-wide freeze 'all' (a cluster's own
freeze and 'all' are separate), or a freeze by expression, named by the
text it was frozen with or its canonical form as 'fleetq freezes' lists
it. Recorded in the audit log (kind unfreeze).

Examples:
  fleetq unfreeze smf1-dense-02
  fleetq unfreeze all --reason "moratorium over"
  fleetq unfreeze 'role = "kafka"' --reason "freeze over"

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
		if had, err = tx.DeleteFreeze(scope); err != nil {
			return err
		}
		if !had {
			scope = canonicalScope(tx, scope)
			if had, err = tx.DeleteFreeze(scope); err != nil || !had {
				return err
			}
		}
		return ledgerAudit(tx, store.KindUnfreeze, scope, o.reason, o.requester(a), now)
	})
	if err != nil {
		return err
	}
	if !had {
		return fmt.Errorf("%s is not frozen", scope)
	}
	return a.print(&ledgerChange{Change: "unfrozen", Scope: scope, Reason: o.reason})
}

// canonicalScope is text as a freeze by expression stores it (its
// canonical form in the newest pass), or text itself when it does not
// read as one there.
func canonicalScope(tx *store.Tx, text string) string {
	snap, err := tx.Snapshot(0)
	if err != nil {
		return text
	}
	st, err := query.Parse(text)
	if err != nil || query.Resolve(snap.Current(), st) != nil {
		return text
	}
	return st.String()
}

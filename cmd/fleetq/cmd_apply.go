package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/store"
)

type applyOptions struct {
	ledgerOptions
	hosts []string
}

func (o *applyOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.StringSliceVar(&o.hosts, "hosts", nil, "start only these hosts of the plan (comma-separated or repeated); each must be one it approved")
}

func newApplyCommand(a *app) *cobra.Command {
	o := &applyOptions{}
	cmd := &cobra.Command{
		Use:   "apply TOKEN",
		Short: "Commit exactly the plan a dry run printed",
		Long: `Commit the plan a dry-run verb printed as its token. The token names the
audit entry of the dry run, the pass, ledger version, policy hash and seed
it was computed from. apply refuses when a newer pass exists, the ledger
changed (a lease was granted or released, a freeze or incident changed),
the policy file changed, or deciding again would not approve the same
hosts: what was reviewed is what runs. A refusal says everything that
changed (the pass, the ledger version and the audit entries that changed
it, the policy hash); a token applied before is refused as "already
applied (audit N)", naming the apply that committed it, and one withdrawn
by fleetq cancel as "cancelled (audit N)". Every apply, granted or
refused, is recorded in the audit log (kind apply).

--hosts starts only some of the plan's approved hosts: the plan is
re-checked whole as without it, a host it did not approve is refused by
name, and the plan counts as applied afterwards (its other hosts need a
new request). Under fleetq serve a requester applies only its own plans;
an operator may apply anyone's.

Examples:
  fleetq drain 'cluster = "smf1-dense-02"' --reason "disk swap"
  fleetq apply a17.p6.l3.3fa9c2e1b4d0.s42
  fleetq apply a17.p6.l3.3fa9c2e1b4d0.s42 --hosts dn0003.smf1,dn0005.smf1
  fleetq audit --kind apply           # every apply, granted or refused

Exit status 1: the token was refused (stale, already applied, cancelled,
another's plan, a host not in it, unknown).

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runApply(cmd.Context(), a, o, args[0])
		},
	}
	a.bind(cmd, o)
	a.completeFlag(cmd, "hosts", a.completeHostArgs)
	return prints(cmd, outcome{})
}

func runApply(ctx context.Context, a *app, o *applyOptions, token string) error {
	pol, now, err := o.policyAndClock(a)
	if err != nil {
		return err
	}
	var out *actions.Outcome
	var refused *actions.RefusedApply
	err = a.update(func(tx *store.Tx) error {
		out, err = actions.Apply(ctx, tx, pol, actions.ApplyRequest{Token: token, Requester: o.requester(a), Hosts: o.hosts,
			Now: now, MayActForOthers: a.mayActForOthers()})
		if errors.As(err, &refused) {
			return nil // commit the transaction: the refusal is in its audit log
		}
		return err
	})
	switch {
	case err != nil:
		return err
	case refused != nil:
		return renderRefusedApply(a, refused)
	}
	return finishOutcome(a, pol, out)
}

// renderRefusedApply prints a refusal as data for --format json (the
// error line still goes to stderr) and exits 1; text says it on stderr
// alone.
func renderRefusedApply(a *app, r *actions.RefusedApply) error {
	if a.format != formatJSON {
		return r
	}
	if err := a.print(refusedApply{r}); err != nil {
		return err
	}
	return r
}

// refusedApply is the JSON result of an apply that was refused.
type refusedApply struct{ *actions.RefusedApply }

func (r refusedApply) jsonValue() any {
	return map[string]any{"refused": r.Err.Error(), "audit": r.Audit,
		"already_applied": errors.Is(r, actions.ErrAlreadyApplied), "stale": errors.Is(r, actions.ErrStalePlan),
		"cancelled": errors.Is(r, actions.ErrCancelled)}
}

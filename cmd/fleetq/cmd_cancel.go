package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/store"
)

type cancelOptions struct {
	ledgerOptions
	hosts  []string
	reason string
}

func (o *cancelOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.StringSliceVar(&o.hosts, "hosts", nil, "end the leases of these hosts, never taken down (comma-separated or repeated)")
	fs.StringVar(&o.reason, "reason", "", "why (required; recorded)")
}

func (o *cancelOptions) Validate() error {
	if strings.TrimSpace(o.reason) == "" {
		return &usageError{"cancel: --reason is required: say why; it is recorded"}
	}
	return o.ledgerOptions.Validate()
}

// cancelArgs wants a plan token or --hosts, not both.
func (o *cancelOptions) cancelArgs(_ *cobra.Command, args []string) error {
	switch {
	case len(args) > 1:
		return &usageError{"cancel: one plan token at a time"}
	case len(args) == 1 && len(o.hosts) > 0:
		return &usageError{"cancel: give a plan token or --hosts, not both"}
	case len(args) == 0 && len(o.hosts) == 0:
		return &usageError{"cancel: name a plan token, or the hosts with --hosts"}
	}
	return nil
}

func newCancelCommand(a *app) *cobra.Command {
	o := &cancelOptions{}
	cmd := &cobra.Command{
		Use:   "cancel TOKEN --reason TEXT | --hosts HOST,… --reason TEXT",
		Short: "Withdraw a plan, or end leases whose hosts were never taken down",
		Long: `Withdraw an approved plan that will not run, or end the leases of hosts
whose maintenance never started.

With a plan token (what a dry-run verb printed), the plan is withdrawn:
fleetq apply refuses it from then on as "cancelled (audit N)". A plan
applied already cannot be cancelled; cancel its leases instead.

With --hosts, each host's lease ends at once, without the health gate of
fleetq release: the host was never taken down, so there is nothing to
wait for. That is the caller's word, recorded as such: the audit entry is
of kind cancel, not release, and says per host cancelled or no-lease.
Exits 1 when a host held no lease.

Under fleetq serve (POST /v1/cancel, or this command with --server) a
requester cancels only its own plans and leases; an operator may cancel
anyone's. Every cancel is recorded in the audit log
(kind cancel).

Examples:
  fleetq cancel a17.p6.l3.3fa9c2e1b4d0.s42 --reason "change window moved"
  fleetq cancel --hosts dn0003.smf1,dn0005.smf1 --reason "job aborted before the drain"
  fleetq audit --kind cancel

` + exitCodesHelp,
		Args:              o.cancelArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCancel(cmd.Context(), a, o, args)
		},
	}
	a.bind(cmd, o)
	a.completeFlag(cmd, "hosts", a.completeHostArgs)
	return prints(cmd, (*cancelled)(nil))
}

func runCancel(_ context.Context, a *app, o *cancelOptions, args []string) error {
	pol, now, err := o.policyAndClock(a)
	if err != nil {
		return err
	}
	req := actions.CancelRequest{Hosts: o.hosts, Reason: o.reason, Requester: o.requester(a), Now: now, MayActForOthers: a.mayActForOthers()}
	if len(args) == 1 {
		req.Token = args[0]
	}
	var res *actions.CancelResult
	err = a.update(func(tx *store.Tx) error {
		res, err = actions.Cancel(tx, pol, req)
		return err
	})
	if err != nil {
		return err
	}
	err = a.print(&cancelled{res})
	if n := res.NotCancelled(); err == nil && n > 0 {
		err = &notCancelled{missing: n, of: len(res.Hosts)}
	}
	return err
}

// notCancelled is a cancel of leases where some hosts held none: exit
// 1, and under fleetq serve a 409 whose result lists every host.
type notCancelled struct{ missing, of int }

func (n *notCancelled) Error() string {
	return fmt.Sprintf("%d of %d hosts hold no lease: nothing to cancel for them", n.missing, n.of)
}

// cancelled is the result of fleetq cancel.
type cancelled struct{ *actions.CancelResult }

func (c *cancelled) jsonValue() any { return c.CancelResult }

func (c *cancelled) writeText(w *textWriter) {
	if c.Token != "" {
		fmt.Fprintf(w, "plan %s (audit %d) cancelled: apply refuses it now (audit %d)\n", c.Token, c.Plan, c.Audit)
		return
	}
	rows := make([][]string, len(c.Hosts))
	for i, h := range c.Hosts {
		verdict := "cancelled"
		if !h.Cancelled {
			verdict = "no-lease"
		}
		rows[i] = []string{h.Host, h.Verb, h.Holder, verdict, h.Detail}
	}
	writeTable(w, []string{"HOST", "VERB", "HOLDER", "RESULT", "DETAIL"}, rows)
	fmt.Fprintf(w, "recorded as audit %d\n", c.Audit)
}

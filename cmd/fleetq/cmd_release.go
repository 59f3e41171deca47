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

type releaseOptions struct {
	ledgerOptions
	force  bool
	reason string
	ghosts bool
}

func (o *releaseOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.BoolVar(&o.force, "force", false, "release even when the host is not healthy (needs --reason)")
	fs.StringVar(&o.reason, "reason", "", "why (required with --force)")
	fs.BoolVar(&o.ghosts, "ghosts", false, "release every ghost lease")
}

func (o *releaseOptions) Validate() error {
	if o.force && strings.TrimSpace(o.reason) == "" {
		return &usageError{actions.ErrNeedReason.Error()}
	}
	return o.ledgerOptions.Validate()
}

// releaseArgs wants hosts, or --ghosts.
func (o *releaseOptions) releaseArgs(_ *cobra.Command, args []string) error {
	if len(args) == 0 && !o.ghosts {
		return &usageError{"release: name the hosts, or give --ghosts"}
	}
	return nil
}

func newReleaseCommand(a *app) *cobra.Command {
	o := &releaseOptions{}
	cmd := &cobra.Command{
		Use:   "release HOST… | --ghosts",
		Short: "End leases of hosts that are healthy again",
		Long: `End the leases of the given hosts, each only once the host is back in the
policy's health set (a lock released before the host is healthy again lets
the next operation take a second host down). Ghost leases (the host is
decommissioned or gone from the inventory) and expired leases release
without the check. --force --reason releases an unhealthy host and is
recorded. Every release goes to the audit log as one entry (kind
release) saying per host released, forced or kept and why. Exits 1 when
a lease was kept.

Examples:
  fleetq release dn00802.smf1 dn00803.smf1
  fleetq release --ghosts
  fleetq release dn00802.smf1 --force --reason "host replaced, RMA 4411"

` + exitCodesHelp,
		Args:              o.releaseArgs,
		ValidArgsFunction: a.completeHostArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRelease(cmd.Context(), a, o, args)
		},
	}
	a.bind(cmd, o)
	return prints(cmd, releases(nil))
}

func runRelease(ctx context.Context, a *app, o *releaseOptions, hosts []string) error {
	pol, now, err := o.policyAndClock(a)
	if err != nil {
		return err
	}
	req := actions.ReleaseRequest{Hosts: hosts, Ghosts: o.ghosts, Force: o.force, Reason: o.reason, Requester: o.requester(a), Now: now,
		MayActForOthers: a.mayActForOthers()}
	var res []actions.ReleaseResult
	err = a.update(func(tx *store.Tx) error {
		res, err = actions.Release(ctx, tx, pol, req)
		return err
	})
	if err != nil {
		return err
	}
	err = a.print(releases(res))
	if kept := releases(res).kept(); err == nil && kept > 0 {
		err = &keptLeases{kept: kept, of: len(res)}
	}
	return err
}

// keptLeases is a release that kept some leases: exit 1, and under
// fleetq serve a 409 whose result lists every host.
type keptLeases struct{ kept, of int }

func (k *keptLeases) Error() string {
	return fmt.Sprintf("%d of %d leases kept: hosts not healthy yet (or holding none)", k.kept, k.of)
}

// releases is the result of fleetq release: per host, released or kept.
type releases []actions.ReleaseResult

func (rs releases) kept() int {
	n := 0
	for _, r := range rs {
		if !r.Released && !r.Forced {
			n++
		}
	}
	return n
}

func (rs releases) jsonValue() any { return []actions.ReleaseResult(rs) }

func (rs releases) writeText(w *textWriter) {
	rows := make([][]string, len(rs))
	for i, r := range rs {
		verdict := "released"
		switch {
		case r.Forced:
			verdict = "released (forced)"
		case !r.Released:
			verdict = "kept"
		}
		rows[i] = []string{r.Host, r.Verb, verdict, r.Detail}
	}
	writeTable(w, []string{"HOST", "VERB", "RESULT", "DETAIL"}, rows)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

type leasesOptions struct {
	ledgerOptions
	all    bool
	whatIf string
}

func newLeasesCommand(a *app) *cobra.Command {
	o := &leasesOptions{}
	cmd := &cobra.Command{
		Use:   "leases",
		Short: "List the hosts held by operations, ghosts first",
		Long: `List the leases: one per host across all verbs, with who holds it, why,
and until when. A lease on a host the newest pass no longer lists, or
lists as decommissioned (the policy's decommissioned expression), is a
ghost: 'fleetq release --ghosts' ends those safely. A lease that expired
while its host is not back in the policy's health set on a pass sealed
after the lease is stuck: it is listed, and still counts as out in every
budget, until the host recovers or 'fleetq release --force --reason'.
Expired leases whose hosts recovered are shown with --all. Freezes and
incident mode are listed above the leases. This command only reads: an
expiry it shows is recorded in the audit log (kind lease-expired) by the
next command that writes the ledger.

Examples:
  fleetq leases
  fleetq leases --format json | jq -r '.[] | select(.state == "ghost") | .host'

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLeases(cmd.Context(), a, o)
		},
	}
	o.AddFlags(cmd)
	cmd.Flags().BoolVar(&o.all, "all", false, "also list expired leases whose hosts recovered")
	cmd.Flags().StringVar(&o.whatIf, "what-if", "", "show the leases as they would stand at `TIME` (RFC 3339, or a duration from now: 25h); read-only")
	return prints(cmd, (*ledgerListing)(nil))
}

// policyOrDefault loads the policy, or the defaults when there is none:
// listing leases must work without one.
func (o *ledgerOptions) policyOrDefault(a *app) (*policy.Policy, error) {
	p, err := o.loadPolicy(a)
	if errors.Is(err, policy.ErrNoPolicy) {
		return policy.Parse([]byte("[[archetype]]\nname = \"none\"\n"))
	}
	return p, err
}

type ledgerListing struct {
	leases   []actions.LeaseView
	freezes  []store.Freeze
	incident *store.Incident
	version  uint64
}

func runLeases(ctx context.Context, a *app, o *leasesOptions) error {
	pol, err := o.policyOrDefault(a)
	if err != nil {
		return err
	}
	now := o.clock()
	if o.whatIf != "" {
		if now, err = whatIfClock("--what-if", o.whatIf); err != nil {
			return err
		}
	}
	var ls ledgerListing
	err = a.view(func(tx *store.Tx) error {
		l, err := tx.Ledger(now)
		if err != nil {
			return err
		}
		snap, err := tx.Snapshot(0)
		if err != nil {
			return err
		}
		ls.leases, err = actions.ViewLeases(ctx, snap, pol, l.Leases, now)
		ls.freezes, ls.incident, ls.version = activeFreezes(l.Freezes, now), l.Incident, l.Version
		return err
	})
	if err != nil {
		return err
	}
	ls.leases = filterLeases(ls.leases, o.all)
	return a.print(&ls)
}

// jsonValue is the leases; the freezes and the incident are in the text.
func (ls *ledgerListing) jsonValue() any { return nonNilLeases(ls.leases) }

func (ls *ledgerListing) writeText(w *textWriter) {
	writeLedgerHeader(w, *ls)
	rows := make([][]string, len(ls.leases))
	for i, l := range ls.leases {
		state := l.State
		if l.Ghost != "" {
			state += ": " + l.Ghost
		}
		rows[i] = []string{l.Host, l.Verb, l.Cluster, l.Requester, stampShort(l.Expiry), fmt.Sprint(l.Audit), state, l.Reason}
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "no leases")
	} else {
		writeTable(w, []string{"HOST", "VERB", "CLUSTER", "BY", "EXPIRES", "AUDIT", "STATE", "REASON"}, rows)
	}
}

func filterLeases(ls []actions.LeaseView, all bool) []actions.LeaseView {
	out := ls[:0]
	for _, l := range ls {
		if all || l.State != "expired" {
			out = append(out, l)
		}
	}
	return out
}

func nonNilLeases(ls []actions.LeaseView) []actions.LeaseView {
	if ls == nil {
		return []actions.LeaseView{}
	}
	return ls
}

func activeFreezes(fs []store.Freeze, now time.Time) []store.Freeze {
	var out []store.Freeze
	for _, f := range fs {
		if f.Active(now) {
			out = append(out, f)
		}
	}
	return out
}

func writeLedgerHeader(w interface{ Write([]byte) (int, error) }, ls ledgerListing) {
	if ls.incident != nil {
		fmt.Fprintf(w, "INCIDENT MODE since %s by %s: %s\n", stampShort(ls.incident.Start), ls.incident.Requester, ls.incident.Reason)
	}
	for _, f := range ls.freezes {
		fmt.Fprintf(w, "FROZEN %s by %s %s: %s\n", f.Scope, f.Requester, untilText(f.Until), f.Reason)
	}
	if ls.incident != nil || len(ls.freezes) > 0 {
		fmt.Fprintln(w)
	}
}

func untilText(t time.Time) string {
	if t.IsZero() {
		return "until unfrozen"
	}
	return "until " + stampShort(t)
}

func stampShort(t time.Time) string { return t.UTC().Format(time.RFC3339) }

type releaseOptions struct {
	ledgerOptions
	force  bool
	reason string
	ghosts bool
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
		ValidArgsFunction: a.completeHostArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !o.ghosts {
				return &usageError{"release: name the hosts, or give --ghosts"}
			}
			return runRelease(cmd.Context(), a, o, args)
		},
	}
	o.AddFlags(cmd)
	cmd.Flags().BoolVar(&o.force, "force", false, "release even when the host is not healthy (needs --reason)")
	cmd.Flags().StringVar(&o.reason, "reason", "", "why (required with --force)")
	cmd.Flags().BoolVar(&o.ghosts, "ghosts", false, "release every ghost lease")
	return prints(cmd, releases(nil))
}

func runRelease(ctx context.Context, a *app, o *releaseOptions, hosts []string) error {
	pol, now, err := o.policyAndClock(a)
	if err != nil {
		return err
	}
	req := actions.ReleaseRequest{Hosts: hosts, Ghosts: o.ghosts, Force: o.force, Reason: o.reason, Requester: o.requester(), Now: now}
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
		err = fmt.Errorf("%d of %d leases kept: hosts not healthy yet (or holding none)", kept, len(res))
	}
	return err
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

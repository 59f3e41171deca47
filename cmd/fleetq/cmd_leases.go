package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/store"
)

type leasesOptions struct {
	ledgerOptions
	all    bool
	whatIf string
}

func (o *leasesOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.BoolVar(&o.all, "all", false, "also list expired leases whose hosts recovered")
	fs.StringVar(&o.whatIf, "what-if", "", "show the leases as they would stand at `TIME` (RFC 3339, or a duration from now: 25h); read-only")
}

func (o *leasesOptions) Validate() error {
	if o.whatIf != "" {
		if _, err := whatIfClock("--what-if", o.whatIf); err != nil {
			return err
		}
	}
	return o.ledgerOptions.Validate()
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
	a.bind(cmd, o)
	return prints(cmd, (*ledgerListing)(nil))
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

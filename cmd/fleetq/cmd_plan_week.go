package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/schedule"
	"github.com/fleetq/fleetq/internal/store"
)

type planWeekOptions struct {
	ledgerOptions
	seed      uint64
	dryRun    bool
	unslotted bool
}

func (o *planWeekOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.Uint64Var(&o.seed, "seed", 0, "seed for the spread of each share across racks (default: random, printed)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "plan and print the week, record nothing")
	fs.BoolVar(&o.unslotted, "allow-unslotted", false, "record the week even when hosts of the scope get no slot (the cross-check still fails)")
}

func newPlanWeekCommand(a *app) *cobra.Command {
	o := &planWeekOptions{}
	cmd := &cobra.Command{
		Use:   "week FILE [--seed N] [--dry-run]",
		Short: "Give every host of a location one slot in a one/few/many maintenance week, recorded in the ledger",
		Long: `Plan the maintenance week of schedule FILE (TOML, docs/windows.md) on the
newest pass and record it in the ledger: each step, in the file's order,
takes for each of its selections a share (max = "5%" or a count; every
host when left out; a percentage rounded up) of the hosts of the scope
that match the selection's expression and that no earlier step or
selection took, dealt rack by rack so a share spans as many racks as it
can. A step's slot is [start, start + length); while the week runs it is
the maintenance window of its hosts for the verbs the file names.

The cross-check: every host of the scope must get a slot. When hosts no
step took remain, they are listed, nothing is recorded and the command
exits 4, so a schedule that misses machines never passes silently
(--allow-unslotted records such a week anyway, with its unslotted
hosts, and still exits 4). --dry-run plans and prints without recording.
A week that overlaps a planned week in time on a shared host is refused
(fleetq week cancel drops a recorded week). The plan is audited (kind
week); the seed is printed.

Examples:
  fleetq plan week examples/week.toml --dry-run
  fleetq plan week examples/week.toml --seed 7
  fleetq week show

Exit status 4: the cross-check failed (hosts of the scope without a slot).
` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlanWeek(cmd.Context(), a, o, args[0])
		},
	}
	a.bind(cmd, o)
	return prints(cmd, (*weekReport)(nil))
}

func (o *planWeekOptions) Validate() error { return o.ledgerOptions.Validate() }

func runPlanWeek(ctx context.Context, a *app, o *planWeekOptions, file string) error {
	text, err := readTextFile(file)
	if err != nil {
		return err
	}
	now := o.clock()
	s, err := schedule.Parse(file, text, now)
	if err != nil {
		return err
	}
	pol, err := o.policyOrDefault(a)
	if err != nil {
		return err
	}
	seed := o.seed
	if seed == 0 {
		seed = randomSeed()
	}
	if first := s.Steps[0]; first.Start.Before(now) {
		return fmt.Errorf("%s:%d: step 1 of the week of %s started at %s, in the past: a slot gives its hosts a window from its start, so plan a later week (week = \"YYYY-MM-DD\", or leave it out for next week)",
			file, first.Line, s.Week.Format("2006-01-02"), stampUTC(first.Start))
	}
	var w *store.Week
	recorded := false
	plan := func(tx *store.Tx) error {
		snap, err := tx.Snapshot(0)
		if err != nil {
			return err
		}
		if w, err = actions.PlanWeek(&query.Env{Ctx: ctx, Snap: snap, Seed: seed}, s, pol.RackAttr); err != nil {
			return err
		}
		w.Source, w.Created, w.Requester = string(text), now, o.requester(a)
		planned, err := tx.Weeks()
		if err != nil && !errors.Is(err, store.ErrNoWeek) {
			return err
		}
		if err := actions.WeekOverlap(planned, w); err != nil || o.dryRun || len(w.Unslotted) > 0 && !o.unslotted {
			return err
		}
		recorded = true
		return tx.CreateWeek(w, func(w *store.Week) *store.AuditEntry {
			return &store.AuditEntry{Time: now, Requester: w.Requester, Kind: store.KindWeek, Expr: w.Scope,
				Reason: fmt.Sprintf("planned %s from %s: %d steps, %d hosts, %d unslotted", w.Label(), file, len(w.Steps), len(actions.WeekHosts(w)), len(w.Unslotted)),
				Pass:   w.Pass, Seed: seed, LedgerVersion: tx.LedgerVersion(), Committed: true, Approved: []string{}}
		})
	}
	if o.dryRun {
		err = a.view(plan)
	} else {
		err = a.update(plan)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "# seed %d\n", seed)
	r := newWeekReport(w, !recorded)
	if err := a.print(r); err != nil {
		return err
	}
	return r.failed()
}

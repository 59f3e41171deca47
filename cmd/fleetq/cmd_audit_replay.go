package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/store"
)

func newAuditReplayCommand(a *app) *cobra.Command {
	return prints(&cobra.Command{
		Use:   "replay N",
		Short: "Recompute a logged decision and say whether it matches",
		Long: `Recompute audit entry N from what it recorded: its pass (which must not
have been removed by gc), the policy text kept under its hash, its seed,
clock reading and the ledger state it read. Prints the recomputed
arithmetic and whether the approved and denied hosts come out the same.
Exits 1 when they differ.

Examples:
  fleetq audit replay 17

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := auditID(args[0])
			if err != nil {
				return err
			}
			return runAuditReplay(cmd.Context(), a, id)
		},
	}, (*auditReplay)(nil))
}

func runAuditReplay(ctx context.Context, a *app, id int64) error {
	var r *actions.Replay
	if err := a.view(func(tx *store.Tx) (err error) {
		r, err = actions.ReplayAudit(ctx, tx, id)
		return err
	}); err != nil {
		return err
	}
	if err := a.print(&auditReplay{id, r}); err != nil {
		return err
	}
	if !r.Match {
		return &exitError{code: exitFailure, err: fmt.Errorf("replay of audit %d differs", id), silent: a.format == "json"}
	}
	return nil
}

// auditReplay is the result of fleetq audit replay: the recomputed
// decision and how it differs from the logged one.
type auditReplay struct {
	id int64
	*actions.Replay
}

func (r *auditReplay) jsonValue() any {
	return map[string]any{"audit": r.id, "match": r.Match, "diffs": nonNil(r.Diffs), "recomputed": r.Recomputed}
}

func (r *auditReplay) writeText(w *textWriter) {
	fmt.Fprintf(w, "replay of audit %d (%s by %s at %s)\n", r.id, auditKind(*r.Entry), r.Entry.Requester, stampShort(r.Entry.Time))
	for _, c := range r.Recomputed.Clusters {
		fmt.Fprintf(w, "  %s\n", c)
	}
	fmt.Fprintf(w, "approved %d (logged %d), denied %d (logged %d)\n", len(r.Recomputed.Approved), len(r.Entry.Approved), len(r.Recomputed.Denied), len(r.Entry.Denied))
	if r.Match {
		fmt.Fprintln(w, "match: the decision comes out the same")
	}
	for _, d := range r.Diffs {
		fmt.Fprintf(w, "DIFFERS: %s\n", d)
	}
}

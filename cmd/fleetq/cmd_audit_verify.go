package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/store"
)

func newAuditVerifyCommand(a *app) *cobra.Command {
	return prints(&cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's hash chain: no entry edited, removed or reordered",
		Long: `Check the hash chain of the audit log. Each entry holds the SHA-256 of
the previous entry's canonical bytes (the JSON exactly as stored in the
database; for entry 1, of no bytes), and the database keeps the hash of
the last entry, so an entry edited by hand, removed or moved breaks the
chain where it shows:

  audit entry 7: hash mismatch (edited or removed entry before it)

Entries written by a fleetq older than the chain have no hash; they are
reported as unchained (written by an older fleetq) and the chain is
checked from the first entry that has one. Read-only: nothing is written.

Examples:
  fleetq audit verify
  fleetq audit verify --format json | jq .problems

Exit status 1: the chain is broken (each break is printed).
` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAuditVerify(a)
		},
	}, (*auditCheck)(nil))
}

func runAuditVerify(a *app) error {
	var r *store.AuditCheck
	if err := a.view(func(tx *store.Tx) (err error) {
		r, err = tx.VerifyAudit()
		return err
	}); err != nil {
		return err
	}
	if err := a.print(&auditCheck{r}); err != nil {
		return err
	}
	if !r.OK() {
		return &exitError{code: exitFailure, err: fmt.Errorf("audit log: %d problems: %s", len(r.Problems), r.Problems[0]), silent: a.format == "json"}
	}
	return nil
}

// auditCheck is the result of fleetq audit verify.
type auditCheck struct{ *store.AuditCheck }

func (r *auditCheck) jsonValue() any { return r.AuditCheck }

func (r *auditCheck) writeText(w *textWriter) {
	if r.FirstUnchained != 0 {
		fmt.Fprintf(w, "audit entries %d–%d: unchained (written by an older fleetq)\n", r.FirstUnchained, r.LastUnchained)
	}
	for _, p := range r.Problems {
		fmt.Fprintln(w, p)
	}
	if r.OK() {
		fmt.Fprintf(w, "audit log verified: %d entries, %d chained, no entry edited, removed or reordered\n", r.Entries, r.Chained)
	}
}

package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/store"
)

func newAuditShowCommand(a *app) *cobra.Command {
	return prints(&cobra.Command{
		Use:   "show N",
		Short: "Print one audit entry whole",
		Long: `Print audit entry N: the request, the per-cluster arithmetic, the approved
hosts and every denied host with its rule.

Examples:
  fleetq audit show 17
  fleetq audit show 17 --format json

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := auditID(args[0])
			if err != nil {
				return err
			}
			return runAuditShow(a, id)
		},
	}, (*auditShow)(nil))
}

func runAuditShow(a *app, id int64) error {
	var e *store.AuditEntry
	if err := a.view(func(tx *store.Tx) (err error) {
		e, err = tx.Audit(id)
		return err
	}); err != nil {
		return err
	}
	return a.print(&auditShow{e})
}

// auditShow is the result of fleetq audit show: one entry whole.
type auditShow struct{ *store.AuditEntry }

func (s *auditShow) jsonValue() any { return auditEntryJSON(s.AuditEntry) }

func (s *auditShow) writeText(w *textWriter) { s.write(w, false) }

func (s *auditShow) writeFolded(w *textWriter) { s.write(w, true) }

func (s *auditShow) write(w *textWriter, folded bool) {
	e := s.AuditEntry
	fmt.Fprintf(w, "audit %d: %s by %s at %s\n", e.ID, auditKind(*e), e.Requester, stampShort(e.Time))
	if d, ok := decodeDecision(e); ok {
		writeOutcome(w.Writer, &actions.Outcome{Decision: d, Audit: e.ID, Committed: e.Committed, Token: e.Token}, folded)
		return
	}
	writeAuditDetail(w.Writer, e)
}

func decodeDecision(e *store.AuditEntry) (*actions.Decision, bool) {
	if len(e.Decision) == 0 {
		return nil, false
	}
	var d actions.Decision
	if err := json.Unmarshal(e.Decision, &d); err != nil {
		return nil, false
	}
	return &d, true
}

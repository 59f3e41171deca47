package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

type auditOptions struct {
	ledgerOptions
	since string
	kinds string
}

func newAuditCommand(a *app) *cobra.Command {
	o := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit [--since DURATION|TIME] [--kind KIND,…]",
		Short: "List the append-only, hash-chained audit log of every ledger change",
		Long: `List the audit log: every decision (dry run or committed, forced or not),
apply (granted or refused), release (released, forced or kept), lease
expiry, freeze and incident change, with who, when, the pass, policy hash
and seed it was made from, and how many hosts were approved and denied.
--since limits it to entries newer than a duration ago (24h, 7d) or an
RFC 3339 time; --kind to some kinds:

  ` + strings.Join(store.AuditKinds, ", ") + `
  (incident means incident-start and incident-stop)

A lease expiry is recorded by the first writing command that sees it
(a read-only command such as 'fleetq leases' cannot write).
'fleetq audit show N' prints one entry whole; 'fleetq audit replay N'
recomputes a decision and says whether it matches; 'fleetq audit verify'
checks the hash chain. --format json lists entries with verb, approved
hosts and denied hosts with their rules.

Examples:
  fleetq audit --since 24h
  fleetq audit --kind apply,release
  fleetq audit show 17
  fleetq audit replay 17
  fleetq audit verify

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAudit(a, o)
		},
	}
	o.AddFlags(cmd)
	cmd.Flags().StringVar(&o.since, "since", "", "only entries newer than this: a duration ago (24h, 7d) or an RFC 3339 time")
	cmd.Flags().StringVar(&o.kinds, "kind", "", "only entries of these kinds, comma-separated ("+strings.Join(store.AuditKinds, ", ")+", incident)")
	cmd.AddCommand(newAuditShowCommand(a), newAuditReplayCommand(a), newAuditVerifyCommand(a))
	return prints(cmd, auditLog(nil))
}

func runAudit(a *app, o *auditOptions) error {
	now := o.clock()
	since, err := parseSince(o.since, now)
	if err != nil {
		return err
	}
	kinds, err := parseKinds(o.kinds)
	if err != nil {
		return err
	}
	var log []store.AuditEntry
	if err := a.view(func(tx *store.Tx) error {
		log, err = tx.AuditLog(since)
		return err
	}); err != nil {
		return err
	}
	return a.print(auditLog(filterKinds(log, kinds)))
}

// auditLog is the result of fleetq audit: entries, oldest first.
type auditLog []store.AuditEntry

var auditHeader = []string{"ID", "TIME", "BY", "KIND", "VERB", "APPROVED", "DENIED", "EXPR / REASON"}

func (l auditLog) rows() [][]string {
	rows := make([][]string, len(l))
	for i, e := range l {
		rows[i] = []string{strconv.FormatInt(e.ID, 10), stampShort(e.Time), e.Requester, auditKind(e), e.Verb,
			strconv.Itoa(len(e.Approved)), strconv.Itoa(len(e.Denied)), auditSubject(e)}
	}
	return rows
}

func (l auditLog) writeText(w *textWriter) { writeTable(w, auditHeader, l.rows()) }

func (l auditLog) writeCSV(cw *csvWriter) {
	cw.Write([]string{"id", "time", "by", "kind", "verb", "approved", "denied", "subject"})
	cw.WriteAll(l.rows())
}

func (l auditLog) jsonValue() any { return auditsJSON(l) }

func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := policy.ParseDuration(s)
	if err != nil {
		return time.Time{}, &usageError{fmt.Sprintf("--since %q: expected a duration (24h, 7d) or an RFC 3339 time", s)}
	}
	return now.Add(-d), nil
}

// parseKinds reads --kind: known kinds only, incident meaning both of its
// kinds; nil means every kind.
func parseKinds(s string) (map[string]bool, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]bool{}
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		switch {
		case k == "incident":
			out[store.KindIncidentStart], out[store.KindIncidentStop] = true, true
		case slices.Contains(store.AuditKinds, k):
			out[k] = true
		default:
			return nil, &usageError{unknownKind(k)}
		}
	}
	return out, nil
}

func unknownKind(k string) string {
	msg := fmt.Sprintf("--kind %q: unknown audit kind", k)
	if near := query.Closest(k, append(slices.Clone(store.AuditKinds), "incident")); near != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", near)
	}
	return msg + "; kinds: " + strings.Join(store.AuditKinds, ", ") + ", incident"
}

func filterKinds(log []store.AuditEntry, kinds map[string]bool) []store.AuditEntry {
	if kinds == nil {
		return log
	}
	out := log[:0]
	for _, e := range log {
		if kinds[e.KindOf()] {
			out = append(out, e)
		}
	}
	return out
}

func auditKind(e store.AuditEntry) string {
	k := e.KindOf()
	switch {
	case e.Kind == store.KindApply && e.AppliedBy != 0:
		k += " REFUSED already applied"
	case e.Kind == store.KindApply && e.Refused != "":
		k += " REFUSED stale"
	case e.Refused != "":
		k += " REFUSED"
	case e.Kind == store.KindDecision:
		k += " dry-run"
	case e.Kind == store.KindRelease && len(e.Denied) > 0:
		k += fmt.Sprintf(" %d kept", len(e.Denied))
	}
	if e.Forced {
		k += " FORCED"
	}
	return k
}

func auditSubject(e store.AuditEntry) string {
	s := e.Expr
	if e.Kind == store.KindApply && e.Plan != 0 {
		s = fmt.Sprintf("%s (plan audit %d)", e.Token, e.Plan)
	} else if e.Kind == store.KindApply {
		s = e.Token
	}
	if e.Reason != "" {
		if s != "" {
			s += " — "
		}
		s += e.Reason
	}
	return s
}

func auditID(arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id < 1 {
		return 0, &usageError{fmt.Sprintf("%q: expected an audit entry id (fleetq audit lists them)", arg)}
	}
	return id, nil
}

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

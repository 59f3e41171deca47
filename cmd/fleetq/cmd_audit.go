package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

type auditOptions struct {
	ledgerOptions
	since string
	kinds string

	kindSet map[string]bool // --kind, parsed by Validate (nil: every kind)
}

func (o *auditOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.StringVar(&o.since, "since", "", "only entries newer than this: a duration ago (24h, 7d) or an RFC 3339 time")
	fs.StringVar(&o.kinds, "kind", "", "only entries of these kinds, comma-separated ("+strings.Join(store.AuditKinds, ", ")+", incident)")
}

// Validate parses --kind and checks --since's syntax; runAudit reads
// --since against its clock.
func (o *auditOptions) Validate() (err error) {
	if _, err = parseSince(o.since, o.clock()); err != nil {
		return err
	}
	if o.kindSet, err = parseKinds(o.kinds); err != nil {
		return err
	}
	return o.ledgerOptions.Validate()
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
	a.bind(cmd, o)
	cmd.AddCommand(newAuditShowCommand(a), newAuditReplayCommand(a), newAuditVerifyCommand(a))
	return prints(cmd, auditLog(nil))
}

func runAudit(a *app, o *auditOptions) error {
	now := o.clock()
	since, err := parseSince(o.since, now)
	if err != nil {
		return err
	}
	kinds := o.kindSet
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

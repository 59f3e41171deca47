package main

import (
	"bufio"
	"fmt"
	"strconv"

	"github.com/fleetq/fleetq/internal/store"
)

// The audit family's shared pieces (audit, audit show, audit replay):
// an entry's kind and subject as listed, an entry without a decision in
// detail, and an entry id argument.

func auditKind(e store.AuditEntry) string {
	k := e.KindOf()
	switch {
	case e.Kind == store.KindApply && e.AppliedBy != 0:
		k += " REFUSED already applied"
	case e.Kind == store.KindApply && e.Refused != "":
		k += " REFUSED stale"
	case e.Refusal != nil:
		k += fmt.Sprintf(" %s ×%d", e.Refusal.Kind, e.Refusal.Count)
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
	if x := e.Refusal; x != nil {
		return fmt.Sprintf("%s from %s: %s", x.Op, x.Remote, x.Message)
	}
	s := e.Expr
	if (e.Kind == store.KindApply || e.Kind == store.KindCancel) && e.Plan != 0 {
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

// writeAuditDetail prints an entry that records no decision: its subject,
// a refusal, a lease that expired, and what happened to each host.
func writeAuditDetail(w *bufio.Writer, e *store.AuditEntry) {
	if s := auditSubject(*e); s != "" {
		fmt.Fprintf(w, "  %s\n", s)
	}
	if e.Refused != "" {
		fmt.Fprintf(w, "  REFUSED: %s\n", e.Refused)
	}
	if x := e.Refusal; x != nil {
		fmt.Fprintf(w, "  %d refused from %s to %s\n", x.Count, stampShort(x.First), stampShort(x.Last))
	}
	if e.AppliedBy != 0 {
		fmt.Fprintf(w, "  already applied by audit %d\n", e.AppliedBy)
	}
	if l := e.Lease; l != nil {
		fmt.Fprintf(w, "  lease %s %s held by %s (audit %d) from %s until %s: %s\n", l.Host, l.Verb, l.Requester, l.Audit,
			stampShort(l.Start), stampShort(l.Expiry), l.Reason)
	}
	if len(e.Hosts) > 0 {
		rows := make([][]string, len(e.Hosts))
		for i, h := range e.Hosts {
			rows[i] = []string{"  " + h.Host, h.Verb, h.Result, h.Detail}
		}
		writeTable(w, []string{"  HOST", "VERB", "RESULT", "DETAIL"}, rows)
		return
	}
	for _, h := range e.Approved {
		fmt.Fprintf(w, "  %s\n", h)
	}
	for _, x := range e.Denied {
		fmt.Fprintf(w, "  %s  %s  %s\n", x.Host, x.Rule, x.Detail)
	}
}

package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/nodeset"
	"github.com/fleetq/fleetq/internal/policy"
)

// deniedPerRule is how many denied hosts the text report lists per rule;
// --format json lists them all.
const deniedPerRule = 3

// outcome is the result of an action verb and of fleetq apply: the
// decision, and what became of it.
type outcome struct{ *actions.Outcome }

func (o outcome) jsonValue() any { return o.Outcome }

func (o outcome) writeText(w *textWriter) { writeOutcome(w.Writer, o.Outcome, false) }

func (o outcome) writeFolded(w *textWriter) { writeOutcome(w.Writer, o.Outcome, true) }

func writeOutcome(w *bufio.Writer, out *actions.Outcome, folded bool) {
	d := out.Decision
	dur := ""
	if d.Duration > 0 {
		dur = ", duration " + time.Duration(d.Duration).String()
	}
	fmt.Fprintf(w, "%s %s: %s selected (pass %d, policy %.12s, seed %d%s)\n", d.Verb, quoteExpr(d.Expr), plural(d.Requested, "host"), d.Pass, d.PolicyHash, d.Seed, dur)
	if out.WhatIf {
		fmt.Fprintf(w, "WHAT-IF at %s: not recorded in the audit log, no token; a real decision is made at the machine's clock\n", stampShort(d.Now))
	}
	writeEvidence(w, d.Evidence)
	for _, n := range d.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if d.Refused != "" {
		fmt.Fprintf(w, "REFUSED: %s (audit %d)\n", d.Refused, out.Audit)
		return
	}
	for _, c := range d.Clusters {
		fmt.Fprintf(w, "  %s\n", c)
		for _, l := range c.Constraints {
			fmt.Fprintf(w, "    %s\n", l.Text)
		}
		extra := fmt.Sprintf("requested %d, approved %d", c.Requested, c.Approved)
		if c.Frozen != "" {
			extra += "; frozen: " + c.Frozen
		}
		fmt.Fprintf(w, "    %s\n", extra)
	}
	writeApproved(w, d, folded)
	writeDenied(w, d)
	writeVerdict(w, out)
}

// writeEvidence is one line: the age of the pass and of every source the
// decision read, the stale ones marked.
func writeEvidence(w *bufio.Writer, ev []actions.Evidence) {
	if len(ev) == 0 {
		return
	}
	parts := make([]string, len(ev))
	for i, e := range ev {
		parts[i] = e.Source + " " + e.Age
		if e.Stale {
			parts[i] += " STALE (max " + e.MaxAge + ")"
		}
	}
	fmt.Fprintf(w, "evidence: %s\n", strings.Join(parts, ", "))
}

// writeApproved lists the approved hosts; one approved past a freeze, an
// incident or stale evidence by --force says so on its own line.
func writeApproved(w *bufio.Writer, d *actions.Decision, folded bool) {
	hosts := d.Approved
	fmt.Fprintf(w, "\napproved %d:\n", len(hosts))
	if folded && len(hosts) > 0 {
		fmt.Fprintf(w, "  %s\n", nodeset.Fold(hosts))
		return
	}
	forced := map[string]bool{}
	for _, l := range d.Leases() {
		forced[l.Host] = l.Forced
	}
	for _, h := range hosts {
		if forced[h] {
			fmt.Fprintf(w, "  %s  FORCED (%s)\n", h, d.Reason)
			continue
		}
		fmt.Fprintf(w, "  %s\n", h)
	}
}

func writeDenied(w *bufio.Writer, d *actions.Decision) {
	if len(d.Denied) == 0 {
		return
	}
	fmt.Fprintf(w, "\ndenied %d:\n", len(d.Denied))
	rows := make([][]string, 0, len(d.Rules))
	for _, r := range d.Rules {
		rows = append(rows, []string{"  " + r.Rule, strconv.Itoa(r.Hosts), blockKind(r.Transient)})
	}
	writeTable(w, []string{"  RULE", "HOSTS", "BLOCK"}, rows)
	fmt.Fprintln(w)
	shown := map[string]int{}
	rows = rows[:0]
	for _, x := range d.Denied {
		if shown[x.Rule]++; shown[x.Rule] <= deniedPerRule {
			rows = append(rows, []string{"  " + x.Host, x.Rule, x.Detail})
		}
	}
	writeTable(w, []string{"  HOST", "RULE", "DETAIL"}, rows)
	if len(rows) < len(d.Denied) {
		fmt.Fprintf(w, "  … %d more (at most %d shown per rule; --format json lists every host)\n", len(d.Denied)-len(rows), deniedPerRule)
	}
}

func blockKind(transient bool) string {
	if transient {
		return "transient"
	}
	return "permanent"
}

// onlyGates reports whether every denial of a decision is a cluster gate's.
func onlyGates(rules []actions.RuleCount) bool {
	for _, r := range rules {
		if !actions.IsGateRule(r.Rule) {
			return false
		}
	}
	return len(rules) > 0
}

// onlyWindows reports whether every denial of a decision is a
// transient window rule (closed, overrun).
func onlyWindows(rules []actions.RuleCount) bool {
	for _, r := range rules {
		if r.Rule != actions.RuleWindowClosed && r.Rule != actions.RuleWindowOverrun {
			return false
		}
	}
	return len(rules) > 0
}

func writeVerdict(w *bufio.Writer, out *actions.Outcome) {
	fmt.Fprintln(w)
	d := out.Decision
	switch d.Blocked() {
	case "transient":
		if onlyWindows(d.Rules) {
			fmt.Fprintln(w, "nothing approved: do nothing now. The hosts are outside their maintenance windows (transient): retry when they open (each denial says when).")
			break
		}
		if onlyGates(d.Rules) {
			fmt.Fprintln(w, "nothing approved: do nothing now. A cluster gate fails (transient): retry after a newer pass shows it holding.")
			break
		}
		fmt.Fprintln(w, "nothing approved: do nothing now. The budget is spent (transient): retry after the oldest lease expires or unavailable hosts return.")
	case "permanent":
		fmt.Fprintln(w, "nothing approved: every host is blocked by an invariant, a freeze or the policy (permanent): retrying will not help until that changes.")
	}
	if d.Forced {
		fmt.Fprintf(w, "FORCED past a freeze, an incident, stale evidence or a maintenance window: %q (recorded; forced leases expire sooner)\n", d.Reason)
	}
	if d.ForcedStale != "" {
		fmt.Fprintf(w, "FORCED past stale evidence: %s\n", d.ForcedStale)
	}
	switch {
	case out.WhatIf:
		fmt.Fprintln(w, "what-if: nothing recorded")
	case out.Committed && out.AppliedFrom != 0:
		fmt.Fprintf(w, "applied plan audit %d: %d leases granted (audit %d)\n", out.AppliedFrom, len(d.Approved), out.Audit)
	case out.Committed:
		fmt.Fprintf(w, "committed: %d leases granted (audit %d)\n", len(d.Approved), out.Audit)
	default:
		fmt.Fprintf(w, "dry run: nothing changed but the audit log (audit %d)\n", out.Audit)
		if len(d.Approved) > 0 {
			fmt.Fprintf(w, "plan token %s\n  fleetq apply %s   # commits exactly this plan\n", out.Token, out.Token)
		}
	}
}

// finishOutcome prints an outcome, runs the executor for committed hosts
// and turns a refusal into exit 1. Under fleetq serve the executor does
// not run: the arbiter grants leases, the requester does the work (a node
// that asked by FleetLock reboots itself).
func finishOutcome(a *app, pol *policy.Policy, out *actions.Outcome) error {
	if a.outcomes != nil {
		a.outcomes(out)
	}
	if err := a.print(outcome{out}); err != nil {
		return err
	}
	if out.Refused != "" {
		return fmt.Errorf("%w: %s", actions.ErrRefused, out.Refused)
	}
	if out.Committed && len(out.Approved) > 0 && !a.served() {
		return runExecutor(a, pol.Rules(out.Verb).Executor, out)
	}
	return nil
}

// runExecutor runs the policy's executor with the approved hosts on
// stdin, one per line. The leases stand whatever it does.
func runExecutor(a *app, argv []string, out *actions.Outcome) error {
	if len(argv) == 0 {
		return nil
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = strings.NewReader(strings.Join(out.Approved, "\n") + "\n")
	cmd.Stdout, cmd.Stderr = a.stderr, a.stderr
	cmd.Env = append(os.Environ(), "FLEETQ_VERB="+out.Verb, fmt.Sprintf("FLEETQ_AUDIT=%d", out.Audit), "FLEETQ_REASON="+out.Reason)
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("executor %s exited %d; the leases stand (fleetq release HOST… once the hosts are healthy)", argv[0], ee.ExitCode())
		}
		return fmt.Errorf("executor %s: %w; the leases stand", argv[0], err)
	}
	fmt.Fprintf(a.stderr, "# executor %s ran with %d hosts\n", argv[0], len(out.Approved))
	return nil
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

type verbOptions struct {
	ledgerOptions
	reason   string
	commit   bool
	yes      bool
	force    bool
	seed     uint64
	whatIf   string
	duration string
}

func (o *verbOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.StringVar(&o.reason, "reason", "", "why (required; recorded in the leases and the audit log)")
	fs.BoolVar(&o.commit, "commit", false, "grant the leases now (default: dry run, printing a plan token)")
	fs.BoolVarP(&o.yes, "yes", "y", false, "with --commit: do not ask (scripts and cron must say it; a terminal is asked for an exact y)")
	fs.BoolVar(&o.force, "force", false, "act on a frozen cluster or during an incident (within the budget; recorded; needs --reason)")
	fs.Uint64Var(&o.seed, "seed", 0, "seed for the shuffle and the expression's random stages (default: random, recorded)")
	fs.StringVar(&o.duration, "duration", "", "lease length to ask for (`DURATION`: 2h, 1d12h), at most the verb's max_duration (default: the verb's lease); recorded in the plan token, so apply commits the same")
	fs.StringVar(&o.whatIf, "what-if", "", "decide as if the clock read `TIME` (RFC 3339, or a duration from now: 25h): a dry run that records nothing and prints no token")
}

func (o *verbOptions) Validate() error {
	if strings.TrimSpace(o.reason) == "" {
		return &usageError{"--reason is required: say why, it is recorded with the decision"}
	}
	if o.whatIf != "" && o.commit {
		return &usageError{"--what-if is for dry runs: a decision that grants leases is made at the machine's clock"}
	}
	if o.whatIf != "" {
		if _, err := whatIfClock("--what-if", o.whatIf); err != nil {
			return err
		}
	}
	if _, err := o.requestedDuration(); err != nil {
		return err
	}
	return o.ledgerOptions.Validate()
}

// requestedDuration is --duration: 0 when not given, else a positive
// whole number of seconds (a plan token records it in seconds).
func (o *verbOptions) requestedDuration() (time.Duration, error) {
	if o.duration == "" {
		return 0, nil
	}
	d, err := policy.ParseDuration(o.duration)
	switch {
	case err != nil:
		return 0, &usageError{fmt.Sprintf("--duration %q: %v (write 30m, 2h, 1d12h)", o.duration, err)}
	case d <= 0 || d%time.Second != 0:
		return 0, &usageError{fmt.Sprintf("--duration %q: must be a positive whole number of seconds", o.duration)}
	}
	return d, nil
}

var verbSummaries = map[string]string{
	"drain":    "take hosts out of service for maintenance",
	"undrain":  "put drained hosts back in service",
	"reboot":   "reboot hosts",
	"rekick":   "reinstall hosts (only hosts HDFS and YARN no longer serve)",
	"burnin":   "burn in hosts (only hosts HDFS and YARN no longer serve)",
	"firmware": "update firmware on hosts",
}

// newVerbCommand is the one command template of the six action verbs
// (policy.Verbs: drain, undrain, reboot, rekick, burnin, firmware): they
// share every flag, the help, the decision and its rendering, and differ
// only in the verb the policy's rules are looked up by. So they are one
// file, cmd_verbs.go, not six copies.
func newVerbCommand(a *app, verb string) *cobra.Command {
	o := &verbOptions{}
	cmd := &cobra.Command{
		Use:   verb + " EXPR --reason TEXT [--commit [--yes]] [--force]",
		Short: "Decide which hosts may " + verb + " now: " + verbSummaries[verb],
		Long: fmt.Sprintf(`Route the hosts of EXPR through the safety invariants and the policy
budgets and print the decision: the approved hosts, every denied host with
the rule that denied it, and each cluster's arithmetic by cause:

  smf1-dense-02 (dense): 6%% of 412 = 24 (floor 1, ceiling 200);
    unavailable 17 = dead 9 + repair 8; headroom 7

Without --commit this is a dry run: only the audit log changes, and a plan
token is printed; 'fleetq apply TOKEN' commits exactly that plan. With
--commit the approved hosts get leases in the same write transaction that
re-checks every budget, so concurrent runs never together exceed one.

An empty selection approves nothing; more hosts than the policy's
max_request are refused before any rule runs. A decision that approves
nothing (budget full: transient; freeze or invariant: permanent) is a
successful run. Hosts are taken in a random order from --seed (recorded).
A pass, or a source the invariants, budgets, unavailable expression or
health set read, older than the policy's max_evidence_age (default 2h)
refuses every host (invariant:stale-evidence) until fresh sources are
ingested or --force --reason. --duration asks for leases of that length
instead of the verb's lease, at most the verb's max_duration in the policy
(default: its lease); longer is refused naming the maximum, nothing
written. A forced lease is still capped by force_lease. The decision is made at the machine's clock;
--what-if TIME shows the answer at another time without recording it.
The policy is --policy, else $FLEETQ_POLICY, else fleetq.policy.toml beside
the database; see 'docs/actions.md'.

Examples:
  fleetq %[1]s 'cluster = "smf1-dense-02" & lifecycle = "active"' --reason "disk swap"
  fleetq %[1]s 'dead-reboot' --reason "INC-123" --commit   # on a terminal: asks for y
  fleetq %[1]s 'dead-reboot' --reason "INC-123" --commit --yes  # in scripts and cron
  fleetq %[1]s 'cluster = "smf1-dense-02"' --reason "fw" --format json | jq .approved
  fleetq %[1]s 'cluster = "smf1-dense-02"' --reason "fw" --what-if 25h   # after today's leases expire
  fleetq %[1]s 'cluster = "smf1-dense-02"' --reason "fw" --duration 2h  # leases of 2h (at most max_duration)

`, verb) + exitCodesHelp,
		Args:              exprArgs(1),
		ValidArgsFunction: a.completeExprArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerb(cmd.Context(), a, o, verb, args[0])
		},
	}
	a.bind(cmd, o)
	return prints(cmd, outcome{})
}

func runVerb(ctx context.Context, a *app, o *verbOptions, verb, expr string) error {
	pol, now, err := o.policyAndClock(a)
	if err != nil {
		return err
	}
	seed := o.seed
	if seed == 0 {
		seed = randomSeed()
	}
	dur, err := o.requestedDuration()
	if err != nil {
		return err
	}
	req := actions.Request{Verb: verb, Expr: expr, Reason: o.reason, Requester: o.requester(a), Force: o.force, Seed: seed, Now: now,
		Duration: actions.Span(dur)}
	if o.whatIf != "" {
		return runWhatIf(ctx, a, o, req)
	}
	confirm := o.commit && !o.yes
	if confirm && !isTerminal(a.stdin) {
		return &usageError{"--commit grants leases: scripts add --yes (on a terminal fleetq asks); without --commit this is a dry run"}
	}
	var out *actions.Outcome
	err = a.update(func(tx *store.Tx) error {
		out, err = actions.Run(ctx, tx, pol, req, o.commit && !confirm)
		return err
	})
	if err != nil {
		return err
	}
	if confirm {
		return confirmAndApply(ctx, a, pol, o, out)
	}
	return finishOutcome(a, pol, out)
}

// runWhatIf decides at another clock reading in a read-only transaction:
// nothing goes to the ledger or the audit log, and there is no token, so
// the decision can be read and never applied.
func runWhatIf(ctx context.Context, a *app, o *verbOptions, req actions.Request) error {
	at, err := whatIfClock("--what-if", o.whatIf)
	if err != nil {
		return err
	}
	req.Now = at
	pol, err := o.loadPolicy(a)
	if err != nil {
		return err
	}
	var out *actions.Outcome
	err = a.view(func(tx *store.Tx) error {
		d, err := actions.WhatIf(ctx, tx, pol, req)
		out = &actions.Outcome{Decision: d, WhatIf: true}
		return err
	})
	if err != nil {
		return err
	}
	return finishOutcome(a, pol, out)
}

// confirmAndApply shows the plan a --commit on a terminal would grant and
// applies exactly that plan (by its token, re-checked against the ledger)
// when the operator types an exact y. Anything else commits nothing.
func confirmAndApply(ctx context.Context, a *app, pol *policy.Policy, o *verbOptions, out *actions.Outcome) error {
	if err := finishOutcome(a, pol, out); err != nil || len(out.Approved) == 0 {
		return err
	}
	fmt.Fprintf(a.stderr, "grant %s leases to these %d hosts? type y to commit: ", out.Verb, len(out.Approved))
	line, _ := bufio.NewReader(a.stdin).ReadString('\n')
	if strings.TrimSpace(line) != "y" {
		fmt.Fprintf(a.stderr, "not committed (the plan stays in the audit log: fleetq apply %s)\n", out.Token)
		return nil
	}
	return runApply(ctx, a, &applyOptions{ledgerOptions: o.ledgerOptions}, out.Token)
}

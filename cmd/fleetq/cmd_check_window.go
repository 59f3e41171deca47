package main

import (
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

type checkWindowsOptions struct {
	ledgerOptions
	verb string
	at   string
}

func (o *checkWindowsOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.StringVar(&o.verb, "verb", "", "judge the windows that gate `VERB` (default: every verb's: the [windows] rules and every week)")
	fs.StringVar(&o.at, "at", "", "judge as if the clock read `TIME` (RFC 3339, or a duration from now): which weeks are still to come; check only reads")
}

func (o *checkWindowsOptions) Validate() error {
	if o.verb != "" && !policy.IsVerb(o.verb) {
		return &usageError{fmt.Sprintf("--verb %q: expected one of %s", o.verb, strings.Join(policy.Verbs, ", "))}
	}
	if o.at != "" {
		if _, err := whatIfClock("--at", o.at); err != nil {
			return err
		}
	}
	return nil
}

func newCheckWindowsCommand(a *app) *cobra.Command {
	o := &checkWindowsOptions{}
	cmd := &cobra.Command{
		Use:   "windows [EXPR] [--verb VERB]",
		Short: "Check that every host of a selection has a maintenance window (or a week slot)",
		Long: `Check that every host EXPR selects in the newest pass (default: all) has
a usable maintenance window, as the verbs would find it
(docs/windows.md): a slot in a maintenance week that is running or still
to come (planned, not ended), else the policy's [windows]: the host's
own value of the [windows] attr (the CMDB column), then the
[[windows.rule]] for an expression holding it (file order), its
cluster, its role.

Listed, as gaps:

  none       no window at all (the verbs deny it window:none under the
             default missing = "deny" for a disruptive verb)
  invalid    its window value does not parse (denied window:invalid)
  unslotted  a week left it without a slot: while the week runs it has
             no window, whatever its own windows
  conflict   two weeks whose spans overlap both list it

--verb VERB judges the windows that gate VERB only: the weeks gating
it, and [windows] when its verbs include VERB; a verb nothing gates is
reported as approved at any time (exit 0). Nothing is written.

Exit status: 0 when every host is covered, 4 when any is listed (as a
failed assert or a halted wave), 1 on an error.

Examples:
  fleetq check windows
  fleetq check windows 'dc = "ams1"' --verb reboot
  fleetq check windows --format json | jq -r '.gaps[] | select(.kind == "none") | .host'

` + exitCodesHelp,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			expr := "all"
			if len(args) == 1 {
				expr = args[0]
			}
			return runCheckWindows(cmd.Context(), a, o, expr)
		},
	}
	a.bind(cmd, o)
	return prints(cmd, windowCheck{})
}

func runCheckWindows(ctx context.Context, a *app, o *checkWindowsOptions, expr string) error {
	pol, err := o.policyOrDefault(a)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if o.at != "" {
		if now, err = whatIfClock("--at", o.at); err != nil {
			return err
		}
	}
	var c *actions.WindowCheck
	err = a.view(func(tx *store.Tx) error {
		c, err = actions.CheckWindows(ctx, tx, pol, expr, o.verb, now)
		return err
	})
	if err != nil {
		return err
	}
	if err := a.print(windowCheck{c}); err != nil {
		return err
	}
	if len(c.Gaps) > 0 {
		return &exitError{code: exitAssert, err: fmt.Errorf("check windows: %s without a usable window", plural(len(c.Gaps), "host")), silent: true}
	}
	return nil
}

// windowCheck renders actions.WindowCheck.
type windowCheck struct{ *actions.WindowCheck }

func (c windowCheck) jsonValue() any { return c.WindowCheck }

func (c windowCheck) writeText(w *textWriter) {
	verb := "every verb"
	if c.Verb != "" {
		verb = c.Verb
	}
	fmt.Fprintf(w, "windows of %s for %s: %s in pass %d, clock %s\n", quoteExpr(c.Expr), verb, plural(c.Hosts, "host"), c.Pass, stampShort(c.Now))
	if !c.Gated {
		fmt.Fprintf(w, "no maintenance window gates %s (no [windows] verbs entry, no week): it is approved at any time\n", c.Verb)
		return
	}
	if len(c.Weeks) > 0 {
		fmt.Fprintf(w, "weeks: %s (a slot replaces the host's own windows while its week runs)\n", strings.Join(c.Weeks, ", "))
	}
	parts := make([]string, len(c.BySource))
	for i, s := range c.BySource {
		parts[i] = fmt.Sprintf("%s %d", s.Source, s.Hosts)
	}
	fmt.Fprintf(w, "covered %d of %d; by source: %s\n", c.Covered, c.Hosts, strings.Join(parts, ", "))
	if len(c.Gaps) == 0 {
		fmt.Fprintln(w, "ok: every host has a window")
		return
	}
	rows := make([][]string, len(c.Gaps))
	for i, g := range c.Gaps {
		rows[i] = []string{"  " + g.Host, orDash(g.Cluster), g.Kind, g.Detail}
	}
	fmt.Fprintf(w, "\nwithout a usable window %d:\n", len(c.Gaps))
	writeTable(w, []string{"  HOST", "CLUSTER", "KIND", "DETAIL"}, rows)
}

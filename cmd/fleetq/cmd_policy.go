package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

type policyOptions struct{ policy string }

func (o *policyOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.policy, "policy", "", "policy file or directory (default $FLEETQ_POLICY, else fleetq.policy.toml or fleetq.policy.d/ beside the database)")
}

func (o *policyOptions) Validate() error { return nil }

func newPolicyCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Show what the policy sets for a cluster, and check a policy file or directory",
		Long: `Read the policy the action verbs read: --policy FILE|DIR, else
$FLEETQ_POLICY, else fleetq.policy.toml or fleetq.policy.d/ beside the
database (both there is an error). A directory holds DIR/*.toml and
DIR/ROLE/CLUSTER.toml, merged as docs/actions.md ("A policy directory")
describes.

Examples:
  fleetq policy show smf1-dense-02
  fleetq policy check examples/policy/

Exit status: that of the subcommand (without one, this help and 0).
`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newPolicyShowCommand(a), newPolicyCheckCommand(a))
	return cmd
}

func newPolicyShowCommand(a *app) *cobra.Command {
	o := &policyOptions{}
	cmd := &cobra.Command{
		Use:   "show CLUSTER",
		Short: "Print the effective constraints of one cluster and where each is written",
		Long: `Print what applies to one cluster of the newest pass: its archetype
(and whether a [cluster."NAME"] exception or a DIR/ROLE/CLUSTER.toml
file forced it), each verb's budget with its arithmetic at the cluster's
size, lease, rate and cooldown, and then every policy key that applies
(global keys, its archetype's, its exception's), each with the file and
line it is written at. A key without a place has its default.

Examples:
  fleetq policy show smf1-dense-02
  fleetq policy show --policy examples/policy/ smf1-critical-01 --format json

Exit status: 0, or 1 when the policy does not load (a merge conflict,
an unknown key) or the cluster is not in the newest pass.
`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyShow(cmd.Context(), a, o, args[0], a.stdout)
		},
	}
	a.bind(cmd, o)
	return prints(cmd, (*effective)(nil))
}

func runPolicyShow(ctx context.Context, a *app, o *policyOptions, cluster string, _ io.Writer) error {
	path, err := policy.Find(o.policy, os.Getenv("FLEETQ_POLICY"), a.dbPath())
	if err != nil {
		return err
	}
	pol, err := policy.Load(path)
	if err != nil {
		return err
	}
	var e *policy.Effective
	err = a.view(func(tx *store.Tx) error {
		p, err := tx.Pass(0)
		if err != nil {
			return err
		}
		e, err = pol.Show(ctx, p, cluster)
		return err
	})
	if err != nil {
		return err
	}
	return a.print(&effective{e, pol})
}

// effective renders policy.Effective.
type effective struct {
	e   *policy.Effective
	pol *policy.Policy
}

func (r *effective) jsonValue() any {
	return struct {
		Policy string `json:"policy"`
		Hash   string `json:"policy_hash"`
		*policy.Effective
	}{r.pol.Path, r.pol.Hash, r.e}
}

func (r *effective) writeText(w *textWriter) {
	e := r.e
	fmt.Fprintf(w, "cluster %s: %d hosts in pass %d; policy %s (%s)\n", e.Cluster, e.Size, e.Pass, r.pol.Path, r.pol.Short())
	fmt.Fprintf(w, "archetype %s%s\n\n", e.Archetype, from(e.ArchFrom))
	rows := [][]string{{"VERB", "BUDGET", "FROM", "LEASE", "RATE", "COOLDOWN"}}
	for _, v := range e.Verbs {
		rows = append(rows, []string{v.Verb, v.Budget, orDash(v.BudgetFrom), v.Lease + from(v.LeaseFrom),
			orDash(v.Rate) + from(v.RateFrom), orDash(v.Cooldown) + from(v.CoolFrom)})
	}
	writeColumns(w, rows)
	writeWindowsEffect(w, e.Windows)
	fmt.Fprintf(w, "\nsettings that apply (a cluster's exception before its archetype's budgets):\n")
	rows = [][]string{{"LAYER", "KEY", "VALUE", "FROM"}}
	for _, s := range e.Settings {
		rows = append(rows, []string{s.Layer, s.Key, s.Value, orDash(s.Where)})
	}
	writeColumns(w, rows)
}

// writeWindowsEffect prints the maintenance windows that may apply to
// the cluster's hosts, in precedence order.
func writeWindowsEffect(w *textWriter, e *policy.WindowsEffect) {
	if e == nil {
		return
	}
	fmt.Fprintf(w, "\nmaintenance windows gate %s; a host without one: %s\n", strings.Join(e.Verbs, ", "), e.Missing)
	fmt.Fprintln(w, "a host's windows, first match wins:")
	if e.Attr != "" {
		fmt.Fprintf(w, "  its own %s value (%d hosts have one)\n", e.Attr, e.OwnValues)
	}
	for _, r := range e.Rules {
		hosts := fmt.Sprintf("%d hosts", r.Hosts)
		if r.Hosts < 0 {
			hosts = "the hosts it holds"
		}
		fmt.Fprintf(w, "  [[windows.rule]] %d, %s %s (%s): %s%s\n", r.Rule, r.Kind, r.Target, hosts, r.Windows, from(r.From))
	}
}

func from(where string) string {
	if where == "" {
		return ""
	}
	return "  (" + where + ")"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeColumns writes rows as left-aligned columns two spaces apart.
func writeColumns(w io.Writer, rows [][]string) {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(c)
				break
			}
			b.WriteString(c + strings.Repeat(" ", widths[i]-len(c)+2))
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func newPolicyCheckCommand(a *app) *cobra.Command {
	o := &policyOptions{}
	cmd := &cobra.Command{
		Use:   "check [FILE|DIR]",
		Short: "Validate a policy file or directory against the newest pass (for the owners' CI)",
		Long: `Load a policy (the argument, else --policy, $FLEETQ_POLICY, or the one
beside the database) as the verbs would, merging a directory, and
compile and evaluate every expression in it against the newest pass,
each finding named FILE:LINE; the attributes it names must exist. What
'fleetq check' reports on the policy, alone. Nothing is written.

Exit status: 0 when the policy loads and every expression evaluates
(warnings allowed), 1 on a failure: a merge conflict, an unknown key, a
bad value or an expression that does not compile or evaluate.

Examples:
  fleetq policy check examples/policy/
  fleetq --db fleet-snapshot.db policy check ./policy   # in CI
`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.policy = args[0]
			}
			return runPolicyCheck(cmd.Context(), a, o, a.stdout)
		},
	}
	a.bind(cmd, o)
	return prints(cmd, findings(nil))
}

func runPolicyCheck(ctx context.Context, a *app, o *policyOptions, _ io.Writer) error {
	pol, loaded := loadCheckPolicy(a, &checkOptions{policy: o.policy})
	if pol == nil && loaded.Level == levelWarn {
		loaded.Level = levelFail // policy check without a policy fails
	}
	var fs []finding
	err := a.view(func(tx *store.Tx) error {
		p, err := tx.Pass(0)
		if err != nil {
			return err
		}
		snap, err := tx.Snapshot(p.ID())
		if err != nil {
			return err
		}
		fs = policyFindings(ctx, snap, pol, loaded)
		return nil
	})
	if err != nil {
		return err
	}
	if err := a.print(findings(fs)); err != nil {
		return err
	}
	if n := countProblems(fs); n > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("policy check: %s found", plural(n, "problem"))}
	}
	return nil
}

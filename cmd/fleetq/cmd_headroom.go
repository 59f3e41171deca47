package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

type headroomOptions struct {
	ledgerOptions
	verbs    []string
	clusters []string
}

func (o *headroomOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.StringSliceVar(&o.verbs, "verb", nil, "only these `VERB`s, comma-separated or repeated (default: every verb: "+strings.Join(policy.Verbs, ", ")+")")
	fs.StringSliceVar(&o.clusters, "cluster", nil, "only these `CLUSTER`s, comma-separated or repeated (default: every cluster of the newest pass)")
}

func (o *headroomOptions) Validate() error {
	for _, v := range o.verbs {
		if !policy.IsVerb(v) {
			return &usageError{fmt.Sprintf("--verb %q: expected one of %s", v, strings.Join(policy.Verbs, ", "))}
		}
	}
	return o.ledgerOptions.Validate()
}

// verbList is --verb, or every verb.
func (o *headroomOptions) verbList() []string {
	if len(o.verbs) == 0 {
		return policy.Verbs
	}
	return o.verbs
}

func newHeadroomCommand(a *app) *cobra.Command {
	o := &headroomOptions{}
	cmd := &cobra.Command{
		Use:   "headroom [--verb VERB,…] [--cluster CLUSTER,…]",
		Short: "Show each cluster's budget for each verb now: cap, hosts out by cause, headroom",
		Long: `Show, for every cluster of the newest pass and every verb, the budget
arithmetic a decision made now would start from, before any host is
judged: the cluster's archetype and size, the hosts already out by cause
(the policy's unavailable expression, the control planes' states, leased,
stuck), the cap and the headroom left (cap − out). It is the cluster line
a verb prints, for every cluster at once:

  drain  smf1-dense-02  dense  412  21 = dead 9 + repair 8 + leased 4  24  3

A headroom of 0 or less approves nothing for that verb in that cluster
until hosts come back or leases end. A verb the archetype gives no budget
shows "no budget" (the verb is refused there, policy:no-budget). Rack,
replica-group and [[limits.per]] budgets, rates and cooldowns also refuse
hosts; they depend on the hosts asked for, so a decision shows them.
Read-only: nothing is written. The policy is --policy, else
$FLEETQ_POLICY, else fleetq.policy.toml or fleetq.policy.d/ beside the
database. GET /v1/headroom serves it (fleetq serve).

Examples:
  fleetq headroom
  fleetq headroom --verb drain --cluster smf1-dense-02
  fleetq headroom --verb reboot --format json | jq '.clusters[] | select(.headroom <= 0) | .cluster'

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHeadroom(cmd.Context(), a, o)
		},
	}
	a.bind(cmd, o)
	a.completeFlag(cmd, "verb", fixedValues(policy.Verbs))
	return prints(cmd, (*headroomResult)(nil))
}

// headroomResult is the result of fleetq headroom.
type headroomResult struct{ *actions.HeadroomReport }

func runHeadroom(ctx context.Context, a *app, o *headroomOptions) error {
	pol, now, err := o.policyAndClock(a)
	if err != nil {
		return err
	}
	var r *actions.HeadroomReport
	if err := a.view(func(tx *store.Tx) (err error) {
		r, err = actions.Headroom(ctx, tx, pol, o.verbList(), o.clusters, now)
		return err
	}); err != nil {
		return err
	}
	if missing := missingClusters(r, o.clusters); len(missing) > 0 {
		return fmt.Errorf("--cluster: no cluster %s in pass %d (fleetq query 'all | by %s' lists them)", strings.Join(missing, ", "), r.Pass, pol.ClusterAttr)
	}
	return a.print(&headroomResult{r})
}

// missingClusters are the clusters asked for that the pass lacks: a
// mistyped name is an error, not an empty table.
func missingClusters(r *actions.HeadroomReport, asked []string) []string {
	var out []string
	for _, c := range asked {
		if !slices.ContainsFunc(r.Clusters, func(h actions.ClusterHeadroom) bool { return h.Cluster == c }) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func (r *headroomResult) jsonValue() any { return r.HeadroomReport }

func (r *headroomResult) writeText(w *textWriter) {
	fmt.Fprintf(w, "pass %d\n", r.Pass)
	rows := make([][]string, 0, len(r.Clusters))
	for _, c := range r.Clusters {
		arch := c.Archetype
		if c.Exception {
			arch += " (exception)"
		}
		capText, head := "no budget", "-"
		if c.Budgeted {
			capText, head = strconv.Itoa(c.Cap), strconv.Itoa(c.Headroom)
		}
		if c.Frozen != "" {
			head += " FROZEN"
		}
		rows = append(rows, []string{c.Verb, c.Cluster, arch, strconv.Itoa(c.Size), unavailableText(c), capText, head})
	}
	writeTable(w, []string{"VERB", "CLUSTER", "ARCHETYPE", "SIZE", "UNAVAILABLE", "CAP", "HEADROOM"}, rows)
}

// unavailableText is "21 = dead 9 + repair 8 + leased 4", or "0".
func unavailableText(c actions.ClusterHeadroom) string {
	if len(c.Causes) == 0 {
		return strconv.Itoa(c.Unavailable)
	}
	parts := make([]string, len(c.Causes))
	for i, x := range c.Causes {
		parts[i] = fmt.Sprintf("%s %d", x.Name, x.Hosts)
	}
	return fmt.Sprintf("%d = %s", c.Unavailable, strings.Join(parts, " + "))
}

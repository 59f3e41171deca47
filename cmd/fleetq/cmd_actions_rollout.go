package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

func newPlanCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plan rollout EXPR --waves 1%,5%,25%,100% --canary-by ATTR,…",
		Short: "Plan a progressive rollout: canaries, then waves spread across racks",
		Long: `Plans that are saved into the pass. See 'fleetq plan rollout --help'.

Examples:
  fleetq plan rollout 'role = "hadoop-worker"' --waves 1%,5%,25%,100% --canary-by sku,role

` + exitCodesHelp,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newPlanRolloutCommand(a))
	return cmd
}

type rolloutOptions struct {
	ledgerOptions
	waves    string
	canaryBy string
	name     string
	seed     uint64
	pass     int64
}

func newPlanRolloutCommand(a *app) *cobra.Command {
	o := &rolloutOptions{}
	cmd := &cobra.Command{
		Use:   "rollout EXPR --waves 1%,5%,25%,100% [--canary-by ATTR,…] [--name NAME]",
		Short: "Split EXPR into a canary wave and waves of cumulative sizes, saved as sets",
		Long: `Split the hosts of EXPR into waves and save them as sets of the newest pass:
NAME-w0 is the canary wave, one host per combination of the --canary-by
attributes (one host when none are given); NAME-w1, NAME-w2, … bring the
rollout to the cumulative sizes of --waves (percent of EXPR's hosts,
rounded up, the last 100%), each drawn rack by rack so it spans as many
racks as it can. The seed is printed and recorded. Use the sets as the
targets of the action verbs ('fleetq reboot rollout-w1 --reason …') and
judge each wave with 'fleetq check wave N' before the next.

Examples:
  fleetq plan rollout 'role = "hadoop-worker"' --waves 1%,5%,25%,100% --canary-by sku,role
  fleetq query rollout-w0 | head
  fleetq check wave 1

` + exitCodesHelp,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeExprArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlanRollout(cmd.Context(), a, o, args[0])
		},
	}
	o.AddFlags(cmd)
	cmd.Flags().StringVar(&o.waves, "waves", "1%,5%,25%,100%", "cumulative wave sizes in percent, the last 100%")
	cmd.Flags().StringVar(&o.canaryBy, "canary-by", "", "attributes whose every combination gets one canary host (sku,role)")
	cmd.Flags().StringVar(&o.name, "name", "rollout", "prefix of the saved wave sets (NAME-w0, NAME-w1, …)")
	cmd.Flags().Uint64Var(&o.seed, "seed", 0, "seed for the canaries and the waves (default: random, printed)")
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func runPlanRollout(ctx context.Context, a *app, o *rolloutOptions, expr string) error {
	waves, err := actions.ParseWaves(o.waves)
	if err != nil {
		return &usageError{err.Error()}
	}
	pol, err := o.policyOrDefault(a)
	if err != nil {
		return err
	}
	now, err := o.clock()
	if err != nil {
		return err
	}
	seed := o.seed
	if seed == 0 {
		seed = randomSeed()
	}
	var plan *actions.RolloutPlan
	err = a.update(commandLine(), func(tx *store.Tx) error {
		snap, err := tx.Snapshot(0)
		if err != nil {
			return err
		}
		env := &query.Env{Ctx: ctx, Snap: snap, Seed: seed}
		if plan, err = actions.PlanRollout(env, o.name, expr, waves, splitList(o.canaryBy), pol.RackAttr); err != nil {
			return err
		}
		if err := tx.SaveSets(plan.Pass, plan.Sets()); err != nil {
			return err
		}
		_, err = tx.AppendAudit(&store.AuditEntry{Time: now, Requester: o.requester(), Kind: "rollout", Expr: expr,
			Reason: fmt.Sprintf("waves %s canary-by %s saved as %s-w*", o.waves, o.canaryBy, o.name),
			Pass:   plan.Pass, Seed: seed, LedgerVersion: tx.LedgerVersion(), Committed: true, Approved: []string{}})
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "# seed %d\n", seed)
	if a.format == "json" {
		return writeJSON(a.stdout, plan)
	}
	w, flush := a.out()
	fmt.Fprintf(w, "rollout %s of %d hosts saved in pass %d\n", plan.Name, plan.Total, plan.Pass)
	rows := make([][]string, len(plan.Waves))
	for i, wv := range plan.Waves {
		kind := "wave"
		if wv.N == 0 {
			kind = "canary"
		}
		rows[i] = []string{strconv.Itoa(wv.N), wv.Set, kind, strconv.Itoa(wv.Size), strconv.Itoa(wv.Target), strconv.Itoa(wv.Racks)}
	}
	writeTable(w, []string{"WAVE", "SET", "KIND", "HOSTS", "CUMULATIVE", "RACKS"}, rows)
	return flush()
}

func newCheckWaveCommand(a *app) *cobra.Command {
	o := &rolloutOptions{}
	cmd := &cobra.Command{
		Use:   "wave N [--name NAME] [--pass P]",
		Short: "Compare a rollout wave's health with the rest: go, pause or halt",
		Long: `Compare wave N of a rollout (the set NAME-wN saved by 'fleetq plan
rollout') with the rest, in the newest pass (or --pass P): the share of
hosts in the policy's [rollout] health set, and the mean of each
[rollout] metrics attribute (higher is worse; a leading "-" means lower
is worse). The rest is the rollout's hosts not yet in a wave, or the rest
of the fleet when too few remain. The verdict, with the numbers:

  go     no regression beyond max_regression_pct
  pause  inconclusive: the wave is smaller than min_hosts, or a metric
         covers under half of it
  halt   regressed: the wave's healthy share is more than
         max_regression_pct points below the rest's, or a metric is more
         than max_regression_pct percent worse

halt exits 4 (as a failed assert does), so a script can stop the rollout.

Examples:
  fleetq check wave 0
  fleetq check wave 2 --name kernel-6.8 --format json | jq .verdict

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 0 {
				return &usageError{fmt.Sprintf("%q: expected a wave number (0 is the canary wave)", args[0])}
			}
			return runCheckWave(cmd.Context(), a, o, n)
		},
	}
	o.AddFlags(cmd)
	cmd.Flags().StringVar(&o.name, "name", "rollout", "the rollout's set prefix")
	cmd.Flags().Int64Var(&o.pass, "pass", 0, "judge health in pass P (default: the newest)")
	return cmd
}

func runCheckWave(ctx context.Context, a *app, o *rolloutOptions, n int) error {
	pol, err := o.policyOrDefault(a)
	if err != nil {
		return err
	}
	var c *actions.WaveCheck
	err = a.view(func(tx *store.Tx) error {
		waves, setPass, err := findWaves(tx, o.name)
		if err != nil {
			return err
		}
		snap, err := tx.Snapshot(o.pass)
		if err != nil {
			return err
		}
		c, err = actions.CheckWave(ctx, &query.Env{Ctx: ctx, Snap: snap, Seed: 1}, pol, o.name, n, waves)
		if c != nil {
			c.SetPass = setPass
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := writeWaveCheck(a, c); err != nil {
		return err
	}
	if c.Verdict == "halt" {
		return &exitError{code: exitAssert, err: fmt.Errorf("wave %d: halt", n), silent: true}
	}
	return nil
}

// findWaves reads the wave sets of a rollout from the newest pass that
// holds them (bitmaps copied out of the transaction's pages).
func findWaves(tx *store.Tx, name string) (map[int]*roaring.Bitmap, int64, error) {
	ps, err := tx.Passes()
	if err != nil {
		return nil, 0, err
	}
	for i := len(ps) - 1; i >= 0; i-- {
		if _, ok := ps[i].Sets[actions.WaveSet(name, 0)]; !ok {
			continue
		}
		p, err := tx.Pass(ps[i].ID)
		if err != nil {
			return nil, 0, err
		}
		waves := map[int]*roaring.Bitmap{}
		for k := 0; ; k++ {
			bm, ok := p.Set(actions.WaveSet(name, k))
			if !ok {
				break
			}
			waves[k] = bm.Clone()
		}
		return waves, ps[i].ID, nil
	}
	return nil, 0, fmt.Errorf("no rollout %q in any pass (fleetq plan rollout --name %s saves one)", name, name)
}

func writeWaveCheck(a *app, c *actions.WaveCheck) error {
	if a.format == "json" {
		return writeJSON(a.stdout, c)
	}
	w, flush := a.out()
	fmt.Fprintf(w, "wave %d (set %s, saved in pass %d), judged in pass %d\n", c.Wave, c.Set, c.SetPass, c.Pass)
	fmt.Fprintf(w, "  %d hosts in the wave; %d in the rest (%s)\n", c.Hosts, c.Rest, c.RestFrom)
	if h := c.Health; h != nil {
		fmt.Fprintf(w, "  healthy (%s): wave %d/%d = %.1f%%, rest %d/%d = %.1f%%\n", h.Expr, h.WaveHealthy, c.Hosts, h.WavePct, h.RestHealthy, c.Rest, h.RestPct)
	}
	for _, m := range c.Metrics {
		fmt.Fprintf(w, "  %s: wave mean %.2f, rest mean %.2f, %+.1f%% (worse is +), covers %.0f%% of the wave\n", m.Name, m.WaveMean, m.RestMean, m.ChangePct, m.Coverage)
	}
	fmt.Fprintf(w, "verdict: %s\n", c.Verdict)
	for _, r := range c.Reasons {
		fmt.Fprintf(w, "  %s\n", r)
	}
	return flush()
}

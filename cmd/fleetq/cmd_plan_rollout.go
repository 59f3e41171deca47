package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

type planRolloutOptions struct {
	ledgerOptions
	waves    string
	canaryBy string
	name     string
	seed     uint64

	sizes []float64 // --waves, parsed by Validate
}

func (o *planRolloutOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.StringVar(&o.waves, "waves", "1%,5%,25%,100%", "cumulative wave sizes in percent, the last 100%")
	fs.StringVar(&o.canaryBy, "canary-by", "", "attributes whose every combination gets one canary host (sku,role)")
	fs.StringVar(&o.name, "name", "", "a name for the rollout (usable in place of its id: rollout:NAME/w1)")
	fs.Uint64Var(&o.seed, "seed", 0, "seed for the canaries and the waves (default: random, printed)")
}

func newPlanRolloutCommand(a *app) *cobra.Command {
	o := &planRolloutOptions{}
	cmd := &cobra.Command{
		Use:   "rollout EXPR --waves 1%,5%,25%,100% [--canary-by ATTR,…] [--name NAME]",
		Short: "Split EXPR into a canary wave and waves of cumulative sizes, recorded in the ledger",
		Long: `Split the hosts of EXPR (in the newest pass) into waves and record them as
a rollout in the ledger, by host name, so that it outlives every later
pass: rollout r3's wave 0 is the canary wave, one host per combination of
the --canary-by attributes (one host when none are given); waves 1, 2, …
bring the rollout to the cumulative sizes of --waves (percent of EXPR's
hosts, rounded up, the last 100%), each drawn rack by rack so it spans as
many racks as it can. Every combination of the --canary-by values (a
stratum) is recorded with its hosts: 'fleetq check wave' judges each on
its own. The plan is audited (kind rollout); the seed is printed.

The language names the waves: rollout:r3/w0, rollout:r3/w1, … (and
rollout:r3 for every wave; a --name works in place of r3). Use them as
the targets of the verbs and judge each wave before the next.

Examples:
  fleetq plan rollout 'role = "hadoop-worker"' --waves 1%,5%,25%,100% --canary-by sku,role --name kernel68
  fleetq reboot rollout:r1/w0 --reason "kernel 6.8 canaries" --commit --yes
  fleetq check wave r1 0
  fleetq rollout status r1

` + exitCodesHelp,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeExprArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlanRollout(cmd.Context(), a, o, args[0])
		},
	}
	a.bind(cmd, o)
	return prints(cmd, rolloutPlan{})
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

var rolloutNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]*$`) })

func (o *planRolloutOptions) Validate() error {
	var err error
	if o.sizes, err = actions.ParseWaves(o.waves); err != nil {
		return &usageError{err.Error()}
	}
	if o.name != "" && (!rolloutNamePattern().MatchString(o.name) || regexp.MustCompile(`^r?[0-9]+$`).MatchString(o.name)) {
		return &usageError{fmt.Sprintf("--name %q: expected a word of letters, digits, _ . - that is not a rollout id (r3)", o.name)}
	}
	return o.ledgerOptions.Validate()
}

func runPlanRollout(ctx context.Context, a *app, o *planRolloutOptions, expr string) error {
	waves := o.sizes
	pol, err := o.policyOrDefault(a)
	if err != nil {
		return err
	}
	now := o.clock()
	seed := o.seed
	if seed == 0 {
		seed = randomSeed()
	}
	var plan *actions.RolloutPlan
	err = a.update(func(tx *store.Tx) error {
		snap, err := tx.Snapshot(0)
		if err != nil {
			return err
		}
		env := &query.Env{Ctx: ctx, Snap: snap, Seed: seed}
		if plan, err = actions.PlanRollout(env, o.name, expr, waves, splitList(o.canaryBy), pol.RackAttr); err != nil {
			return err
		}
		r := plan.Record(snap.Hosts(), now, o.requester(a))
		err = tx.CreateRollout(r, func(r *store.Rollout) *store.AuditEntry {
			return &store.AuditEntry{Time: now, Requester: r.Requester, Kind: "rollout", Expr: expr,
				Reason: fmt.Sprintf("planned %s: %d waves (%s) canary-by %s", r.Label(), len(r.Waves), o.waves, o.canaryBy),
				Pass:   plan.Pass, Seed: seed, LedgerVersion: tx.LedgerVersion(), Committed: true, Approved: []string{}}
		})
		plan.Recorded(r)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "# seed %d\n", seed)
	return a.print(rolloutPlan{plan})
}

// rolloutPlan is the result of fleetq plan rollout: its waves.
type rolloutPlan struct{ *actions.RolloutPlan }

func (plan rolloutPlan) jsonValue() any { return plan.RolloutPlan }

func (plan rolloutPlan) writeText(w *textWriter) {
	label := plan.ID
	if plan.Name != "" {
		label += " (" + plan.Name + ")"
	}
	fmt.Fprintf(w, "rollout %s of %d hosts planned on pass %d, %d canary strata (audit %d)\n", label, plan.Total, plan.Pass, plan.Strata, plan.Audit)
	rows := make([][]string, len(plan.Waves))
	for i, wv := range plan.Waves {
		kind := "wave"
		if wv.N == 0 {
			kind = "canary"
		}
		rows[i] = []string{strconv.Itoa(wv.N), wv.Set, kind, strconv.Itoa(wv.Size), strconv.Itoa(wv.Target), strconv.Itoa(wv.Racks)}
	}
	writeTable(w, []string{"WAVE", "SET", "KIND", "HOSTS", "CUMULATIVE", "RACKS"}, rows)
}

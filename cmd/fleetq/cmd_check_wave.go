package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/store"
)

type checkWaveOptions struct {
	ledgerOptions
	pass int64
}

func (o *checkWaveOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.Int64Var(&o.pass, "pass", 0, "judge on pass P (default: the newest; it must be sealed after the wave started)")
}

func newCheckWaveCommand(a *app) *cobra.Command {
	o := &checkWaveOptions{}
	cmd := &cobra.Command{
		Use:   "wave [ROLLOUT] WAVE [--pass P]",
		Short: "Judge a rollout wave: go, pause or halt, per canary stratum, with the evidence",
		Long: `Judge wave WAVE of rollout ROLLOUT (an id like r3, or a --name; the
newest rollout when left out). The wave starts with the first lease
granted to one of its hosts after the rollout was planned, and only a
pass sealed after that is evidence: the newest pass (or --pass P). The
policy's [rollout] health set and metrics are compared:

  - the wave's healthy share against the floor min_healthy_pct (default
    90) and against the rest (the rollout's hosts not yet in a wave, or
    the rest of the fleet when too few remain); a wave host missing from
    the pass counts as unhealthy;
  - every canary stratum (each combination of the --canary-by values) in
    the wave on its own against the floor, and its metrics against the
    same hosts before the wave;
  - each metric's mean (higher is worse; a leading "-" means lower is
    worse) against the rest and against the same hosts in the newest pass
    sealed before the wave started.

The verdict:

  go     every check within its limit
  pause  inconclusive: the wave is empty, has not started, has no pass
         sealed since it started (transient: ingest one), is smaller than
         min_hosts, or a metric covers under half of it
  halt   a floor or a limit failed: the failed hosts and metrics are
         listed, the rollout is halted in the ledger (audited), and the
         verbs refuse the hosts of its later waves
         (invariant:rollout-halted) until 'fleetq rollout resume'

A go on the last wave marks the rollout done. halt exits 4 (as a failed
assert does), so a script can stop the rollout.

Examples:
  fleetq check wave r1 0
  fleetq check wave kernel68 2 --format json | jq .verdict
  fleetq check wave 1            # wave 1 of the newest rollout

` + exitCodesHelp,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, wave := "", args[len(args)-1]
			if len(args) == 2 {
				ref = args[0]
			}
			n, err := strconv.Atoi(strings.TrimPrefix(wave, "w"))
			if err != nil || n < 0 {
				return &usageError{fmt.Sprintf("%q: expected a wave number (0 is the canary wave)", wave)}
			}
			return runCheckWave(cmd.Context(), a, o, ref, n)
		},
	}
	a.bind(cmd, o)
	return prints(cmd, waveCheck{})
}

func runCheckWave(ctx context.Context, a *app, o *checkWaveOptions, ref string, n int) error {
	pol, err := o.policyOrDefault(a)
	if err != nil {
		return err
	}
	now := o.clock()
	check := func(tx *store.Tx) (*store.Rollout, *actions.WaveCheck, error) {
		r, err := tx.FindRollout(ref)
		if err != nil {
			return nil, nil, err
		}
		c, err := actions.CheckWave(ctx, tx, pol, r, n, o.pass)
		return r, c, err
	}
	var c *actions.WaveCheck
	var changes bool
	err = a.view(func(tx *store.Tx) error {
		r, cc, err := check(tx)
		c, changes = cc, err == nil && verdictChanges(r, cc)
		return err
	})
	if err == nil && changes {
		err = a.update(func(tx *store.Tx) error {
			r, cc, err := check(tx)
			if err == nil {
				c = cc
				_, err = actions.RecordVerdict(tx, r, c, o.requester(a), now)
			}
			return err
		})
	}
	if err != nil {
		return err
	}
	if err := a.print(waveCheck{c}); err != nil {
		return err
	}
	if c.Verdict == actions.VerdictHalt {
		return &exitError{code: exitAssert, err: fmt.Errorf("rollout %s wave %d: halt", c.Rollout, n), silent: true}
	}
	return nil
}

// verdictChanges says whether a verdict changes the rollout's state, so
// that a check that changes nothing stays a read-only transaction.
func verdictChanges(r *store.Rollout, c *actions.WaveCheck) bool {
	return r.State == store.RolloutActive && (c.Verdict == actions.VerdictHalt || c.Verdict == actions.VerdictGo && c.Wave == len(r.Waves)-1)
}

// waveCheck is the result of fleetq check wave: the verdict and its
// evidence.
type waveCheck struct{ *actions.WaveCheck }

func (c waveCheck) jsonValue() any { return c.WaveCheck }

func (c waveCheck) writeText(w *textWriter) {
	writeWaveHead(w, c.WaveCheck)
	for _, s := range c.Strata {
		fmt.Fprintf(w, "  stratum %s: healthy %d/%d = %.1f%%: %s\n", s.Stratum, s.Healthy, s.Hosts, s.Pct, s.Verdict)
	}
	fmt.Fprintf(w, "verdict: %s\n", c.Verdict)
	for _, r := range c.Reasons {
		fmt.Fprintf(w, "  %s\n", r)
	}
	if c.Verdict == actions.VerdictHalt && len(c.Failed) > 0 {
		rows := make([][]string, len(c.Failed))
		for i, f := range c.Failed {
			rows[i] = []string{f.Host, f.Stratum, strings.Join(f.Failed, "; ")}
		}
		fmt.Fprintf(w, "failed %d:\n", len(c.Failed))
		writeTable(w, []string{"HOST", "STRATUM", "FAILED"}, rows)
		fmt.Fprintf(w, "rollout %s halted: later waves are refused until fleetq rollout resume %s --reason …\n", c.Rollout, c.Rollout)
	}
}

func writeWaveHead(w io.Writer, c *actions.WaveCheck) {
	fmt.Fprintf(w, "rollout %s wave %d (%s, %d hosts)", c.Rollout, c.Wave, c.Set, c.Size)
	if c.Pass == 0 {
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, ", started %s, judged on pass %d sealed %s", c.Started.UTC().Format("2006-01-02T15:04:05Z"), c.Pass, c.PassSealed.UTC().Format("2006-01-02T15:04:05Z"))
	if c.Before != 0 {
		fmt.Fprintf(w, " (before: pass %d)", c.Before)
	}
	fmt.Fprintf(w, "\n  %d hosts of the wave in the pass; %d in the rest (%s)\n", c.Hosts, c.Rest, c.RestFrom)
	if h := c.Health; h != nil {
		fmt.Fprintf(w, "  healthy (%s): wave %d/%d = %.1f%% (floor %.0f%%), rest %d/%d = %.1f%%\n", h.Expr, h.WaveHealthy, c.Size, h.WavePct, h.MinPct, h.RestHealthy, c.Rest, h.RestPct)
	}
	for _, m := range c.Metrics {
		before := "no before"
		if m.BeforeMean != nil {
			before = fmt.Sprintf("before %.2f (%+.1f%%)", *m.BeforeMean, m.BeforePct)
		}
		fmt.Fprintf(w, "  %s: wave mean %.2f, rest mean %.2f (%+.1f%%), %s; worse is +; covers %.0f%% of the wave\n", m.Name, m.WaveMean, m.RestMean, m.ChangePct, before, m.Coverage)
	}
}

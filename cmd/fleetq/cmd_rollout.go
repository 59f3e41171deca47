package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/store"
)

// fleetq rollout status|resume: the rollouts the ledger records.

func newRolloutCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout status|resume",
		Short: "Recorded rollouts: every wave's verdict, and resuming a halted one",
		Long: `Rollouts recorded by 'fleetq plan rollout'. See 'fleetq rollout status
--help' and 'fleetq rollout resume --help'.

Examples:
  fleetq rollout status
  fleetq rollout resume r1 --reason "INC-42: the GPU canary failed on a bad PSU, not the kernel"

` + exitCodesHelp,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newRolloutStatusCommand(a), newRolloutResumeCommand(a))
	return cmd
}

// RolloutStatus is a rollout and every wave's verdict.
type RolloutStatus struct {
	ID        string               `json:"id"`
	Name      string               `json:"name,omitempty"`
	Expr      string               `json:"expr"`
	State     string               `json:"state"`
	Created   string               `json:"created"`
	Requester string               `json:"requester"`
	Pass      int64                `json:"pass"`
	Audit     int64                `json:"audit"`
	Halt      *store.RolloutHalt   `json:"halt,omitempty"`
	Waves     []*actions.WaveCheck `json:"waves"`
}

func newRolloutStatusCommand(a *app) *cobra.Command {
	o := &rolloutOptions{}
	cmd := &cobra.Command{
		Use:   "status [ROLLOUT]",
		Short: "Show a rollout's waves: size, verdict and the evidence of each",
		Long: `Show rollout ROLLOUT (an id like r3, or a name; the newest rollout when
left out): its state (active, halted, done), the halt if any, and for
every wave its size, the verdict 'fleetq check wave' would give now and
its evidence (when the wave started, the pass judged). Read-only: unlike
check wave, it records no halt.

Examples:
  fleetq rollout status
  fleetq rollout status r1 --format json | jq '.waves[] | {wave, verdict}'

` + exitCodesHelp,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRolloutStatus(cmd.Context(), a, o, strings.Join(args, ""))
		},
	}
	o.AddFlags(cmd)
	return prints(cmd, (*RolloutStatus)(nil))
}

func runRolloutStatus(ctx context.Context, a *app, o *rolloutOptions, ref string) error {
	pol, err := o.policyOrDefault(a)
	if err != nil {
		return err
	}
	var st *RolloutStatus
	err = a.view(func(tx *store.Tx) error {
		r, err := tx.FindRollout(ref)
		if err != nil {
			return err
		}
		st = &RolloutStatus{ID: r.Ref(), Name: r.Name, Expr: r.Expr, State: r.State, Created: r.Created.UTC().Format("2006-01-02T15:04:05Z07:00"),
			Requester: r.Requester, Pass: r.Pass, Audit: r.Audit, Halt: r.Halt}
		for n := range r.Waves {
			c, err := actions.CheckWave(ctx, tx, pol, r, n, 0)
			if err != nil {
				return err
			}
			st.Waves = append(st.Waves, c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return a.print(st)
}

func (st *RolloutStatus) jsonValue() any { return st }

func (st *RolloutStatus) writeText(w *textWriter) {
	label := st.ID
	if st.Name != "" {
		label += " (" + st.Name + ")"
	}
	fmt.Fprintf(w, "rollout %s: %s; planned %s by %s on pass %d (audit %d): %s\n", label, st.State, st.Created, st.Requester, st.Pass, st.Audit, st.Expr)
	if h := st.Halt; h != nil {
		fmt.Fprintf(w, "  halted at wave %d by %s at %s (audit %d, pass %d): %d hosts failed: %s\n", h.Wave, h.Requester, h.At.UTC().Format("2006-01-02T15:04:05Z"), h.Audit, h.Pass, len(h.Hosts), clipList(h.Hosts))
		fmt.Fprintf(w, "  later waves are refused (invariant:rollout-halted) until: fleetq rollout resume %s --reason …\n", st.ID)
	}
	rows := make([][]string, len(st.Waves))
	for i, c := range st.Waves {
		rows[i] = []string{strconv.Itoa(c.Wave), c.Set, strconv.Itoa(c.Size), c.Verdict, waveEvidence(c)}
	}
	writeTable(w, []string{"WAVE", "SET", "HOSTS", "VERDICT", "EVIDENCE"}, rows)
}

// waveEvidence is one line: what the verdict was judged on, or why not.
func waveEvidence(c *actions.WaveCheck) string {
	if c.Pass == 0 {
		return c.Reasons[0]
	}
	s := fmt.Sprintf("started %s, pass %d sealed %s", c.Started.UTC().Format("2006-01-02T15:04:05Z"), c.Pass, c.PassSealed.UTC().Format("2006-01-02T15:04:05Z"))
	if h := c.Health; h != nil {
		s += fmt.Sprintf(", healthy %d/%d", h.WaveHealthy, c.Size)
	}
	if c.Verdict != actions.VerdictGo {
		s += "; " + c.Reasons[0]
	}
	return s
}

func clipList(s []string) string {
	if len(s) > 8 {
		return strings.Join(s[:8], " ") + fmt.Sprintf(" … (%d more)", len(s)-8)
	}
	return strings.Join(s, " ")
}

type resumeOptions struct {
	ledgerOptions
	reason string
}

func newRolloutResumeCommand(a *app) *cobra.Command {
	o := &resumeOptions{}
	cmd := &cobra.Command{
		Use:   "resume ROLLOUT --reason TEXT",
		Short: "Lift a rollout's halt: its later waves may be acted on again",
		Long: `Resume a halted rollout: the verbs stop refusing the hosts of its later
waves (invariant:rollout-halted). The reason is recorded in the audit log
(kind rollout) with the halt it lifts; the ledger version changes, so plan
tokens made during the halt no longer apply.

Examples:
  fleetq rollout resume r1 --reason "INC-42: bad PSU on the canary, not the kernel"

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(o.reason) == "" {
				return &usageError{"--reason is required: say why the halt no longer holds; it is recorded"}
			}
			return runRolloutResume(a, o, args[0])
		},
	}
	o.AddFlags(cmd)
	cmd.Flags().StringVar(&o.reason, "reason", "", "why the halt no longer holds (required; recorded)")
	return prints(cmd, (*rolloutResumed)(nil))
}

func runRolloutResume(a *app, o *resumeOptions, ref string) error {
	now := o.clock()
	var r *store.Rollout
	var err error
	err = a.update(func(tx *store.Tx) error {
		r, err = actions.ResumeRollout(tx, ref, o.reason, o.requester(), now)
		return err
	})
	if err != nil {
		return err
	}
	return a.print(&rolloutResumed{r})
}

// rolloutResumed is the result of fleetq rollout resume: the rollout.
type rolloutResumed struct{ *store.Rollout }

func (r *rolloutResumed) jsonValue() any { return rolloutJSON(r.Rollout) }

func (r *rolloutResumed) writeText(w *textWriter) {
	fmt.Fprintf(w, "rollout %s resumed: %s\n", r.Label(), r.State)
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

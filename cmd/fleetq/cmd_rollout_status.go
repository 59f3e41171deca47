package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/store"
)

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
	o := &ledgerOptions{}
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
	a.bind(cmd, o)
	return prints(cmd, (*RolloutStatus)(nil))
}

func runRolloutStatus(ctx context.Context, a *app, o *ledgerOptions, ref string) error {
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

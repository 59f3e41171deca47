package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

func newRolloutListCommand(a *app) *cobra.Command {
	o := &ledgerOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every rollout: state, waves go of total, the current wave's verdict",
		Long: `List every rollout 'fleetq plan rollout' recorded, oldest first: its id
and name, state (active, halted, done), hosts, how many of its waves
'fleetq check wave' would judge go now of how many it has, the current
wave (the first non-empty wave not judged go; the last wave when every
one is) with its verdict and reason, the verbs of the leases granted to
its hosts since it was planned, when its first wave started, when it was
planned and by whom. Read-only: like rollout status, it records no halt.
'fleetq rollout status ID' shows every wave's evidence.

Examples:
  fleetq rollout list
  fleetq rollout list --format json | jq -r '.[] | select(.verdict == "halt") | .id'

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRolloutList(cmd.Context(), a, o)
		},
	}
	a.bind(cmd, o)
	return prints(cmd, rolloutList{})
}

// rolloutList is the result of rollout list.
type rolloutList []rolloutRow

// rolloutRow is one rollout and where it stands.
type rolloutRow struct {
	ID        string   `json:"id"`
	Name      string   `json:"name,omitempty"`
	Expr      string   `json:"expr"`
	State     string   `json:"state"`
	Hosts     int      `json:"hosts"`
	Waves     int      `json:"waves"`
	WavesGo   int      `json:"waves_go"`
	Current   int      `json:"current"`
	Verdict   string   `json:"verdict"`
	Reason    string   `json:"reason,omitempty"`
	Verbs     []string `json:"verbs"`
	Started   string   `json:"started,omitempty"`
	Created   string   `json:"created"`
	Requester string   `json:"requester"`
	Pass      int64    `json:"pass"`
	Audit     int64    `json:"audit"`
}

func runRolloutList(ctx context.Context, a *app, o *ledgerOptions) error {
	pol, err := o.policyOrDefault(a)
	if err != nil {
		return err
	}
	out := rolloutList{}
	err = a.view(func(tx *store.Tx) error {
		rs, err := tx.Rollouts()
		if err != nil {
			return err
		}
		for i := range rs {
			row, err := newRolloutRow(ctx, tx, pol, &rs[i])
			if err != nil {
				return err
			}
			out = append(out, row)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return a.print(out)
}

// newRolloutRow judges every wave of r as rollout status does and sums
// them up.
func newRolloutRow(ctx context.Context, tx *store.Tx, pol *policy.Policy, r *store.Rollout) (rolloutRow, error) {
	row := rolloutRow{ID: r.Ref(), Name: r.Name, Expr: r.Expr, State: r.State, Hosts: len(r.Hosts()), Waves: len(r.Waves),
		Created: stampUTC(r.Created), Requester: r.Requester, Pass: r.Pass, Audit: r.Audit, Current: -1}
	for n := range r.Waves {
		c, err := actions.CheckWave(ctx, tx, pol, r, n, 0)
		if err != nil {
			return row, err
		}
		if c.Verdict == actions.VerdictGo {
			row.WavesGo++
		} else if row.Current < 0 && c.Size > 0 {
			row.Current, row.Verdict, row.Reason = n, c.Verdict, c.Reasons[0]
		}
		if n == len(r.Waves)-1 && row.Current < 0 {
			row.Current, row.Verdict = n, c.Verdict
			if c.Verdict != actions.VerdictGo {
				row.Reason = c.Reasons[0]
			}
		}
	}
	verbs, started, err := rolloutStarts(tx, r)
	row.Verbs = verbs
	if !started.IsZero() {
		row.Started = stampUTC(started)
	}
	return row, err
}

// rolloutStarts are the verbs of the leases granted to r's hosts since
// it was planned, sorted (what the rollout is doing to them), and the
// first such grant: when its first wave started.
func rolloutStarts(tx *store.Tx, r *store.Rollout) ([]string, time.Time, error) {
	l, err := tx.Ledger(r.Created)
	if err != nil {
		return nil, time.Time{}, err
	}
	in := map[string]bool{}
	for _, h := range r.Hosts() {
		in[h] = true
	}
	verbs := []string{}
	var first time.Time
	for _, s := range l.Starts { // oldest first
		if in[s.Host] && !s.At.Before(r.Created) {
			verbs = append(verbs, s.Verb)
			if first.IsZero() {
				first = s.At
			}
		}
	}
	slices.Sort(verbs)
	return slices.Compact(verbs), first, nil
}

func (l rolloutList) jsonValue() any { return []rolloutRow(l) }

func (l rolloutList) writeText(w *textWriter) {
	if len(l) == 0 {
		fmt.Fprintln(w, "no rollout recorded (fleetq plan rollout EXPR --waves … records one)")
		return
	}
	rows := make([][]string, len(l))
	for i, r := range l {
		verbs := strings.Join(r.Verbs, ",")
		if verbs == "" {
			verbs = "-"
		}
		started := r.Started
		if started == "" {
			started = "-"
		}
		rows[i] = []string{r.ID, r.Name, r.State, strconv.Itoa(r.Hosts), fmt.Sprintf("%d/%d", r.WavesGo, r.Waves),
			strconv.Itoa(r.Current), r.Verdict, verbs, started, r.Created, r.Requester}
	}
	w.table([]string{"ROLLOUT", "NAME", "STATE", "HOSTS", "GO", "WAVE", "VERDICT", "VERBS", "STARTED", "PLANNED", "REQUESTER"}, rows)
}

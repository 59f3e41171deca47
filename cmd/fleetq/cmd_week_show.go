package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

func newWeekShowCommand(a *app) *cobra.Command {
	o := &ledgerOptions{}
	cmd := &cobra.Command{
		Use:   "show [WEEK]",
		Short: "Show a maintenance week: its steps with slot times, counts per day, the cross-check",
		Long: `Show week WEEK (an id like w2, or a name; the newest week when left out):
every step with its slot in UTC and in the schedule's zone and its host
count, every selection with how many hosts matched it (of the scope, not
taken before) and how many it took, the hosts per day (one, few, many:
they should rise from Monday to Thursday), and the cross-check: the
hosts of the scope the plan left without a slot, and the hosts of the
scope in the newest pass that have none (hosts added since the plan).
Read-only; it exits 0 whatever the cross-check says ('fleetq check
windows' is the gate).

Examples:
  fleetq week show
  fleetq week show w1 --format json | jq '.days'

` + exitCodesHelp,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWeekShow(cmd.Context(), a, strings.Join(args, ""))
		},
	}
	a.bind(cmd, o)
	return prints(cmd, (*weekReport)(nil))
}

func runWeekShow(ctx context.Context, a *app, ref string) error {
	var r *weekReport
	err := a.view(func(tx *store.Tx) error {
		w, err := tx.FindWeek(ref)
		if err != nil {
			return err
		}
		r = newWeekReport(w, false)
		r.recheck(ctx, tx, w)
		return nil
	})
	if err != nil {
		return err
	}
	return a.print(r)
}

// weekReport is a week as plan week and week show print it.
type weekReport struct {
	ID        string             `json:"id,omitempty"` // w2; empty in a dry run
	Name      string             `json:"name,omitempty"`
	File      string             `json:"file"`
	Scope     string             `json:"scope"`
	Zone      string             `json:"zone"`
	Verbs     []string           `json:"verbs"`
	Customer  string             `json:"customer"`
	State     string             `json:"state"`
	DryRun    bool               `json:"dry_run"` // planned and printed, not recorded
	Created   time.Time          `json:"created"`
	Requester string             `json:"requester"`
	Pass      int64              `json:"pass"`
	Seed      uint64             `json:"seed"`
	Audit     int64              `json:"audit,omitempty"`
	Start     time.Time          `json:"start"` // the first slot's start
	End       time.Time          `json:"end"`   // the last slot's end
	Hosts     int                `json:"hosts"` // of the scope when planned
	Steps     []store.WeekStep   `json:"steps"`
	Days      []actions.DayCount `json:"days"`
	Unslotted []string           `json:"unslotted"`
	Check     weekCheck          `json:"cross_check"`
	week      *store.Week
	loc       *time.Location
}

// weekCheck is the cross-check: passed when the plan slotted every host
// of its scope and (week show) the newest pass has no host of the scope
// without a slot.
type weekCheck struct {
	Passed bool `json:"passed"`
	// Pass is the newest pass the scope was evaluated on again (week show).
	Pass    int64    `json:"pass,omitempty"`
	Missing []string `json:"missing"` // hosts of the scope in Pass without a slot
	Error   string   `json:"error,omitempty"`
}

func newWeekReport(w *store.Week, dryRun bool) *weekReport {
	loc, err := time.LoadLocation(w.Zone)
	if err != nil {
		loc = time.UTC
	}
	r := &weekReport{Name: w.Name, File: w.File, Scope: w.Scope, Zone: w.Zone, Verbs: w.Verbs, Customer: w.Customer,
		State: w.State, DryRun: dryRun, Created: w.Created, Requester: w.Requester, Pass: w.Pass, Seed: w.Seed, Audit: w.Audit,
		Hosts: len(actions.WeekHosts(w)), Steps: w.Steps, Days: actions.WeekDays(w, loc), Unslotted: nonNilStrings(w.Unslotted),
		week: w, loc: loc}
	if !dryRun {
		r.ID = w.Ref()
	}
	r.Start, r.End = w.Span()
	r.Check = weekCheck{Passed: len(w.Unslotted) == 0, Missing: []string{}}
	return r
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// recheck evaluates the week's scope on the newest pass: hosts added
// since the plan have no slot.
func (r *weekReport) recheck(ctx context.Context, tx *store.Tx, w *store.Week) {
	snap, err := tx.Snapshot(0)
	if err == nil {
		var hosts []string
		hosts, err = actions.ScopeHosts(&query.Env{Ctx: ctx, Snap: snap}, w.Scope)
		slotted := map[string]bool{}
		for _, st := range w.Steps {
			for _, h := range st.Hosts {
				slotted[h] = true
			}
		}
		for _, h := range hosts {
			if !slotted[h] {
				r.Check.Missing = append(r.Check.Missing, h)
			}
		}
		r.Check.Pass = snap.Current().ID()
	}
	if err != nil {
		r.Check.Error = err.Error()
	}
	r.Check.Passed = r.Check.Passed && err == nil && len(r.Check.Missing) == 0
}

// failed is the cross-check's exit: 4 when a host of the scope has no slot.
func (r *weekReport) failed() error {
	if r.Check.Passed {
		return nil
	}
	n := len(r.Unslotted) + len(r.Check.Missing)
	return &exitError{code: exitAssert, err: fmt.Errorf("cross-check failed: %d hosts of the scope have no slot in the week (%s)", n, hostSample(append(r.Unslotted, r.Check.Missing...), 5))}
}

func hostSample(hosts []string, n int) string {
	if len(hosts) <= n {
		return strings.Join(hosts, ", ")
	}
	return strings.Join(hosts[:n], ", ") + fmt.Sprintf(", … %d more", len(hosts)-n)
}

func (r *weekReport) jsonValue() any { return r }

func (r *weekReport) writeText(w *textWriter) {
	r.writeHeader(w)
	r.writeSteps(w)
	fmt.Fprintln(w)
	rows := [][]string{}
	for _, st := range r.Steps {
		for _, p := range st.Parts {
			max := "all"
			if p.Limit != "" {
				max = "up to " + p.Limit
			}
			rows = append(rows, []string{strconv.Itoa(st.N), max, strconv.Itoa(p.Matched), strconv.Itoa(p.Taken), p.Expr})
		}
	}
	w.table([]string{"STEP", "SHARE", "MATCHED", "TAKEN", "SELECTION"}, rows)
	fmt.Fprintln(w)
	rows = rows[:0]
	for _, d := range r.Days {
		rows = append(rows, []string{d.Day, d.Date.Format("2006-01-02"), strconv.Itoa(d.Steps), strconv.Itoa(d.Hosts)})
	}
	w.table([]string{"DAY", "DATE", "STEPS", "HOSTS"}, rows)
	fmt.Fprintln(w)
	r.writeCheck(w)
}

func (r *weekReport) writeHeader(w *textWriter) {
	label := "(not recorded)"
	if !r.DryRun {
		label = r.week.Label() + " " + r.State
	}
	fmt.Fprintf(w, "week %s: %d hosts of %s, on pass %d by %s at %s (seed %d", label, r.Hosts, r.Scope, r.Pass, r.Requester, stampUTC(r.Created), r.Seed)
	if r.Audit != 0 {
		fmt.Fprintf(w, ", audit %d", r.Audit)
	}
	fmt.Fprintf(w, ")\n  from %s: slots in %s, gating %s; customers by attribute %s\n", r.File, r.Zone, strings.Join(r.Verbs, ", "), r.Customer)
	if !r.DryRun {
		fmt.Fprintf(w, "  its hosts in the language: week:%s (every step), week:%s/s1 … week:%s/s%d, week:%s/unslotted\n", r.ID, r.ID, r.ID, len(r.Steps), r.ID)
	}
	fmt.Fprintln(w)
}

func (r *weekReport) writeSteps(w *textWriter) {
	utc := r.Zone == "UTC"
	header := []string{"STEP", "SLOT (UTC)"}
	if !utc {
		header = append(header, "SLOT ("+r.Zone+")")
	}
	header = append(header, "HOSTS", "NAME")
	rows := [][]string{}
	for _, st := range r.Steps {
		row := []string{strconv.Itoa(st.N), slotText(st.Start, st.End, time.UTC)}
		if !utc {
			row = append(row, slotText(st.Start, st.End, r.loc))
		}
		rows = append(rows, append(row, strconv.Itoa(len(st.Hosts)), st.Name))
	}
	w.table(header, rows)
}

// slotText is "Mon 2026-12-07 09:00-13:00" (the end's day when it differs).
func slotText(start, end time.Time, loc *time.Location) string {
	s, e := start.In(loc), end.In(loc)
	if s.Format("2006-01-02") == e.Format("2006-01-02") || e.Format("15:04") == "00:00" && e.Sub(s) <= 24*time.Hour {
		return s.Format("Mon 2006-01-02 15:04") + "-" + e.Format("15:04")
	}
	return s.Format("Mon 2006-01-02 15:04") + "-" + e.Format("Mon 15:04")
}

func stampUTC(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (r *weekReport) writeCheck(w *textWriter) {
	switch {
	case r.Check.Passed && r.Check.Pass != 0:
		fmt.Fprintf(w, "cross-check passed: every host of the scope has exactly one slot (%d hosts when planned; pass %d adds none)\n", r.Hosts, r.Check.Pass)
	case r.Check.Passed:
		fmt.Fprintf(w, "cross-check passed: every one of the %d hosts of the scope has exactly one slot\n", r.Hosts)
	default:
		fmt.Fprintf(w, "cross-check FAILED:\n")
		if len(r.Unslotted) > 0 {
			fmt.Fprintf(w, "  %d hosts of the scope no step took: %s\n", len(r.Unslotted), strings.Join(r.Unslotted, " "))
		}
		if len(r.Check.Missing) > 0 {
			fmt.Fprintf(w, "  %d hosts of the scope in pass %d have no slot: %s\n", len(r.Check.Missing), r.Check.Pass, strings.Join(r.Check.Missing, " "))
		}
		if r.Check.Error != "" {
			fmt.Fprintf(w, "  the scope could not be evaluated again: %s\n", r.Check.Error)
		}
	}
}

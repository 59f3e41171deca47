package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/store"
)

func newWeekListCommand(a *app) *cobra.Command {
	o := &ledgerOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the maintenance weeks: state, span, steps, hosts, unslotted",
		Long: `List every maintenance week 'fleetq plan week' recorded, oldest first:
its id and name, state (planned, cancelled), first slot start and last
slot end in UTC, steps, slotted and unslotted hosts, and the pass it was
planned on.

Examples:
  fleetq week list
  fleetq week list --format json | jq '.[] | select(.state == "planned") | .id'

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var ws []store.Week
			err := a.view(func(tx *store.Tx) error {
				var err error
				ws, err = tx.Weeks()
				return err
			})
			if err != nil {
				return err
			}
			return a.print(newWeekList(ws))
		},
	}
	a.bind(cmd, o)
	return prints(cmd, weekList{})
}

// weekList is the result of week list.
type weekList []weekRow

type weekRow struct {
	ID        string `json:"id"`
	Name      string `json:"name,omitempty"`
	State     string `json:"state"`
	Start     string `json:"start"`
	End       string `json:"end"`
	Steps     int    `json:"steps"`
	Hosts     int    `json:"hosts"`
	Unslotted int    `json:"unslotted"`
	Pass      int64  `json:"pass"`
	Scope     string `json:"scope"`
}

func newWeekList(ws []store.Week) weekList {
	out := weekList{}
	for i := range ws {
		w := &ws[i]
		start, end := w.Span()
		out = append(out, weekRow{ID: w.Ref(), Name: w.Name, State: w.State, Start: stampUTC(start), End: stampUTC(end),
			Steps: len(w.Steps), Hosts: len(actions.WeekHosts(w)) - len(w.Unslotted), Unslotted: len(w.Unslotted), Pass: w.Pass, Scope: w.Scope})
	}
	return out
}

func (l weekList) jsonValue() any { return []weekRow(l) }

func (l weekList) writeText(w *textWriter) {
	if len(l) == 0 {
		fmt.Fprintln(w, "no week planned (fleetq plan week FILE plans one)")
		return
	}
	rows := make([][]string, len(l))
	for i, r := range l {
		rows[i] = []string{r.ID, r.Name, r.State, r.Start, r.End, strconv.Itoa(r.Steps), strconv.Itoa(r.Hosts), strconv.Itoa(r.Unslotted), strconv.FormatInt(r.Pass, 10), r.Scope}
	}
	w.table([]string{"WEEK", "NAME", "STATE", "START", "END", "STEPS", "HOSTS", "UNSLOTTED", "PASS", "SCOPE"}, rows)
}

type weekCancelOptions struct {
	ledgerOptions
	reason string
}

func (o *weekCancelOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.StringVar(&o.reason, "reason", "", "why the week is cancelled (required; recorded)")
}

func (o *weekCancelOptions) Validate() error {
	if strings.TrimSpace(o.reason) == "" {
		return &usageError{"--reason is required: say why the week is cancelled; it is recorded"}
	}
	return o.ledgerOptions.Validate()
}

func newWeekCancelCommand(a *app) *cobra.Command {
	o := &weekCancelOptions{}
	cmd := &cobra.Command{
		Use:   "cancel WEEK --reason TEXT",
		Short: "Cancel a planned maintenance week: its slots stop being windows",
		Long: `Cancel week WEEK (an id like w2, or a name): its state becomes cancelled,
its slots stop gating the verbs, and a new week may be planned on its
hosts. The reason is recorded in the audit log (kind week-cancel); the
ledger version changes, so plan tokens made before no longer apply.

Examples:
  fleetq week cancel w1 --reason "kernel 6.8 pulled: CVE fix moved to next week"

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			now := o.clock()
			var w *store.Week
			err := a.update(func(tx *store.Tx) error {
				var err error
				w, err = actions.CancelWeek(tx, args[0], o.reason, o.requester(a), now)
				return err
			})
			if err != nil {
				return err
			}
			return a.print(&weekCancelled{w})
		},
	}
	a.bind(cmd, o)
	return prints(cmd, (*weekCancelled)(nil))
}

// weekCancelled is the result of week cancel.
type weekCancelled struct{ *store.Week }

func (c *weekCancelled) jsonValue() any {
	return map[string]any{"id": c.Ref(), "name": c.Name, "state": c.State}
}

func (c *weekCancelled) writeText(w *textWriter) {
	fmt.Fprintf(w, "week %s cancelled\n", c.Label())
}

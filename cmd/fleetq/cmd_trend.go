package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/store"
)

type trendOptions struct{ last int }

func (o *trendOptions) AddFlags(fs *pflag.FlagSet) {
	fs.IntVar(&o.last, "last", 0, "only the newest N passes (default: every pass)")
}

func (o *trendOptions) Validate() error {
	if o.last < 0 {
		return fmt.Errorf("--last %d: expected a count of passes, 0 or more (0: every pass)", o.last)
	}
	return nil
}

func newTrendCommand(a *app) *cobra.Command {
	o := &trendOptions{}
	cmd := &cobra.Command{
		Use:   "trend [SET…] [--last N]",
		Short: "Print the sizes of named sets across passes, oldest first",
		Long: `Print, for every pass (oldest first), its id, when it was made and the
size of each named set in it: source sets, imported host lists, bool
attributes and the sets definitions stored in the pass (fleetq sets lists
them). A set the pass does not have is an empty cell (null in JSON), not
an error: definitions come and go. Without SET, the sets of the newest
pass. Only the sets' sizes are read, never their hosts' names.

Examples:
  fleetq trend dead repair responsive
  fleetq trend dead --last 10 --format csv
  fleetq trend --format json

` + exitCodesHelp,
		RunE: func(cmd *cobra.Command, args []string) error { return runTrend(a, o, args) },
	}
	a.bind(cmd, o)
	return prints(cmd, (*trend)(nil))
}

// trendPass is one pass of a trend: a size per set, nil where the pass
// lacks the set.
type trendPass struct {
	ID      int64     `json:"id"`
	Created time.Time `json:"created"`
	Label   string    `json:"label,omitempty"`
	Sizes   []*uint64 `json:"sizes"`
}

// trend is the result of fleetq trend: the sets, and their sizes in
// each pass, oldest first.
type trend struct {
	Sets   []string    `json:"sets"`
	Passes []trendPass `json:"passes"`
}

func runTrend(a *app, o *trendOptions, names []string) error {
	res := &trend{Sets: names, Passes: []trendPass{}}
	err := a.view(func(tx *store.Tx) error {
		passes, err := tx.Passes()
		if err != nil {
			return err
		}
		if len(passes) == 0 {
			return store.ErrNoPasses
		}
		if o.last > 0 && len(passes) > o.last {
			passes = passes[len(passes)-o.last:]
		}
		if len(res.Sets) == 0 {
			p, err := tx.Pass(passes[len(passes)-1].ID)
			if err != nil {
				return err
			}
			res.Sets = p.SetNames()
		}
		for _, info := range passes {
			row, err := trendRow(tx, info, res.Sets)
			if err != nil {
				return err
			}
			res.Passes = append(res.Passes, row)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return a.print(res)
}

// trendRow reads the size of each set in one pass.
func trendRow(tx *store.Tx, info store.PassInfo, names []string) (trendPass, error) {
	row := trendPass{ID: info.ID, Created: info.Created, Label: info.Label, Sizes: make([]*uint64, len(names))}
	p, err := tx.Pass(info.ID)
	if err != nil {
		return row, err
	}
	for i, name := range names {
		bm, ok, err := p.Set(name)
		if err != nil {
			return row, err
		}
		if ok {
			n := bm.GetCardinality()
			row.Sizes[i] = &n
		}
	}
	return row, nil
}

func (t *trend) header() []string {
	return append([]string{"PASS", "CREATED"}, t.Sets...)
}

func (t *trend) rows() [][]string {
	rows := make([][]string, len(t.Passes))
	for i, p := range t.Passes {
		row := []string{strconv.FormatInt(p.ID, 10), p.Created.UTC().Format("2006-01-02T15:04:05Z")}
		for _, n := range p.Sizes {
			cell := ""
			if n != nil {
				cell = strconv.FormatUint(*n, 10)
			}
			row = append(row, cell)
		}
		rows[i] = row
	}
	return rows
}

func (t *trend) writeText(w *textWriter) { w.table(t.header(), t.rows()) }

func (t *trend) writeCSV(cw *csvWriter) {
	cw.Write(csvHeader(t.header()))
	cw.WriteAll(t.rows())
}

func (t *trend) jsonValue() any { return t }

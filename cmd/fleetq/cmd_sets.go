package main

import (
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/store"
)

type setsOptions struct{ pass int64 }

func (o *setsOptions) AddFlags(fs *pflag.FlagSet) {
	fs.Int64Var(&o.pass, "pass", 0, "list the sets of pass N (default: the newest)")
}

// Validate accepts any pass id: one the database lacks is an error when
// it is read.
func (o *setsOptions) Validate() error { return nil }

func newSetsCommand(a *app) *cobra.Command {
	o := &setsOptions{}
	cmd := &cobra.Command{
		Use:   "sets [--pass N]",
		Short: "List the named sets of a pass with their sizes and origins",
		Long: `List every named set of the newest pass (or --pass N): the source host
sets (inventory, hdfs, …), imported host lists, bool attributes (their true
hosts) and stored sets, with host counts and where each comes from.

Examples:
  fleetq sets
  fleetq sets --pass 2 --format json

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSets(a, o) },
	}
	a.bind(cmd, o)
	return prints(cmd, (*setList)(nil))
}

type setRow struct {
	Name   string `json:"name"`
	Hosts  uint64 `json:"hosts"`
	Origin string `json:"origin"`
}

func runSets(a *app, o *setsOptions) error {
	var rows []setRow
	err := a.view(func(tx *store.Tx) error {
		p, err := tx.Pass(o.pass)
		if err != nil {
			return err
		}
		for _, name := range p.SetNames() {
			bm, _, err := p.Set(name)
			if err != nil {
				return err
			}
			rows = append(rows, setRow{name, bm.GetCardinality(), p.Origin(name)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return a.print(&setList{rows})
}

// setList is the result of fleetq sets: every named set of a pass.
type setList struct{ sets []setRow }

var setHeader = []string{"SET", "HOSTS", "FROM"}

func (l *setList) rows() [][]string {
	table := make([][]string, len(l.sets))
	for i, r := range l.sets {
		table[i] = []string{r.Name, strconv.FormatUint(r.Hosts, 10), r.Origin}
	}
	return table
}

func (l *setList) writeText(w *textWriter) { w.table(setHeader, l.rows()) }

func (l *setList) writeCSV(cw *csvWriter) {
	cw.Write(csvHeader(setHeader))
	cw.WriteAll(l.rows())
}

// jsonValue is null for a pass without sets, as it always was.
func (l *setList) jsonValue() any { return l.sets }

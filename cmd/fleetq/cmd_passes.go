package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/agefmt"
	"github.com/fleetq/fleetq/internal/store"
)

func newPassesCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "passes",
		Short: "List passes with their sources, counts and ages",
		Long: `List every pass, oldest first: id, creation time, label, host count, and
each source it holds with its record count. A source carried forward from
an earlier pass shows where it was read and how old it was when this pass
was made.

Examples:
  fleetq passes
  fleetq passes --format json

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPasses(a) },
	}
	return prints(cmd, (*passList)(nil))
}

func runPasses(a *app) error {
	var passes []store.PassInfo
	var damaged []store.DamagedPass
	if err := a.view(func(tx *store.Tx) error {
		passes, damaged = tx.ScanPasses()
		return nil
	}); err != nil {
		return err
	}
	if err := a.print(&passList{passes}); err != nil {
		return err
	}
	return damagedPasses(damaged, len(passes))
}

// damagedPasses is the error for passes whose records are damaged, listed
// after the readable ones so one damaged record hides nothing else.
func damagedPasses(damaged []store.DamagedPass, readable int) error {
	if len(damaged) == 0 {
		return nil
	}
	what := make([]string, len(damaged))
	for i, d := range damaged {
		what[i] = d.Err.Error()
	}
	return fmt.Errorf("%w: %d pass record(s) damaged, the %d readable listed (%s)", store.ErrCorrupt, len(damaged), readable, strings.Join(what, "; "))
}

// passList is the result of fleetq passes: every readable pass, oldest
// first.
type passList struct{ passes []store.PassInfo }

var passHeader = []string{"PASS", "CREATED", "LABEL", "HOSTS", "SOURCES"}

func (l *passList) rows() [][]string {
	rows := make([][]string, len(l.passes))
	for i, p := range l.passes {
		rows[i] = []string{strconv.FormatInt(p.ID, 10), p.Created.Format("2006-01-02T15:04:05Z"), p.Label, strconv.Itoa(p.Hosts), sourcesSummary(p)}
	}
	return rows
}

func (l *passList) writeText(w *textWriter) { w.table(passHeader, l.rows()) }

func (l *passList) writeCSV(cw *csvWriter) {
	cw.Write(csvHeader(passHeader))
	cw.WriteAll(l.rows())
}

func (l *passList) jsonValue() any {
	if l.passes == nil {
		return []store.PassInfo{}
	}
	return l.passes
}

func sourcesSummary(p store.PassInfo) string {
	failed := map[string]bool{}
	if p.Log != nil {
		for _, f := range p.Log.Failures {
			failed[f.Kind+":"+f.Name] = true
		}
	}
	parts := make([]string, 0, len(p.Sources))
	for _, s := range p.Sources {
		part := fmt.Sprintf("%s:%s(%d)", s.Kind, s.Name, s.Hosts)
		if s.Carried(p.ID) {
			note := ""
			if failed[s.Kind+":"+s.Name] {
				note, failed[s.Kind+":"+s.Name] = ", read failed", false
			}
			part += fmt.Sprintf("[from %d, %s old%s]", s.ReadBy, agefmt.Age(p.Created.Sub(s.ReadAt)), note)
		}
		parts = append(parts, part)
	}
	if p.Log != nil {
		for _, f := range p.Log.Failures { // failed with nothing to carry
			if failed[f.Kind+":"+f.Name] {
				parts = append(parts, f.Kind+":"+f.Name+"[read failed]")
			}
		}
	}
	return strings.Join(parts, " ")
}

package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/agefmt"
	"github.com/fleetq/fleetq/internal/store"
)

type logOptions struct{ pass int64 }

func newLogCommand(a *app) *cobra.Command {
	o := &logOptions{}
	cmd := &cobra.Command{
		Use:   "log [N]",
		Short: "Print the transcript of how a pass was made",
		Long: `Print how pass N (default: the newest) was made: the command, each source
with its path, content hash, record count and age (carried sources say
from which pass), the definitions evaluated, the summary counts and any
warnings.

Examples:
  fleetq log
  fleetq log 3 --format json

` + exitCodesHelp,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if _, err := fmt.Sscan(args[0], &o.pass); err != nil || o.pass <= 0 {
					return &usageError{fmt.Sprintf("log %q: expected a pass number", args[0])}
				}
			}
			return runLog(a, o)
		},
	}
	return prints(cmd, (*passLog)(nil))
}

func runLog(a *app, o *logOptions) error {
	var p store.PassInfo
	if err := a.view(func(tx *store.Tx) error {
		v, err := tx.Pass(o.pass)
		if err == nil {
			p = *v.Info()
		}
		return err
	}); err != nil {
		return err
	}
	return a.print(&passLog{p})
}

// passLog is the result of fleetq log: how one pass was made.
type passLog struct{ store.PassInfo }

func (l *passLog) jsonValue() any { return l.PassInfo }

func (l *passLog) writeText(w *textWriter) { writeLog(w, &l.PassInfo) }

func writeLog(w io.Writer, p *store.PassInfo) {
	fmt.Fprintf(w, "pass %d  created %s", p.ID, p.Created.Format("2006-01-02T15:04:05Z"))
	if p.Label != "" {
		fmt.Fprintf(w, "  label %s", p.Label)
	}
	fmt.Fprintf(w, "  parent %d  hosts %d\n", p.Parent, p.Hosts)
	if p.Log != nil && p.Log.Command != "" {
		fmt.Fprintf(w, "command: %s\n", p.Log.Command)
	}
	fmt.Fprintln(w, "sources:")
	for _, s := range p.Sources {
		how := "read by this pass"
		if s.Carried(p.ID) {
			how = fmt.Sprintf("carried from pass %d, %s old", s.ReadBy, agefmt.Age(p.Created.Sub(s.ReadAt)))
		}
		fmt.Fprintf(w, "  %s:%s  %s  sha256:%.12s  %d records  %d hosts  (%s)\n", s.Kind, s.Name, s.Path, s.Hash, s.Records, s.Hosts, how)
	}
	if p.Log == nil {
		return
	}
	if len(p.Log.Definitions) > 0 {
		fmt.Fprintln(w, "definitions:")
		for _, d := range p.Log.Definitions {
			fmt.Fprintf(w, "  %s\n", d)
		}
	}
	if len(p.Log.Counts) > 0 {
		fmt.Fprintln(w, "counts:")
		names := make([]string, 0, len(p.Log.Counts))
		for n := range p.Log.Counts {
			names = append(names, n)
		}
		sort.Strings(names)
		width := 20 // or the longest name: metrics_node_uname_info
		for _, n := range names {
			width = max(width, len(n))
		}
		for _, n := range names {
			fmt.Fprintf(w, "  %-*s %d\n", width, n, p.Log.Counts[n])
		}
	}
	writeFailures(w, p.Log.Failures)
	for _, warn := range p.Log.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}

// writeFailures lists the sources a collect could not read for the pass
// (fleetq collect), with what became of each and its stderr tail.
func writeFailures(w io.Writer, fails []store.SourceFailure) {
	if len(fails) == 0 {
		return
	}
	fmt.Fprintln(w, "failed sources:")
	for _, f := range fails {
		how := "nothing carried"
		if f.CarriedFrom > 0 {
			how = fmt.Sprintf("carried from pass %d", f.CarriedFrom)
		}
		fmt.Fprintf(w, "  %s:%s  %s  (%s)\n", f.Kind, f.Name, f.Reason, how)
		for _, line := range strings.Split(f.Stderr, "\n") {
			if line != "" {
				fmt.Fprintf(w, "    stderr: %s\n", line)
			}
		}
	}
}

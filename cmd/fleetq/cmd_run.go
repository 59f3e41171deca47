package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/runfile"
	"github.com/fleetq/fleetq/internal/store"
)

type runOptions struct {
	export string
	seed   uint64
}

func newRunCommand(a *app) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Evaluate a saved query file (for cron): bindings, save, assert",
		Long: `Evaluate FILE against the newest pass and print one summary line per set,
with its count in the previous pass (the same line evaluated there), so an
operator can scan it in ten seconds. Lines:

  NAME = expression           bind a set for the rest of the file
  save NAME                   store the binding NAME as a set of the newest pass
  assert count(EXPR) OP N     OP is < <= > >= == !=; a failed assert is
                              reported with its line and sets exit status 4
  assert count(EXPR) OP count(EXPR)
                              compare two counts: count(dead) <= count(dead@-1)
  assert [not] rising(EXPR, STEPS)
                              the count rose in each of the last STEPS
                              pass-to-pass steps (falling: fell in each;
                              stuck: the same non-empty hosts in each)
  watch NAME up|down [STEPS]  mark the binding NAME in the summary when its
                              count moved that way in each of the last
                              STEPS steps (default 3)
  expression                  print its count in the summary
  # comment

In a run file, NAME@-N of a binding NAME is the binding's expression
evaluated N passes back. A trend or comparison that needs more passes than
the database has is reported SHORT (with what is missing), not failed.

A file with save lines opens the database for writing, evaluates and saves
in one transaction; otherwise it only reads. --export DIR writes every
bound set as a sorted file (one host per line), for comm and diff.

Examples:
  fleetq run examples/hourly.fq
  fleetq run --export /var/lib/fleetq/last examples/hourly.fq
  fleetq run --format json examples/trends.fq
  */10 * * * * fleetq ingest ... && fleetq run /etc/fleetq/hourly.fq

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runRun(cmd.Context(), a, o, args[0]) },
	}
	a.bind(cmd, o)
	return prints(cmd, (*runReport)(nil))
}

func (o *runOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.export, "export", "", "write every bound set as DIR/NAME (sorted, one host per line)")
	fs.Uint64Var(&o.seed, "seed", 0, "seed for random stages (default: random, printed)")
}

// Validate: every value of --export and --seed is valid; the file and the
// export directory are checked when they are opened.
func (o *runOptions) Validate() error { return nil }

func runRun(ctx context.Context, a *app, o *runOptions, path string) error {
	data, err := readTextFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, unwrapErr(err))
	}
	f, err := runfile.Parse(path, string(data))
	if err != nil {
		return err
	}
	rep, bound, err := evalRunFile(ctx, a, o, f)
	if err != nil {
		return err
	}
	if o.export != "" {
		if err := exportBindings(o.export, bound); err != nil {
			return err
		}
	}
	if err := a.print((*runReport)(rep)); err != nil {
		return err
	}
	if err := rep.Failed(); err != nil {
		return &exitError{code: exitAssert, err: err}
	}
	return nil
}

// evalRunFile evaluates in one transaction: a write one when the file
// saves sets, so what is saved is exactly what was evaluated. It returns
// the report and the host names of every bound set, for --export.
func evalRunFile(ctx context.Context, a *app, o *runOptions, f *runfile.File) (*runfile.Report, map[string][]string, error) {
	var rep *runfile.Report
	bound := map[string][]string{}
	fn := func(tx *store.Tx) error {
		env, err := newEnv(ctx, tx, &queryOptions{seed: o.seed})
		if err != nil {
			return err
		}
		if rep, err = runfile.Run(env, f); err != nil {
			return err
		}
		if len(rep.Save) > 0 {
			if err := tx.SaveSets(rep.Pass, rep.Save); err != nil {
				return err
			}
		}
		for name, bm := range rep.Bound {
			bound[name] = tx.Hosts().Names(bm) // copied out before the transaction ends
		}
		return nil
	}
	if !f.Saves() {
		return rep, bound, a.view(fn)
	}
	db, err := a.openWrite(false)
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	a.noteCreated(db)
	return rep, bound, db.Update(fn)
}

func exportBindings(dir string, sets map[string][]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, hosts := range sets {
		var b strings.Builder
		for _, h := range hosts {
			b.WriteString(h)
			b.WriteByte('\n')
		}
		if err := writeFileAtomic(filepath.Join(dir, name), []byte(b.String())); err != nil {
			return err
		}
	}
	return nil
}

// writeFileAtomic writes via a temp file and rename, so a reader (or a
// killed run) never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// runReport is what fleetq run prints: runfile's report, rendered.
type runReport runfile.Report

func (rep *runReport) jsonValue() any {
	v := *rep
	if v.Sets == nil {
		v.Sets = []runfile.Set{}
	}
	if v.Asserts == nil {
		v.Asserts = []runfile.Assert{}
	}
	if v.Saved == nil {
		v.Saved = []string{}
	}
	if v.Skipped == nil {
		v.Skipped = []runfile.Skip{}
	}
	return &v
}

func (rep *runReport) writeText(w *textWriter) {
	fmt.Fprintf(w, "pass %d (%s)\n", rep.Pass, rep.Created)
	writeRunSummary(w, (*runfile.Report)(rep))
}

// writeRunSummary is a run file's summary after its pass line: one row
// per set with its change since the previous pass (and, when the file
// watches sets, whether each moved the bad way every step), then the
// asserts, the saves and the skipped lines. fleetq loop prints the same.
func writeRunSummary(w *textWriter, rep *runfile.Report) {
	watches := false
	for _, s := range rep.Sets {
		watches = watches || s.Watch != nil
	}
	head := []string{"SET", "HOSTS", "PREV", "CHANGE"}
	if watches {
		head = append(head, "WATCH")
	}
	rows := make([][]string, len(rep.Sets))
	for i, s := range rep.Sets {
		prev, change := "", ""
		if s.Prev != nil {
			prev = strconv.FormatInt(*s.Prev, 10)
			change = fmt.Sprintf("%+d", int64(s.Count)-*s.Prev)
		}
		rows[i] = []string{s.Name, strconv.FormatUint(s.Count, 10), prev, change}
		if watches {
			rows[i] = append(rows[i], watchCell(s.Watch))
		}
	}
	writeTable(w, head, rows)
	for _, as := range rep.Asserts {
		fmt.Fprintf(w, "assert %-4s line %d: %s (%s)\n", verdictWord(as.Verdict), as.Line, as.Text, as.Detail())
	}
	if len(rep.Saved) > 0 {
		fmt.Fprintf(w, "saved into pass %d: %s\n", rep.Pass, strings.Join(rep.Saved, " "))
	}
	for _, sk := range rep.Skipped {
		fmt.Fprintf(w, "skip line %d: %s (%s)\n", sk.Line, sk.Text, sk.Why)
	}
}

// verdictWord is an assert's verdict as the summary prints it: ok, FAIL,
// SHORT (not enough passes to decide).
func verdictWord(v string) string {
	switch v {
	case runfile.VerdictOK:
		return "ok"
	case runfile.VerdictShort:
		return "SHORT"
	}
	return "FAIL"
}

// watchCell is a watched set's WATCH cell: "!! up 3 passes running"
// when marked, "up" when not, "up (2 of 4 passes)" when too few passes.
func watchCell(wr *runfile.WatchResult) string {
	switch {
	case wr == nil:
		return ""
	case wr.Marked:
		return fmt.Sprintf("!! %s %d passes running", wr.Dir, wr.Steps)
	case wr.Short != "":
		return fmt.Sprintf("%s (%d of %d passes)", wr.Dir, len(wr.Counts), wr.Steps+1)
	}
	return wr.Dir
}

func unwrapErr(err error) error {
	if u, ok := err.(interface{ Unwrap() error }); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}

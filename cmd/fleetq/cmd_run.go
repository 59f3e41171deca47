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
with the count in the previous pass when a set of that name is stored
there, so an operator can scan it in ten seconds. Lines:

  NAME = expression           bind a set for the rest of the file
  save NAME                   store the binding NAME as a set of the newest pass
  assert count(EXPR) OP N     OP is < <= > >= == !=; a failed assert is
                              reported with its line and sets exit status 4
  expression                  print its count in the summary
  # comment

A file with save lines opens the database for writing, evaluates and saves
in one transaction; otherwise it only reads. --export DIR writes every
bound set as a sorted file (one host per line), for comm and diff.

Examples:
  fleetq run examples/hourly.fq
  fleetq run --export /var/lib/fleetq/last examples/hourly.fq
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
	rows := make([][]string, len(rep.Sets))
	for i, s := range rep.Sets {
		prev, change := "", ""
		if s.Prev != nil {
			prev = strconv.FormatInt(*s.Prev, 10)
			change = fmt.Sprintf("%+d", int64(s.Count)-*s.Prev)
		}
		rows[i] = []string{s.Name, strconv.FormatUint(s.Count, 10), prev, change}
	}
	writeTable(w, []string{"SET", "HOSTS", "PREV", "CHANGE"}, rows)
	for _, as := range rep.Asserts {
		verdict := "ok  "
		if !as.OK {
			verdict = "FAIL"
		}
		fmt.Fprintf(w, "assert %s line %d: %s (count is %d)\n", verdict, as.Line, as.Text, as.Count)
	}
	if len(rep.Saved) > 0 {
		fmt.Fprintf(w, "saved into pass %d: %s\n", rep.Pass, strings.Join(rep.Saved, " "))
	}
	for _, sk := range rep.Skipped {
		fmt.Fprintf(w, "skip line %d: %s (%s)\n", sk.Line, sk.Text, sk.Why)
	}
}

func unwrapErr(err error) error {
	if u, ok := err.(interface{ Unwrap() error }); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}

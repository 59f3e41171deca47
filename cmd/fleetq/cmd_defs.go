package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/defs"
	"github.com/fleetq/fleetq/internal/store"
)

// loadDefinitions reads --defs FILE; "" means none given.
func loadDefinitions(path string) (*defs.File, error) {
	if path == "" {
		return nil, nil
	}
	data, err := readTextFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapErr(err))
	}
	return defs.Parse(path, string(data))
}

func newDefsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "defs",
		Short: "Show, keep or re-evaluate set definitions",
		Long: `Definitions are NAME = expression lines, evaluated in order when a pass is
sealed and stored as named sets of that pass, so every set a decision was
made from can be listed for that pass afterwards:

  # fleet.defs
  dead       = lifecycle = "dead"
  responsive = up == 1 & age(up) < 10m
  candidate_rekick = all - hadoop_exclude & responsive & puppet_ok

Give them to one ingest with --defs FILE, or keep them in the database with
'fleetq defs set FILE' so every later ingest uses them.

Examples:
  fleetq defs                 # print the definitions kept in the database
  fleetq defs set fleet.defs  # keep these for every later pass
  fleetq defs eval --pass 3 candidate_rekick

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDefsShow(a) },
	}
	cmd.AddCommand(newDefsSetCommand(a), newDefsEvalCommand(a))
	return cmd
}

func runDefsShow(a *app) error {
	var text, from string
	if err := a.view(func(tx *store.Tx) (err error) { text, from, err = tx.Definitions(); return err }); err != nil {
		return err
	}
	if text == "" {
		fmt.Fprintln(a.stderr, "no definitions are kept in the database (fleetq defs set FILE)")
		return nil
	}
	fmt.Fprintf(a.stdout, "# kept from %s\n%s", from, text)
	if !strings.HasSuffix(text, "\n") {
		fmt.Fprintln(a.stdout)
	}
	return nil
}

func newDefsSetCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "set FILE",
		Short: "Keep a definitions file in the database for every later pass",
		Long: `Check FILE (every line must parse) and keep it in the database. Later
ingests evaluate it when they seal a pass, unless given --defs or
--no-defs. Existing passes are not changed.

Examples:
  fleetq defs set examples/fleet.defs

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := loadDefinitions(args[0])
			if err != nil {
				return err
			}
			db, err := a.openWrite(false)
			if err != nil {
				return err
			}
			defer db.Close()
			a.noteCreated(db)
			if err := db.Update(func(tx *store.Tx) error { return tx.SetDefinitions(d.Text, d.From) }); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "kept %d definitions from %s\n", len(d.Defs), d.From)
			return nil
		},
	}
}

type defsEvalOptions struct {
	pass int64
	defs string
}

func newDefsEvalCommand(a *app) *cobra.Command {
	o := &defsEvalOptions{}
	cmd := &cobra.Command{
		Use:   "eval [--pass N] [--defs FILE] [NAME...]",
		Short: "Re-evaluate definitions on a pass and compare with what was stored",
		Long: `Evaluate the kept definitions (or --defs FILE) on pass N again and show,
for each, the size now, the size stored when the pass was sealed, and
whether they agree. This is a re-evaluation: it is labelled as such and
never changes the pass.

Examples:
  fleetq defs eval --pass 3
  fleetq defs eval --defs new.defs --pass 3 candidate_rekick

` + exitCodesHelp,
		RunE: func(cmd *cobra.Command, args []string) error { return runDefsEval(a, o, args) },
	}
	a.bind(cmd, o)
	return prints(cmd, (*defsEval)(nil))
}

func (o *defsEvalOptions) AddFlags(fs *pflag.FlagSet) {
	fs.Int64Var(&o.pass, "pass", 0, "the pass to re-evaluate on (default: the newest)")
	fs.StringVar(&o.defs, "defs", "", "definitions file (default: the ones kept in the database)")
}

// Validate: --pass is any pass id (a missing one is an error when the
// database is read), --defs a path read then.
func (o *defsEvalOptions) Validate() error { return nil }

func runDefsEval(a *app, o *defsEvalOptions, names []string) error {
	d, err := loadDefinitions(o.defs)
	if err != nil {
		return err
	}
	var rows []defs.Comparison
	var passID int64
	err = a.view(func(tx *store.Tx) error {
		if d == nil {
			if d, err = defs.Kept(tx); err != nil {
				return err
			}
			if d == nil {
				return errors.New("no definitions: give --defs FILE or keep some with fleetq defs set")
			}
		}
		p, err := tx.Pass(o.pass)
		if err != nil {
			return err
		}
		passID = p.ID()
		sets, err := defs.Eval(tx, p.ID(), d)
		if err != nil {
			return err
		}
		rows, err = defs.Compare(p, d, sets, names)
		return err
	})
	if err != nil {
		return err
	}
	return a.print(&defsEval{From: d.From, Pass: passID, Sets: rows})
}

// defsEval is the result of fleetq defs eval: each definition evaluated
// now against the set the pass stores under its name.
type defsEval struct {
	From string            `json:"from"`
	Pass int64             `json:"pass"`
	Sets []defs.Comparison `json:"sets"` // stored is null: not stored in this pass
}

var defsEvalHeader = []string{"NAME", "NOW", "STORED", "SAME"}

func (e *defsEval) rows() [][]string {
	rows := make([][]string, len(e.Sets))
	for i, c := range e.Sets {
		stored, same := "-", "not stored in this pass"
		if c.Stored != nil {
			stored, same = strconv.FormatUint(*c.Stored, 10), strconv.FormatBool(c.Same)
		}
		rows[i] = []string{c.Name, strconv.FormatUint(c.Now, 10), stored, same}
	}
	return rows
}

func (e *defsEval) jsonValue() any {
	if e.Sets == nil {
		return &defsEval{From: e.From, Pass: e.Pass, Sets: []defs.Comparison{}}
	}
	return e
}

func (e *defsEval) writeText(w *textWriter) {
	fmt.Fprintf(w, "re-evaluation of %s on pass %d (the pass is not changed)\n", e.From, e.Pass)
	w.table(defsEvalHeader, e.rows())
}

func (e *defsEval) writeCSV(cw *csvWriter) {
	cw.Write(csvHeader(defsEvalHeader))
	cw.WriteAll(e.rows())
}

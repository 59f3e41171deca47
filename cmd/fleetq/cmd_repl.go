package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type replOptions struct {
	pass int64
	seed uint64
}

func (o *replOptions) AddFlags(fs *pflag.FlagSet) {
	fs.Int64Var(&o.pass, "pass", 0, "start at pass N (default: the newest, following new passes)")
	fs.Uint64Var(&o.seed, "seed", 0, "seed for random stages (default: random per statement, printed)")
}

// Validate accepts any pass id: one the database lacks is an error when
// it is read.
func (o *replOptions) Validate() error { return nil }

func newReplCommand(a *app) *cobra.Command {
	o := &replOptions{}
	cmd := &cobra.Command{
		Use:   "repl",
		Short: "Interactive shell: line editing, history, Tab completion, time travel",
		Long: `Read statements of the query language and print their results, as
'fleetq query' would (honouring --format). The prompt shows the database
and the current pass:

  fleetq demo/fleetq.db @3> all - hadoop_exclude & responsive | count

Bindings (NAME = …) last for the session. Lines starting with ':' are REPL
commands (:help lists them): :pass N|latest|-1 moves in time, :explain EXPR,
:why HOST EXPR, :sets, :passes, :quit. A line starting with a fleetq command
name (host, diff, drain, …) runs that command as on the command line.

Tab completes set, attribute and binding names, attribute values after
= and in (, stage names after |, pass ids after @ and :pass, commands and
verbs. History is kept in $FLEETQ_HISTORY, else
$XDG_STATE_HOME/fleetq/history, else ~/.local/state/fleetq/history.

The database is opened read-only for each statement and never held between
statements, so 'fleetq ingest' can run while a REPL is open; when the REPL
is at the newest pass it follows new passes. Ctrl-C cancels a running
statement (or clears the line); Ctrl-D or :quit exits.

When standard input is not a terminal, the REPL reads one statement per
line with no prompt (script mode), prints each result, reports errors on
stderr with their line number, goes on, and exits 1 if any line failed.

Examples:
  fleetq repl
  fleetq --db demo/fleetq.db repl --pass 2
  printf 'x = all - hadoop_exclude\nx & responsive | count\n' | fleetq repl

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRepl(cmd.Context(), a, o)
		},
	}
	a.bind(cmd, o)
	return prints(cmd, (*queryResult)(nil)) // the formats of its statements
}

// runRepl runs the interactive REPL on a terminal, else script mode.
func runRepl(ctx context.Context, a *app, o *replOptions) error {
	s := newSession(a, o)
	if isTerminal(a.stdin) && isTerminal(a.stdout) {
		// Ctrl-C cancels a line, never the session: what it opens between
		// lines (completion's names) is not interrupted either.
		a.ctx = context.WithoutCancel(ctx)
		return s.interactive(ctx)
	}
	if failed := s.script(ctx, a.stdin); failed > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("%d statements failed", failed), silent: true}
	}
	return nil
}

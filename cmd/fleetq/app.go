package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

// app holds what every command shares: the global flags and the streams.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	db      string
	format  string
	timeout time.Duration
	noColor bool
	stale   time.Duration
	create  bool
	command string // the running command's name ("fleetq drain"), for the lock note
	// principal is the authenticated requester of a fleetq serve call;
	// empty on the command line.
	principal string
	// shorthand is the bare word of `fleetq WORD` (a query), for the
	// --server client to say "unknown command" as the CLI does.
	shorthand string
	// outcomes, when set (fleetq serve's metrics), sees every decision a
	// command of this app printed (finishOutcome).
	outcomes func(*actions.Outcome)
	// actsForOthers is set under fleetq serve for a principal whose role
	// may apply, stop and cancel others' plans and leases (an operator or
	// admin); see mayActForOthers.
	actsForOthers bool
	// compactJSON is set under fleetq serve for a dashboard page's call
	// (server.Call.Compact): its JSON is decoded in this process, read by
	// no one, so it is printed without indentation (the same values).
	compactJSON bool
	// ctx is the running command's context, set before it runs: Ctrl-C
	// cancels it, and with it a wait for the database lock (interrupt.go).
	ctx context.Context

	// options holds each command's options, for the root to validate
	// (bind); a fresh root, as the REPL builds per line, has its own.
	options map[*cobra.Command]options
}

// options is what every command's options struct is: it registers its
// flags, and checks their values and combinations once they are parsed.
type options interface {
	AddFlags(*pflag.FlagSet)
	validator
}

type validator interface{ Validate() error }

// bind registers o's flags on cmd and keeps o, so that the root validates
// it before cmd runs (validateOptions): the one place any command's flags
// are checked.
func (a *app) bind(cmd *cobra.Command, o options) {
	o.AddFlags(cmd.Flags())
	if a.options == nil {
		a.options = map[*cobra.Command]options{}
	}
	a.options[cmd] = o
}

// validateOptions runs the Validate of cmd's options: after cobra parsed
// the flags and checked the arguments, before anything is opened. Its
// error is a usage error (exit 2).
func (a *app) validateOptions(cmd *cobra.Command) error {
	if o, ok := a.options[cmd]; ok {
		return asUsage(o.Validate())
	}
	return nil
}

func newRootCommand(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "fleetq",
		Short: "Which hosts are safe to act on right now? Set algebra over fleet snapshots.",
		Long: `fleetq keeps snapshots (passes) of what the inventory, metrics and cluster
control planes say about every host, in one bbolt file, and answers set
expressions over them:

  fleetq query 'all - hadoop_exclude & responsive | sample 5'

The four set operators (+ union, - difference, & intersection, ^ symmetric
difference) have EQUAL precedence and associate to the left, like a chain
of comm steps: all - a & b means (all - a) & b. See 'fleetq help language'.

The database is --db, else $FLEETQ_DB, else ./fleetq.db. With --server
URL (or $FLEETQ_SERVER) the commands fleetq serve serves run there instead,
as the token's name, and print here what they print locally
(docs/serve.md).

Examples:
  fleetq ingest inventory.csv responsive hadoop_exclude
  fleetq query 'all - hadoop_exclude & responsive | sample 5'
  fleetq explain 'all - hadoop_exclude & responsive & puppet_ok'
  fleetq drain 'cluster = "smf1-hadoop-03" & responsive | sample 10' --reason "disk swap"
  fleetq repl
  FLEETQ_TOKEN=$(cat rob.token) fleetq leases --server https://fleetq:8470   # ask fleetq serve

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			a.command, a.ctx = cmd.CommandPath(), cmd.Context()
			if err := a.validate(); err != nil {
				return err
			}
			if err := checkFormat(cmd, a.format); err != nil {
				return err
			}
			return a.validateOptions(cmd)
		},
	}
	f := root.PersistentFlags()
	f.StringVar(&a.db, "db", "", "database file (default $FLEETQ_DB, else ./fleetq.db)")
	f.StringVarP(&a.format, "format", "o", "text", "output format: text, json, csv, folded (host sets)")
	f.DurationVar(&a.timeout, "timeout", 10*time.Second, "how long to wait for the database lock")
	f.BoolVar(&a.noColor, "no-color", false, "never colour output (also $NO_COLOR)")
	f.DurationVar(&a.stale, "stale-after", 2*time.Hour, "warn when a query uses a carried source older than this")
	f.BoolVar(&a.create, "create", false, "let a writing command create a missing database file (ingest always may)")
	// One constructor per command, in the order of 'fleetq --help'
	// (commandGroups); each is in its cmd_<verb>.go.
	root.AddCommand(
		newQueryCommand(a),
		newExplainCommand(a),
		newWhyCommand(a),
		newReplCommand(a),
		newSetsCommand(a),
		newTrendCommand(a),
		newSchemaCommand(a),
		newHostCommand(a),
		newPassesCommand(a),
		newLogCommand(a),
		newDiffCommand(a),
		newExportCommand(a),
		newIngestCommand(a),
		newCollectCommand(a),
		newLoopCommand(a),
		newDefsCommand(a),
		newRunCommand(a),
	)
	for _, v := range policy.Verbs {
		root.AddCommand(newVerbCommand(a, v)) // cmd_verbs.go: one template, six verbs
	}
	root.AddCommand(
		newApplyCommand(a),
		newLeasesCommand(a),
		newHeadroomCommand(a),
		newFreezesCommand(a),
		newReleaseCommand(a),
		newCancelCommand(a),
		newFreezeCommand(a),
		newUnfreezeCommand(a),
		newIncidentCommand(a),
		newAuditCommand(a),
		newPlanCommand(a),
		newRolloutCommand(a),
		newWeekCommand(a),
		newCheckCommand(a),
		newDriftCommand(a),
		newPolicyCommand(a),
		newServeCommand(a),
		newTokenCommand(a),
		newGCCommand(a),
		newVersionCommand(a),
		newCompletionCommand(a),
		newHelpLanguageCommand(a),
		newShellCompleteCommand(a),
	)
	root.AddCommand(extraCommands(a)...) // generate, with -tags man
	clientAtSource(root, a)              // --server: client.go
	bi := readBuildInfo()
	root.Version = bi.Version
	root.SetVersionTemplate(bi.text())
	registerCompletions(root, a)
	groupCommands(root)
	usageAtSource(root)
	return root
}

// usageAtSource makes cobra's flag and argument errors usage errors where
// they arise, so that no caller has to recognise cobra's wording.
func usageAtSource(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err.Error()} })
	walkCommands(root, func(c *cobra.Command) {
		if c.Args == nil {
			return
		}
		args := c.Args
		c.Args = func(cmd *cobra.Command, a []string) error { return asUsage(args(cmd, a)) }
	})
}

// asUsage is err as a usage error (nil stays nil).
func asUsage(err error) error {
	var ue *usageError
	if err == nil || errors.As(err, &ue) {
		return err
	}
	return &usageError{err.Error()}
}

// commandGroups are the headings of 'fleetq --help', each with its
// commands; a command in none is listed under "Additional Commands".
var commandGroups = []struct {
	id, title string
	commands  []string
}{
	{"query", "Query:", []string{"query", "explain", "why", "repl", "sets", "trend", "schema", "host"}},
	{"history", "History:", []string{"passes", "log", "diff", "export"}},
	{"sources", "Sources:", []string{"ingest", "collect", "loop", "defs", "run"}},
	{"act", "Act:", []string{"drain", "undrain", "reboot", "rekick", "burnin", "firmware", "apply"}},
	{"ledger", "Ledger:", []string{"leases", "headroom", "release", "cancel", "freeze", "unfreeze", "incident", "audit"}},
	{"rollout", "Rollout:", []string{"plan", "rollout", "week"}},
	{"serve", "Serve:", []string{"serve", "token"}},
	{"admin", "Admin:", []string{"check", "drift", "policy", "gc", "version", "completion", "generate"}},
}

func groupCommands(root *cobra.Command) {
	for _, g := range commandGroups {
		root.AddGroup(&cobra.Group{ID: g.id, Title: g.title})
		for _, name := range g.commands {
			if c := subcommand(root, name); c != nil {
				c.GroupID = g.id
			}
		}
	}
}

// subcommand is root's command called name (or aliased so), else nil: the
// command root.Find([]string{name}) finds, without Find's suggestions for
// a name that is not built ("generate" without -tags man).
func subcommand(root *cobra.Command, name string) *cobra.Command {
	for _, c := range root.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return c
		}
	}
	return nil
}

func (a *app) validate() error {
	if !slices.Contains(outputFormats, a.format) {
		return &usageError{fmt.Sprintf("--format %q: expected %s", a.format, orList(outputFormats))}
	}
	return nil
}

// served says whether the command runs for a fleetq serve request.
func (a *app) served() bool { return a.principal != "" }

// dbPath resolves --db, $FLEETQ_DB, ./fleetq.db.
func (a *app) dbPath() string {
	if a.db != "" {
		return a.db
	}
	if p := os.Getenv("FLEETQ_DB"); p != "" {
		return p
	}
	return "fleetq.db"
}

// openRead opens the database read-only; a missing file is an error.
func (a *app) openRead() (*store.DB, error) {
	db, err := store.OpenContext(a.context(), a.dbPath(), a.storeOptions(store.Options{ReadOnly: true}))
	return db, missingDBHint(err, "the first fleetq ingest creates it")
}

// openWrite opens the database for writing. A missing file is created
// only by ingest (ingesting) or with --create, and the caller then says
// so with noteCreated; otherwise it is an error, so a mistyped --db never
// leaves an empty database behind.
func (a *app) openWrite(ingesting bool) (*store.DB, error) {
	db, err := store.OpenContext(a.context(), a.dbPath(), a.storeOptions(store.Options{Create: ingesting || a.create, Owner: a.command}))
	return db, missingDBHint(err, "the first fleetq ingest creates it, or give --create to start an empty one")
}

// openWriteHint is openWrite for an ingest that expects to write about
// hint bytes (store.Options.WriteHint).
func (a *app) openWriteHint(hint int64) (*store.DB, error) {
	db, err := store.OpenContext(a.context(), a.dbPath(), a.storeOptions(store.Options{Create: true, Owner: a.command, WriteHint: hint}))
	return db, missingDBHint(err, "the first fleetq ingest creates it, or give --create to start an empty one")
}

// storeOptions are o with the lock wait of --timeout, said on stderr
// when it starts.
func (a *app) storeOptions(o store.Options) store.Options {
	o.Timeout = a.timeout
	o.Waiting = func(holder string) {
		fmt.Fprintf(a.stderr, "fleetq: waiting up to %s for the lock of %s, %s (--timeout; Ctrl-C stops)\n", a.timeout, a.dbPath(), holder)
	}
	return o
}

// context is the running command's context (Background before one runs).
func (a *app) context() context.Context {
	if a.ctx == nil {
		return context.Background()
	}
	return a.ctx
}

// missingDBHint adds what to do to a missing-database error.
func missingDBHint(err error, hint string) error {
	if errors.Is(err, store.ErrNoDatabase) {
		return fmt.Errorf("%w (check --db or $FLEETQ_DB; %s)", err, hint)
	}
	return err
}

// noteCreated says on stderr that db was created by this command.
func (a *app) noteCreated(db *store.DB) {
	if db != nil && db.Created() {
		fmt.Fprintf(a.stderr, "fleetq: created database %s\n", a.dbPath())
	}
}

// view runs fn in one read transaction of a briefly opened database.
func (a *app) view(fn func(*store.Tx) error) error {
	db, err := a.openRead()
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(fn)
}

// out is a buffered stdout; call the returned flush when done.
func (a *app) out() (*bufio.Writer, func() error) {
	w := bufio.NewWriterSize(a.stdout, 64<<10)
	return w, w.Flush
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

func commandLine() string {
	return "fleetq " + strings.Join(os.Args[1:], " ")
}

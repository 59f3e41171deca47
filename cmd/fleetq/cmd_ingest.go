package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/agefmt"
	"github.com/fleetq/fleetq/internal/defs"
	"github.com/fleetq/fleetq/internal/ingest"
	"github.com/fleetq/fleetq/internal/store"
)

type ingestOptions struct {
	label      string
	fresh      bool
	allowEmpty bool
	at         string
	defs       string
	noDefs     bool
	progress   string
	limitText  limitFlags
	limits     ingest.Limits
}

// now is the pass time: --at, or the clock.
func (o *ingestOptions) now() (time.Time, error) {
	if o.at == "" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, o.at)
	if err != nil {
		return t, &usageError{fmt.Sprintf("--at %q: expected an RFC 3339 time like 2026-11-20T10:00:00Z", o.at)}
	}
	if now := time.Now(); t.After(now) {
		return t, &usageError{fmt.Sprintf("--at %s is after the clock (%s): a pass from the future would look fresh to every decision", o.at, now.UTC().Format(time.RFC3339))}
	}
	return t.UTC(), nil
}

func (o *ingestOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.label, "label", "", "a label for the new pass")
	fs.BoolVar(&o.fresh, "fresh", false, "carry nothing forward from the previous pass")
	fs.BoolVar(&o.allowEmpty, "allow-empty", false, "accept a source that names no hosts")
	fs.StringVar(&o.defs, "defs", "", "definitions file to evaluate and store in the new pass (default: those kept with fleetq defs set)")
	fs.BoolVar(&o.noDefs, "no-defs", false, "store no definitions in this pass")
	fs.StringVar(&o.at, "at", "", "record the pass and its sources as made at this RFC 3339 time (importing history, replays)")
	fs.StringVar(&o.progress, "progress", progressAuto, "progress on stderr: auto (a status line on a terminal), plain (a line per source), none")
	o.limitText = limitFlags{}
	o.limitText.add(fs)
}

// Validate parses the limits and checks --progress and --at (runIngest
// reads --at again against the clock it seals the pass at).
func (o *ingestOptions) Validate() (err error) {
	if o.limits, err = o.limitText.limits(); err != nil {
		return err
	}
	if err := validProgressMode(o.progress); err != nil {
		return err
	}
	_, err = o.now()
	return err
}

func newIngestCommand(a *app) *cobra.Command {
	o := &ingestOptions{}
	cmd := &cobra.Command{
		Use:   "ingest [--label L] [--fresh] [--progress auto|plain|none] SOURCE...",
		Short: "Read sources into a new sealed pass",
		Long: `Read every SOURCE, then write one new pass in one transaction. Nothing is
written unless every source parses: a bad line is reported as FILE:LINE
and the pass list stays as it was.

A SOURCE is KIND:PATH, KIND:NAME=PATH (the source, and the set of its
hosts, called NAME: hosts:dead=/tmp/x.txt, or prom:node=up.json beside
prom:up.json), KIND:- for standard input, or a bare PATH whose kind is
detected from its content (an empty file has no detectable kind: in cron,
name the kind, inventory:PATH, so an empty dump fails loudly). Kinds: ` + strings.Join(ingest.KindNames(), ", ") + `.

Source kinds not given are carried forward from the previous pass (shared,
not copied) unless --fresh. An inventory with no hosts is an error unless
--allow-empty: an empty CMDB dump is an outage, not a fleet. A CSV column
whose values are all true/false is bool; one that is mostly true/false
with another word ("yes") is an error at that line.

Every source is bounded while it is read (docs/limits.md): at most
--max-source-bytes (4GiB), lines of --max-line-bytes (1MiB; JSON documents
are exempt), values of --max-field-bytes (64KiB), --max-hosts (10000000)
distinct hosts, and --max-expansions (1000000) names from the host ranges
of one file; a source over a bound is an error naming the flag.
$FLEETQ_MAX_SOURCE_BYTES and the like set the defaults for cron.

The first ingest creates the database file and says so on stderr
("fleetq: created database PATH"); other writing commands need it to
exist (or --create).

Progress goes to stderr (--progress): auto, the default, draws a status
line on a terminal once the ingest has run for half a second
($FLEETQ_PROGRESS_DELAY, e.g. 0 or 2s, changes that) -- the source and its
phase (reading, parsing, writing pass…), bytes read with a bar and an ETA
when the sizes are known (not for standard input), and records parsed --
and prints nothing off a terminal; plain prints one line per source read,
for cron logs ("ingest: inventory inventory.csv 5000 records 1.2 MiB
0.4s"); none prints nothing.

Examples:
  fleetq ingest inventory.csv responsive hadoop_exclude
  fleetq ingest --label nightly inventory:cmdb.jsonl hosts:dead=/tmp/dead.txt
  curl -s $CMDB | fleetq ingest inventory:-
  fleetq ingest --progress=plain inventory:cmdb.csv hdfs:report.txt >>/var/log/fleetq.log 2>&1

` + exitCodesHelp,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runIngest(cmd.Context(), a, o, args)
		},
	}
	a.bind(cmd, o)
	return cmd
}

func runIngest(ctx context.Context, a *app, o *ingestOptions, args []string) error {
	now, err := o.now()
	if err != nil {
		return err
	}
	d, err := loadDefinitions(o.defs)
	if err != nil {
		return err
	}
	prog := newProgress(o.progress, a.stderr, args, time.Now)
	defer prog.finish()
	srcs, err := readSources(a, o, prog, args, now)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err // interrupted after reading: write nothing
	}
	prog.writing()
	p, db, err := writePass(a, o, d, srcs, now)
	prog.finish()
	if err != nil {
		return err
	}
	a.noteCreated(db)
	return printIngest(a.stdout, p)
}

// writePass opens (or, the first time, creates) the database and seals
// one pass of srcs; the database is closed when it returns.
func writePass(a *app, o *ingestOptions, d *defs.File, srcs []*store.SourceData, now time.Time) (*store.PassInfo, *store.DB, error) {
	db, err := a.openWriteHint(writeHint(srcs))
	if err != nil {
		return nil, nil, err
	}
	p, err := db.CreatePass(store.NewPass{
		Label: o.label, Created: now, Sources: srcs, Fresh: o.fresh,
		Command: commandLine(), MapHosts: ingest.MapHosts, Seal: defs.Sealer(d, o.noDefs),
	})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	if err := compactIfSparse(db); err != nil {
		// The pass is committed: failing now would make a cron retry
		// seal a second one.
		fmt.Fprintf(a.stderr, "fleetq: warning: pass %d is sealed, but %v; the file is intact, the next ingest or fleetq gc compacts it\n", p.ID, err)
	}
	return p, db, nil
}

// writeHint estimates the bytes a pass of srcs writes (store.Options
// WriteHint): about 16 bytes a host plus 8 a value.
func writeHint(srcs []*store.SourceData) int64 {
	var n int64
	for _, s := range srcs {
		n += int64(len(s.Hosts)) * int64(16+8*len(s.Attrs))
	}
	return n
}

// readSources parses every source before the database is opened.
func readSources(a *app, o *ingestOptions, prog progress, args []string, now time.Time) ([]*store.SourceData, error) {
	var srcs []*store.SourceData
	for i, arg := range args {
		spec, err := ingest.ParseSpec(arg)
		if err != nil {
			return nil, err
		}
		prog.begin(i, spec)
		src, err := ingest.Read(spec, ingest.Options{Stdin: a.stdin, Wrap: prog.wrap, AllowEmpty: o.allowEmpty, Limits: o.limits, Now: func() time.Time { return now }})
		if err != nil {
			return nil, err
		}
		prog.end(src)
		srcs = append(srcs, src)
	}
	return srcs, nil
}

func printIngest(w io.Writer, p *store.PassInfo) error {
	fmt.Fprintf(w, "pass %d sealed: %d hosts\n", p.ID, p.Hosts)
	if p.Log != nil && len(p.Log.Definitions) > 0 {
		fmt.Fprintf(w, "  %d definitions stored as sets of the pass\n", len(p.Log.Definitions))
	}
	for _, s := range p.Sources {
		line := fmt.Sprintf("  %-9s %-16s %8d hosts %8d records  %s", s.Kind, s.Name, s.Hosts, s.Records, s.Path)
		if s.Carried(p.ID) {
			line = fmt.Sprintf("  %-9s %-16s %8d hosts  carried from pass %d (%s old)", s.Kind, s.Name, s.Hosts, s.ReadBy, agefmt.Age(p.Created.Sub(s.ReadAt)))
		}
		fmt.Fprintln(w, line)
		if s.NUnmap > 0 {
			fmt.Fprintf(w, "            %d hosts not in the inventory, kept under their own names (e.g. %s)\n", s.NUnmap, strings.Join(s.Unmapped, ", "))
		}
		for _, warn := range s.Warnings {
			fmt.Fprintf(w, "            warning: %s\n", warn)
		}
	}
	return nil
}

// Compaction thresholds for ingest: compact when the file is over twice
// the data it holds, so it stays under ~2x (one pass plus its history's
// deltas), and never for files under 8 MiB, where free pages cost nothing.
const (
	compactRatio    = 2.0
	compactMinBytes = 8 << 20
)

// compactIfSparse closes db, compacting the file first when it is mostly
// free pages. The pass is already committed: a failed compaction leaves
// the file as it was and is returned for a warning.
func compactIfSparse(db *store.DB) error {
	compacted, err := db.CompactIfSparse(compactRatio, compactMinBytes)
	if !compacted {
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

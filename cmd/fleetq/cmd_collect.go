package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/collect"
	"github.com/fleetq/fleetq/internal/defs"
	"github.com/fleetq/fleetq/internal/ingest"
	"github.com/fleetq/fleetq/internal/store"
)

// exitNothingRead is fleetq collect's status when no source could be
// read: no pass was made.
const exitNothingRead = 6

// exitTerminated is a command's status when SIGTERM stopped it (128+15,
// as a shell reports it).
const exitTerminated = 143

type collectOptions struct {
	sources   string
	deadline  time.Duration
	label     string
	defs      string
	noDefs    bool
	limitText limitFlags
	limits    ingest.Limits
}

func (o *collectOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.sources, "sources", "", "the sources file (default $FLEETQ_SOURCES, else ./"+collect.DefaultFile+")")
	fs.DurationVar(&o.deadline, "deadline", 0, "bound on the whole collect (default the file's deadline, else "+collect.DefaultDeadline.String()+")")
	fs.StringVar(&o.label, "label", "", "a label for the new pass")
	fs.StringVar(&o.defs, "defs", "", "definitions file to evaluate and store in the new pass (default: those kept with fleetq defs set)")
	fs.BoolVar(&o.noDefs, "no-defs", false, "store no definitions in this pass")
	o.limitText = limitFlags{}
	o.limitText.add(fs)
}

func (o *collectOptions) Validate() (err error) {
	if o.deadline < 0 {
		return &usageError{fmt.Sprintf("--deadline %s: expected a positive duration such as 2m", o.deadline)}
	}
	o.limits, err = o.limitText.limits()
	return err
}

// sourcesPath is --sources, else $FLEETQ_SOURCES, else the default file.
func (o *collectOptions) sourcesPath() string {
	if o.sources != "" {
		return o.sources
	}
	if p := os.Getenv("FLEETQ_SOURCES"); p != "" {
		return p
	}
	return collect.DefaultFile
}

func newCollectCommand(a *app) *cobra.Command {
	o := &collectOptions{}
	cmd := &cobra.Command{
		Use:   "collect [--sources FILE] [--deadline D] [--label L]",
		Short: "Read every source of the sources file from the live systems into one pass",
		Long: `Read every source the sources file names (--sources, else $FLEETQ_SOURCES,
else ./` + collect.DefaultFile + `; docs/collect.md) from where it lives -- a
file, a command's output (argv, no shell), an HTTP URL, Prometheus queries,
NetBox's paginated API -- all at once, each within its timeout and all
within the deadline (--deadline, else the file's deadline, else ` + collect.DefaultDeadline.String() + `),
then seal ONE pass, as fleetq ingest would from the same bytes, within the
same limits (--max-source-bytes and the others, docs/limits.md).

A source that fails -- a non-zero exit, a timeout (the command's process
group is killed), an HTTP error status, output that does not parse, a
truncated body -- is carried forward from the previous pass; the pass's
log records the failure with its reason and the tail of the command's
stderr (fleetq log, fleetq passes --format json), and a warning says so
on stderr. An inventory (or netbox) source that fails is an error, and no
pass is written, unless the previous pass has a snapshot of it to carry.
When no source at all could be read, no pass is made and the exit status
is 6. Ctrl-C or SIGTERM while collecting stops every source and writes
nothing (exit 130 or 143).

Examples:
  fleetq collect
  fleetq collect --sources /etc/fleetq/smf1.sources.toml --label smf1 --deadline 2m
  FLEETQ_SOURCES=/etc/fleetq/site.toml fleetq collect --format json | jq '.failures'

` + exitCodesHelp + `
  143  terminated (SIGTERM): fleetq collect wrote no pass`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := collectPass(cmd.Context(), a, o)
			if res != nil {
				if perr := a.print(res); perr != nil {
					return perr
				}
			}
			return err
		},
	}
	a.bind(cmd, o)
	return prints(cmd, (*collectResult)(nil))
}

// collectResult is what fleetq collect made: the pass, what each source
// that was read gave, and the sources that failed.
type collectResult struct {
	Pass     int64                 `json:"pass"` // 0 when no pass was made
	Created  time.Time             `json:"created"`
	Hosts    int                   `json:"hosts"`
	Sources  []collectedSource     `json:"sources"`
	Failures []store.SourceFailure `json:"failures"`
}

// collectedSource is one source read by the collect.
type collectedSource struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Origin   string   `json:"origin"`
	Hosts    int      `json:"hosts"`
	Records  int      `json:"records"`
	Seconds  float64  `json:"seconds"`
	Warnings []string `json:"warnings,omitempty"`
	NUnmap   int      `json:"n_unmapped,omitempty"` // hosts the inventory could not place
	Unmapped []string `json:"unmapped,omitempty"`   // a few of them
}

// collectPass runs one collect: read every source, warn about each that
// failed, and seal one pass unless nothing could be read. The result is
// set whenever the sources were read (also when no pass was made).
func collectPass(ctx context.Context, a *app, o *collectOptions) (*collectResult, error) {
	f, err := collect.Load(o.sourcesPath())
	if err != nil {
		return nil, sourcesFileHint(err, o)
	}
	d, err := loadDefinitions(o.defs)
	if err != nil {
		return nil, err
	}
	ctx, stopTerm := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stopTerm()
	now := time.Now().UTC()
	results := readAllSources(ctx, f, o, now)
	if err := ctx.Err(); err != nil {
		return nil, interruptedCollect(a, err)
	}
	res := &collectResult{Created: now, Sources: []collectedSource{}, Failures: []store.SourceFailure{}}
	var srcs []*store.SourceData
	for _, r := range results {
		if r.Failure != nil {
			res.Failures = append(res.Failures, store.SourceFailure{Name: r.Source.Name, Kind: r.Source.Kind, Reason: r.Failure.Reason, Stderr: r.Failure.Stderr})
			continue
		}
		srcs = append(srcs, r.Data)
		res.Sources = append(res.Sources, collectedSource{Name: r.Data.Name, Kind: r.Data.Kind, Origin: r.Data.Path,
			Hosts: len(r.Data.Hosts), Records: r.Data.Records, Seconds: r.Elapsed.Round(time.Millisecond).Seconds(), Warnings: r.Data.Warnings})
	}
	if len(srcs) == 0 {
		warnFailures(a, res, "no pass made")
		return res, &exitError{code: exitNothingRead, err: fmt.Errorf("no source of %s could be read (%d failed): no pass was made", f.Path, len(res.Failures))}
	}
	p, err := sealCollected(a, o, d, srcs, res)
	if err != nil {
		return nil, err
	}
	res.Pass, res.Hosts = p.ID, p.Hosts
	setUnmapped(res, p)
	return res, nil
}

// setUnmapped copies from the sealed pass how many hosts of each source
// read the inventory could not place (kept under their own names), as
// fleetq ingest prints them.
func setUnmapped(res *collectResult, p *store.PassInfo) {
	for i := range res.Sources {
		if s := parentSource(p, res.Sources[i].Kind, res.Sources[i].Name); s != nil {
			res.Sources[i].NUnmap, res.Sources[i].Unmapped = s.NUnmap, s.Unmapped
		}
	}
}

// readAllSources reads f's sources within the deadline.
func readAllSources(ctx context.Context, f *collect.File, o *collectOptions, now time.Time) []collect.Result {
	deadline := o.deadline
	if deadline == 0 {
		deadline = f.Deadline
	}
	if deadline == 0 {
		deadline = collect.DefaultDeadline
	}
	dctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	return collect.Run(dctx, f, collect.Options{Limits: o.limits, Now: func() time.Time { return now }})
}

// interruptedCollect is the error of a collect stopped by a signal: the
// root's Ctrl-C is reported by executeErr (exit 130), SIGTERM here.
func interruptedCollect(a *app, err error) error {
	if a.context().Err() != nil {
		return err
	}
	return &exitError{code: exitTerminated, err: errors.New("terminated (SIGTERM) while collecting: no pass was written")}
}

// sourcesFileHint adds where the file is looked for to a missing one.
func sourcesFileHint(err error, o *collectOptions) error {
	if errors.Is(err, os.ErrNotExist) && o.sources == "" {
		return fmt.Errorf("%w (give --sources FILE or set $FLEETQ_SOURCES; docs/collect.md)", err)
	}
	return err
}

// sealCollected writes the pass of srcs with res's failures in its log.
// Each failure is carried from the previous pass when it has the source;
// a failed inventory that has nothing to carry writes no pass.
func sealCollected(a *app, o *collectOptions, d *defs.File, srcs []*store.SourceData, res *collectResult) (*store.PassInfo, error) {
	if _, err := os.Stat(a.dbPath()); errors.Is(err, os.ErrNotExist) {
		if err := uncarriedInventory(res.Failures); err != nil {
			warnFailures(a, res, "")
			return nil, err // before the first pass creates the file
		}
	}
	db, err := a.openWriteHint(writeHint(srcs))
	if err != nil {
		return nil, err
	}
	parent, err := latestPass(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	setCarried(res, parent)
	warnFailures(a, res, "")
	if err := uncarriedInventory(res.Failures); err != nil {
		db.Close()
		return nil, err
	}
	p, err := db.CreatePass(store.NewPass{
		Label: o.label, Created: res.Created, Sources: srcs, Failures: res.Failures,
		Command: commandLine(), MapHosts: ingest.MapHosts, Seal: defs.Sealer(d, o.noDefs),
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	a.noteCreated(db)
	if err := compactIfSparse(db); err != nil {
		fmt.Fprintf(a.stderr, "fleetq: warning: pass %d is sealed, but %v; the file is intact, the next ingest or fleetq gc compacts it\n", p.ID, err)
	}
	return p, nil
}

// latestPass is the newest pass of db, nil when it has none.
func latestPass(db *store.DB) (*store.PassInfo, error) {
	var p *store.PassInfo
	err := db.View(func(tx *store.Tx) error {
		id := tx.LatestID()
		if id == 0 {
			return nil
		}
		v, err := tx.Pass(id)
		if err == nil {
			p = v.Info()
		}
		return err
	})
	return p, err
}

// uncarriedInventory refuses a pass whose inventory failed with nothing
// to carry: a pass without its inventory maps no host.
func uncarriedInventory(fails []store.SourceFailure) error {
	for _, f := range fails {
		if store.IsInventoryKind(f.Kind) && f.CarriedFrom == 0 {
			return fmt.Errorf("inventory source %s (%s) could not be read and no earlier pass has it to carry: no pass was written (%s)", f.Name, f.Kind, f.Reason)
		}
	}
	return nil
}

// setCarried sets where each failure is carried from: the pass that
// read the parent's snapshot of it.
func setCarried(res *collectResult, parent *store.PassInfo) {
	for i := range res.Failures {
		if s := parentSource(parent, res.Failures[i].Kind, res.Failures[i].Name); s != nil {
			res.Failures[i].CarriedFrom = s.ReadBy
		}
	}
}

// warnFailures warns about each failure on stderr, with what became of
// its source (outcome, else whether it is carried) and its stderr tail.
func warnFailures(a *app, res *collectResult, outcome string) {
	for _, f := range res.Failures {
		what := outcome
		switch {
		case what != "":
		case f.CarriedFrom > 0:
			what = fmt.Sprintf("carried from pass %d", f.CarriedFrom)
		default:
			what = "nothing to carry: the pass has no " + f.Kind + ":" + f.Name
		}
		fmt.Fprintf(a.stderr, "fleetq: warning: source %s:%s failed: %s; %s\n", f.Kind, f.Name, f.Reason, what)
		for _, line := range strings.Split(f.Stderr, "\n") {
			if line != "" {
				fmt.Fprintf(a.stderr, "    stderr: %s\n", line)
			}
		}
	}
}

func parentSource(parent *store.PassInfo, kind, name string) *store.SourceInfo {
	if parent == nil {
		return nil
	}
	for i, s := range parent.Sources {
		if s.Kind == kind && s.Name == name {
			return &parent.Sources[i]
		}
	}
	return nil
}

func (r *collectResult) jsonValue() any { return r }

func (r *collectResult) writeText(w *textWriter) {
	if r.Pass == 0 {
		fmt.Fprintf(w, "no pass made: %d sources failed\n", len(r.Failures))
	} else {
		fmt.Fprintf(w, "pass %d sealed: %d hosts (%d sources read, %d failed)\n", r.Pass, r.Hosts, len(r.Sources), len(r.Failures))
	}
	width := r.nameWidth()
	for _, s := range r.Sources {
		fmt.Fprintf(w, "  %-9s %-*s %8d hosts %8d records %6.1fs  %s\n", s.Kind, width, s.Name, s.Hosts, s.Records, s.Seconds, s.Origin)
		if s.NUnmap > 0 {
			fmt.Fprintf(w, "            %d hosts not in the inventory, kept under their own names (e.g. %s)\n", s.NUnmap, strings.Join(s.Unmapped, ", "))
		}
		for _, warn := range s.Warnings {
			fmt.Fprintf(w, "            warning: %s\n", warn)
		}
	}
	for _, f := range r.Failures {
		how := "not carried: no earlier pass has it"
		switch {
		case r.Pass == 0:
			how = "no pass made"
		case f.CarriedFrom > 0:
			how = fmt.Sprintf("carried from pass %d", f.CarriedFrom)
		}
		fmt.Fprintf(w, "  %-9s %-*s FAILED (%s): %s\n", f.Kind, width, f.Name, how, f.Reason)
	}
}

// nameWidth is the width of the text's name column: 16, as fleetq
// ingest prints it, or the longest name (metrics_node_uname_info).
func (r *collectResult) nameWidth() int {
	width := 16
	for _, s := range r.Sources {
		width = max(width, len(s.Name))
	}
	for _, f := range r.Failures {
		width = max(width, len(f.Name))
	}
	return width
}

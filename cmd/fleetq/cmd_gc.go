package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/store"
)

type gcOptions struct {
	keepLast  int
	keepSince time.Duration
	dryRun    bool
	yes       bool
}

func (o *gcOptions) AddFlags(fs *pflag.FlagSet) {
	fs.IntVar(&o.keepLast, "keep-last", 0, "keep the newest N passes")
	fs.DurationVar(&o.keepSince, "keep-since", 0, "keep passes made within this long (72h, 720h)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "say what would be removed; change nothing")
	fs.BoolVarP(&o.yes, "yes", "y", false, "remove without asking (for scripts and cron)")
}

func (o *gcOptions) Validate() error {
	switch {
	case (o.keepLast > 0) == (o.keepSince > 0):
		return &usageError{"gc: give exactly one of --keep-last N (N ≥ 1) or --keep-since DURATION"}
	case o.keepLast < 0 || o.keepSince < 0:
		return &usageError{"gc: --keep-last and --keep-since must be positive"}
	}
	return nil
}

func newGCCommand(a *app) *cobra.Command {
	o := &gcOptions{}
	cmd := &cobra.Command{
		Use:   "gc --keep-last N | --keep-since DURATION",
		Short: "Remove old passes and compact the database file",
		Long: `Remove every pass except the newest N (--keep-last) or those made within
DURATION (--keep-since 72h). The newest pass is never removed. Then every
stored set, attribute and manifest no remaining pass needs is deleted (a
source carried forward into a kept pass stays), older versions are kept as
deltas of newer ones, and the file is compacted: copied into a temporary
file that atomically replaces it, under the write lock, so a crash leaves
either the old file or the new one. Prints the file size before and after.
When compaction fails after the removal was committed, gc prints what it
removed and exits 1; the file is intact, and running gc again compacts it.

Removing passes loses history: 'dead@-1', 'fleetq diff' and audit replays
of decisions made from a removed pass no longer work. On a terminal gc asks
before removing anything; scripts pass --yes. --dry-run only reports.

Examples:
  fleetq gc --keep-last 500 --dry-run
  fleetq gc --keep-since 720h --yes

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGC(a, o, time.Now().UTC())
		},
	}
	a.bind(cmd, o)
	return prints(cmd, gcReport{})
}

func runGC(a *app, o *gcOptions, now time.Time) error {
	gco := store.GCOptions{KeepLast: o.keepLast, KeepSince: o.keepSince, Now: now, DryRun: true}
	opts := a.storeOptions(store.Options{Owner: a.command})
	plan, err := store.GC(a.context(), a.dbPath(), opts, gco)
	if err != nil {
		return missingDBHint(err, "the first fleetq ingest creates it")
	}
	if o.dryRun {
		return printGC(a, plan)
	}
	if len(plan.Removed) > 0 && !o.yes {
		if err := confirmGC(a, plan); err != nil {
			return err
		}
	}
	gco.DryRun = false
	rep, err := store.GC(a.context(), a.dbPath(), opts, gco)
	if errors.Is(err, store.ErrCompact) && rep != nil {
		return compactFailed(a, rep, err)
	}
	if err != nil {
		return err
	}
	return printGC(a, rep)
}

// compactFailed reports what gc did before its compaction failed: the
// removal is committed and stays, and a retry only compacts.
func compactFailed(a *app, rep *store.GCReport, err error) error {
	if perr := printGC(a, rep); perr != nil {
		return perr
	}
	return fmt.Errorf("removed passes %s (committed); %w; the file is intact, retry fleetq gc to compact", idRanges(rep.Removed), err)
}

// confirmGC asks for an exact "y" on a terminal and refuses elsewhere.
func confirmGC(a *app, plan *store.GCReport) error {
	what := fmt.Sprintf("remove %d passes (%s) from %s", len(plan.Removed), idRanges(plan.Removed), a.dbPath())
	if !isTerminal(a.stdin) {
		return &usageError{"gc would " + what + "; add --yes to do it, or --dry-run to only look"}
	}
	fmt.Fprintf(a.stderr, "%s? [y/N] ", what)
	line, _ := bufio.NewReader(a.stdin).ReadString('\n')
	if strings.TrimSpace(line) != "y" {
		return fmt.Errorf("gc cancelled; nothing removed")
	}
	return nil
}

func printGC(a *app, r *store.GCReport) error { return a.print(gcReport{r}) }

// gcReport is the result of fleetq gc: what was (or would be) removed.
type gcReport struct{ *store.GCReport }

func (r gcReport) jsonValue() any { return r.GCReport }

func (r gcReport) writeText(w *textWriter) {
	verb := "removed"
	if r.DryRun {
		verb = "would remove"
	}
	fmt.Fprintf(w, "%s %d passes (%s); kept %d (%s)\n", verb, len(r.Removed), idRanges(r.Removed), len(r.Kept), idRanges(r.Kept))
	if !r.DryRun {
		fmt.Fprintf(w, "blobs: removed %d whole, %d deltas\n", r.BlobsRemoved, r.DeltasRemoved)
		fmt.Fprintf(w, "file: %s → %s\n", byteCount(r.Before.FileBytes), byteCount(r.After.FileBytes))
	} else {
		fmt.Fprintf(w, "file: %s (%s in use)\n", byteCount(r.Before.FileBytes), byteCount(r.Before.UsedBytes))
	}
}

// idRanges prints sorted ids as "1-5,8".
func idRanges(ids []int64) string {
	if len(ids) == 0 {
		return "none"
	}
	var parts []string
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, fmt.Sprint(ids[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", ids[i], ids[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

func byteCount(n int64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 10<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

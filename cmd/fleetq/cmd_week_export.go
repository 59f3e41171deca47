package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
	_ "time/tzdata" // a week's zone loads on a machine without /usr/share/zoneinfo

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/store"
)

// fleetq week export DIR [REF] [-- HOOK ARG…]: per customer of a planned
// week, a CSV of their hosts and slots and an iCalendar file of the slots
// (docs/windows.md, "Telling customers").

type weekExportOptions struct{ customer string }

func (o *weekExportOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.customer, "customer", "", "the host attribute naming a host's customer (default: the week's)")
}

func (o *weekExportOptions) Validate() error { return nil }

func newWeekExportCommand(a *app) *cobra.Command {
	o := &weekExportOptions{}
	cmd := &cobra.Command{
		Use:   "export DIR [WEEK] [-- HOOK [ARG…]]",
		Short: "Write each customer's hosts and slots of a week as CSV and iCalendar files",
		Long: `Write, for each customer of week WEEK (w2, or a name; the newest week
when left out), DIR/CUSTOMER.csv (one row per host: its step, the slot in
UTC and in the week's zone, the verbs the slot gates) and DIR/CUSTOMER.ics
(RFC 5545: one event per slot holding the customer's hosts, times in UTC,
a UID that stays the same on every export of the week, so a calendar
re-importing the file updates its events). DIR/_index.csv lists every
customer with its file name and counts, as the output does.

A host's customer is its value of the week's customer attribute (or
--customer ATTR) in the pass the week was planned on, or in the newest
pass when that one was collected. Hosts without a value go to
DIR/_unassigned.csv and .ics. A customer name that is not a plain file
name (A-Z a-z 0-9 . _ -, starting with a letter or digit) is cleaned and
given a hash suffix: "../x" is "_._x~" and 12 hex digits. Each file is
written to a temporary name and renamed; DIR is created if missing. A
file an earlier export into DIR wrote and this one does not (a customer
with no host in this week) is removed if unchanged; nothing else is. A
cancelled week's events are written cancelled, under the same UIDs, so
exporting it again withdraws them. The database is only read.

After the files, HOOK (given after --, run as an argv, no shell) runs once
per customer (not for _unassigned) with the customer's hosts on stdin and
FLEETQ_WEEK, FLEETQ_CUSTOMER, FLEETQ_CUSTOMER_FILE, FLEETQ_CSV, FLEETQ_ICS,
FLEETQ_HOSTS and FLEETQ_SLOTS in its environment; a customer whose hook
fails is named, the others still run, and the exit status is 1.

Examples:
  fleetq week export notify/w2 w2
  fleetq week export --customer tenant notify/
  fleetq week export notify/ -- /usr/local/bin/mail-customer --from ops@example.com

` + exitCodesHelp,
		Args: weekExportArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			pos, hook := splitHook(cmd, args)
			return runWeekExport(a, o, pos, hook)
		},
	}
	a.bind(cmd, o)
	return prints(cmd, (*weekExported)(nil))
}

// weekExportArgs accepts DIR [WEEK] before a "--" and at least a program
// after one.
func weekExportArgs(cmd *cobra.Command, args []string) error {
	pos, hook := splitHook(cmd, args)
	switch {
	case len(pos) < 1 || len(pos) > 2:
		return fmt.Errorf("week export takes DIR and an optional WEEK, got %d arguments before --", len(pos))
	case cmd.ArgsLenAtDash() >= 0 && (len(hook) == 0 || hook[0] == ""):
		return errors.New("week export: a hook program after --, or no --")
	}
	return nil
}

// splitHook splits the arguments at "--": DIR [WEEK], then the hook.
func splitHook(cmd *cobra.Command, args []string) (pos, hook []string) {
	if d := cmd.ArgsLenAtDash(); d >= 0 {
		return args[:d], args[d:]
	}
	return args, nil
}

func runWeekExport(a *app, o *weekExportOptions, pos, hook []string) error {
	dir, ref := pos[0], ""
	if len(pos) == 2 {
		ref = pos[1]
	}
	var ex *weekExport
	err := a.view(func(tx *store.Tx) (err error) {
		ex, err = collectWeekExport(tx, ref, o.customer)
		return err
	})
	if err != nil {
		return err
	}
	if ex.fallback != 0 {
		fmt.Fprintf(a.stderr, "fleetq: note: pass %d, which week %s was planned on, is gone: customers are read from pass %d\n", ex.fallback, ex.week.Ref(), ex.Pass)
	}
	if err := ex.write(dir); err != nil {
		return err
	}
	res := &weekExported{weekExport: ex, Dir: dir}
	if len(hook) > 0 {
		res.Hooks = runCustomerHooks(a, hook, ex, dir)
	}
	if err := a.print(res); err != nil {
		return err
	}
	return hookFailures(hook, res.Hooks)
}

// weekExported is the result of fleetq week export: the index.
type weekExported struct {
	*weekExport
	Dir   string    `json:"dir"`
	Hooks []hookRun `json:"hooks,omitempty"`
}

func (r *weekExported) jsonValue() any { return r }

func (r *weekExported) writeText(w *textWriter) {
	hosts := 0
	for _, c := range r.Customers {
		hosts += c.Hosts
	}
	fmt.Fprintf(w, "week %s (%s): %d customers (attribute %s of pass %d), %d hosts, written to %s\n",
		r.week.Label(), r.State, len(r.Customers), strconv.Quote(r.Attr), r.Pass, hosts, r.Dir)
	rows := make([][]string, len(r.Customers))
	for i, c := range r.Customers {
		rows[i] = []string{customerLabel(c.Customer), c.File + ".csv", c.File + ".ics", strconv.Itoa(c.Hosts), strconv.Itoa(c.Slots), strconv.Itoa(c.Unslotted)}
	}
	writeTable(w, []string{"CUSTOMER", "CSV", "ICS", "HOSTS", "SLOTS", "UNSLOTTED"}, rows)
	for _, h := range r.Hooks {
		fmt.Fprintf(w, "hook %s: %s\n", customerLabel(h.Customer), h.Result)
	}
}

func (r *weekExported) writeCSV(cw *csvWriter) { writeIndexCSV(cw, r.weekExport) }

// customerLabel is how output names a customer: "(unassigned)" for none.
func customerLabel(c string) string {
	if c == "" {
		return "(unassigned)"
	}
	return c
}

// weekZone loads a week's zone; "" is UTC.
func weekZone(w *store.Week) (*time.Location, error) {
	if w.Zone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(w.Zone)
	if err != nil {
		return nil, fmt.Errorf("week %s: zone %q: %w", w.Ref(), w.Zone, err)
	}
	return loc, nil
}

// write writes every customer's CSV and .ics, then DIR/_index.csv, then
// its record of them (weekRecordName), then removes the files of an
// earlier export that this one does not write and that still hold what
// it wrote (a customer that left): as fleetq export does (cmd_export.go).
func (ex *weekExport) write(dir string) error {
	if err := exportDir(dir); err != nil {
		return err
	}
	stale := previousExport(dir, weekRecordName, plainFileName)
	rec := exportRecord{Files: []exportedFile{}}
	put := func(name string, fill func(io.Writer) error) error {
		sum, err := writeExportFile(filepath.Join(dir, name), fill)
		rec.Files = append(rec.Files, exportedFile{Name: name, SHA256: sum})
		delete(stale, name)
		return err
	}
	for i := range ex.Customers {
		c := &ex.Customers[i]
		if err := put(c.File+".csv", ex.customerCSV(c)); err != nil {
			return err
		}
		if err := put(c.File+".ics", ex.customerICS(c)); err != nil {
			return err
		}
	}
	if err := put(indexFile, ex.indexCSV); err != nil {
		return err
	}
	if _, err := writeExportFile(filepath.Join(dir, weekRecordName), rec.write); err != nil {
		return err
	}
	removeStale(dir, stale)
	return nil
}

// weekRecordName is where week export records the files it wrote, with
// their sha256, so that a later export into DIR knows which it may
// remove. No customer file starts with a dot.
const weekRecordName = ".fleetq-week-export.json"

// plainFileName reports whether a recorded name stays inside the export
// directory and is not a dot file.
func plainFileName(name string) bool {
	return name != "" && name == filepath.Base(name) && name[0] != '.'
}

// exportDir makes dir when missing; a file or an uncreatable path is an
// error naming it.
func exportDir(dir string) error {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fmt.Errorf("week export: %s is not a directory", dir)
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("week export: cannot create directory %s: %w", dir, err)
	}
	return nil
}

// sortedCustomers lists the customer names of byCustomer in byte order,
// "" (unassigned) last.
func sortedCustomers[V any](byCustomer map[string]V) []string {
	names := make([]string, 0, len(byCustomer))
	for n := range byCustomer {
		if n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	if _, ok := byCustomer[""]; ok {
		names = append(names, "")
	}
	return names
}

package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/nodeset"
	"github.com/fleetq/fleetq/internal/store"
)

type diffOptions struct {
	attrs bool
	all   bool
}

func (o *diffOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.attrs, "attrs", false, "also list per-host attribute changes (host, attribute, old → new)")
	fs.BoolVar(&o.all, "all-sets", false, "list unchanged sets in the summary too")
}

// Validate has nothing to check: the passes and sets are arguments.
func (o *diffOptions) Validate() error { return nil }

func newDiffCommand(a *app) *cobra.Command {
	o := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff [A [B]] [SET...]",
		Short: "Show which hosts entered and left each set between two passes",
		Long: `Compare pass A with pass B (default: the two newest passes). For every set
of either pass (or only the named SETs), print a summary table first:
hosts in A, hosts in B, how many entered and how many left. Then, per
changed set, the hosts that entered (+host) and left (-host), one per line
in byte order, or folded with --format folded.

A and B are pass ids; 0 is the newest pass and -N the pass N before it, as
in name@-1 (write -- before a negative one: fleetq diff -- -2 0).

--attrs also lists, for hosts in both passes, every attribute whose value
changed: this is where drift between what the inventory declares and what
a control plane observes shows up. Unchanged attribute columns are skipped
without being read (they share one stored blob).

The output agrees with comm(1) over 'fleetq export' files: the hosts that
entered SET are 'comm -13 A/SET B/SET', those that left 'comm -23 A/SET B/SET'.

Examples:
  fleetq diff
  fleetq diff 41 42 dead-reboot responsive
  fleetq diff --attrs --format json -- -1 0

` + exitCodesHelp,
		RunE: func(cmd *cobra.Command, args []string) error { return runDiff(a, o, args, a.stdout) },
	}
	a.bind(cmd, o)
	return prints(cmd, (*diffReport)(nil))
}

// diffReport is a diff turned into names inside the read transaction.
type diffReport struct {
	A     passRef         `json:"a"`
	B     passRef         `json:"b"`
	Sets  []setDiffReport `json:"sets"`
	Attrs []attrDiff      `json:"attributes,omitempty"`
	all   bool            // text lists unchanged sets too (--all-sets)
}

func (r *diffReport) jsonValue() any { return r }

func (r *diffReport) writeText(w *textWriter) { r.write(w.Writer, false) }

func (r *diffReport) writeFolded(w *textWriter) { r.write(w.Writer, true) }

type passRef struct {
	ID      int64  `json:"id"`
	Created string `json:"created"`
	Label   string `json:"label,omitempty"`
	title   string
}

type setDiffReport struct {
	Name    string   `json:"name"`
	InA     bool     `json:"in_a"`
	InB     bool     `json:"in_b"`
	CountA  uint64   `json:"count_a"`
	CountB  uint64   `json:"count_b"`
	Entered []string `json:"entered"`
	Left    []string `json:"left"`
}

type attrDiff struct {
	Host string  `json:"host"`
	Attr string  `json:"attribute"`
	Old  *string `json:"old"`
	New  *string `json:"new"`
}

func runDiff(a *app, o *diffOptions, args []string, out io.Writer) error {
	var refs, sets []string
	for _, arg := range args {
		if len(sets) == 0 && len(refs) < 2 && isPassRef(arg) {
			refs = append(refs, arg)
		} else {
			sets = append(sets, arg)
		}
	}
	var rep *diffReport
	err := a.view(func(tx *store.Tx) error {
		pa, pb, err := diffPasses(tx, refs)
		if err != nil {
			return err
		}
		d, err := tx.Diff(pa, pb, store.DiffOptions{Sets: sets, Attrs: o.attrs})
		if err != nil {
			return err
		}
		rep = newDiffReport(tx.Hosts(), d)
		return nil
	})
	if err != nil {
		return err
	}
	rep.all = o.all
	return a.print(rep)
}

// diffPasses resolves the pass arguments: none → the two newest; one → it
// and the newest.
func diffPasses(tx *store.Tx, refs []string) (int64, int64, error) {
	ids, err := passIDs(tx)
	if err != nil {
		return 0, 0, err
	}
	switch len(refs) {
	case 0:
		refs = []string{"-1", "0"}
	case 1:
		refs = append(refs, "0")
	}
	if len(ids) == 0 {
		return 0, 0, store.ErrNoPasses
	}
	if len(ids) == 1 && refs[0] == "-1" {
		return 0, 0, fmt.Errorf("diff needs two passes; the database has one (pass %d)", ids[0])
	}
	pa, err := resolvePassRef(refs[0], ids)
	if err != nil {
		return 0, 0, err
	}
	pb, err := resolvePassRef(refs[1], ids)
	return pa, pb, err
}

func newDiffReport(dict *store.HostDict, d *store.PassDiff) *diffReport {
	rep := &diffReport{A: newPassRef(d.A), B: newPassRef(d.B), Sets: []setDiffReport{}}
	for _, c := range d.Sets {
		rep.Sets = append(rep.Sets, setDiffReport{
			Name: c.Name, InA: c.InA, InB: c.InB, CountA: c.CountA, CountB: c.CountB,
			Entered: nonNil(dict.Names(c.Entered)), Left: nonNil(dict.Names(c.Left)),
		})
	}
	for _, c := range d.Attrs {
		rep.Attrs = append(rep.Attrs, attrDiff{Host: c.Host, Attr: c.Attr, Old: valuePtr(c.Old, c.Had), New: valuePtr(c.New, c.Has)})
	}
	return rep
}

func newPassRef(p *store.PassInfo) passRef {
	return passRef{ID: p.ID, Created: p.Created.Format("2006-01-02T15:04:05Z"), Label: p.Label, title: passTitle(p)}
}

func valuePtr(v fleet.Value, ok bool) *string {
	if !ok {
		return nil
	}
	s := v.String()
	return &s
}

func (r *diffReport) write(w *bufio.Writer, folded bool) {
	fmt.Fprintf(w, "%s → %s\n\n", r.A.title, r.B.title)
	var rows [][]string
	unchanged := 0
	for _, s := range r.Sets {
		if len(s.Entered)+len(s.Left) == 0 && !r.all {
			unchanged++
			continue
		}
		rows = append(rows, []string{s.Name, countCell(s.CountA, s.InA), countCell(s.CountB, s.InB),
			"+" + strconv.Itoa(len(s.Entered)), "-" + strconv.Itoa(len(s.Left))})
	}
	writeTable(w, []string{"SET", "PASS " + strconv.FormatInt(r.A.ID, 10), "PASS " + strconv.FormatInt(r.B.ID, 10), "ENTERED", "LEFT"}, rows)
	if unchanged > 0 {
		fmt.Fprintf(w, "(%d sets unchanged; --all-sets lists them)\n", unchanged)
	}
	for _, s := range r.Sets {
		if len(s.Entered)+len(s.Left) > 0 {
			fmt.Fprintf(w, "\n# %s: %d entered, %d left\n", s.Name, len(s.Entered), len(s.Left))
			writeSigned(w, '+', s.Entered, folded)
			writeSigned(w, '-', s.Left, folded)
		}
	}
	if r.Attrs != nil {
		r.writeAttrs(w)
	}
}

// countCell prints a count, or "-" when the set does not exist in the pass.
func countCell(n uint64, exists bool) string {
	if !exists {
		return "-"
	}
	return strconv.FormatUint(n, 10)
}

func writeSigned(w *bufio.Writer, sign byte, hosts []string, folded bool) {
	if len(hosts) == 0 {
		return
	}
	if folded {
		fmt.Fprintf(w, "%c %s\n", sign, nodeset.Fold(hosts))
		return
	}
	for _, h := range hosts {
		w.WriteByte(sign)
		w.WriteString(h)
		w.WriteByte('\n')
	}
}

func (r *diffReport) writeAttrs(w *bufio.Writer) {
	fmt.Fprintf(w, "\n# attribute changes: %d (hosts in both passes)\n", len(r.Attrs))
	rows := make([][]string, len(r.Attrs))
	for i, c := range r.Attrs {
		rows[i] = []string{c.Host, c.Attr, orNone(c.Old) + " → " + orNone(c.New)}
	}
	writeTable(w, []string{"HOST", "ATTRIBUTE", "CHANGE"}, rows)
}

func orNone(s *string) string {
	if s == nil {
		return "(none)"
	}
	return *s
}

// writeCSV prints one row per change: kind (entered, left, attribute),
// set or attribute name, host, old and new value.
func (r *diffReport) writeCSV(cw *csvWriter) {
	cw.Write([]string{"change", "name", "host", "old", "new"})
	for _, s := range r.Sets {
		for _, h := range s.Entered {
			cw.Write([]string{"entered", s.Name, h, "", ""})
		}
		for _, h := range s.Left {
			cw.Write([]string{"left", s.Name, h, "", ""})
		}
	}
	for _, c := range r.Attrs {
		cw.Write([]string{"attribute", c.Attr, c.Host, orEmpty(c.Old), orEmpty(c.New)})
	}
}

func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// queryResult is a result turned into plain data inside the read
// transaction, except its host sets: those are read from the host
// dictionary as they are printed (streamed: no name is kept), so a
// queryResult is printed inside the transaction that made it.
type queryResult struct {
	kind     query.ResultKind
	pass     int64
	seed     uint64
	random   bool
	empty    bool
	set      *roaring.Bitmap   // a host set
	batches  []*roaring.Bitmap // split's batches
	dict     *store.HostDict   // the names of set and batches
	hosts    []string          // show's hosts
	count    uint64
	groups   []query.GroupCount
	cols     []string
	rows     [][]string
	warnings []string
	bound    string // the name a REPL binding bound (nothing to print)
	size     uint64 // the size of the binding
	err      error  // the first error of printing a host set
}

func render(tx *store.Tx, env *query.Env, r *query.Result) *queryResult {
	dict := tx.Hosts()
	out := &queryResult{kind: r.Kind, pass: env.Snap.Current().ID(), seed: env.Seed, random: r.Random, dict: dict}
	switch r.Kind {
	case query.CountResult:
		out.count = r.Count
	case query.GroupsResult:
		out.groups, out.cols = r.Groups, r.Columns
	case query.ShowResult:
		var ids []uint32
		out.hosts, ids = dict.NamesWithIDs(r.Hosts)
		out.cols, out.rows = r.Columns, showRows(r.ColumnAttrs, ids)
	case query.BatchesResult:
		out.batches = r.Batches
	default:
		out.set = r.Hosts
	}
	out.empty = r.Hosts.IsEmpty()
	return out
}

// showRows are the values of attrs for each host id, in the order of ids.
func showRows(attrs []fleet.Attr, ids []uint32) [][]string {
	rows := make([][]string, len(ids))
	for i, id := range ids {
		row := make([]string, len(attrs))
		for j, a := range attrs {
			if v, ok := a.Value(id); ok {
				row[j] = v.String()
			}
		}
		rows[i] = row
	}
	return rows
}

// writeText prints the result as text: host sets one name per line.
func (r *queryResult) writeText(w *textWriter) { r.writeHuman(w, false) }

// writeFolded is the text with host sets folded (dn[01-03].smf1).
func (r *queryResult) writeFolded(w *textWriter) { r.writeHuman(w, true) }

func (r *queryResult) writeHuman(w *textWriter, folded bool) {
	switch r.kind {
	case query.CountResult:
		fmt.Fprintln(w, r.count)
	case query.GroupsResult:
		rows := make([][]string, len(r.groups))
		for i, g := range r.groups {
			rows[i] = []string{g.Value, strconv.FormatUint(g.Count, 10)}
		}
		writeTable(w, []string{strings.ToUpper(r.cols[0]), "HOSTS"}, rows)
	case query.ShowResult:
		rows := make([][]string, len(r.hosts))
		for i, h := range r.hosts {
			rows[i] = append([]string{h}, r.rows[i]...)
		}
		writeTable(w, append([]string{"HOST"}, upper(r.cols)...), rows)
	case query.BatchesResult:
		for i, b := range r.batches {
			fmt.Fprintf(w, "# batch %d: %d hosts\n", i+1, b.GetCardinality())
			r.writeHostLines(w, b, folded)
		}
	default:
		r.writeHostLines(w, r.set, folded)
	}
}

func (r *queryResult) jsonValue() any {
	switch r.kind {
	case query.CountResult:
		return map[string]any{"pass": r.pass, "count": r.count}
	case query.GroupsResult:
		rows := make([]map[string]any, len(r.groups))
		for i, g := range r.groups {
			rows[i] = map[string]any{"value": g.Value, "hosts": g.Count}
		}
		return map[string]any{"pass": r.pass, "by": r.cols[0], "groups": rows}
	case query.ShowResult:
		rows := make([]map[string]string, len(r.hosts))
		for i, h := range r.hosts {
			row := map[string]string{"host": h}
			for j, c := range r.cols {
				row[c] = r.rows[i][j]
			}
			rows[i] = row
		}
		return map[string]any{"pass": r.pass, "rows": rows}
	case query.BatchesResult:
		var bats [][]string
		for _, b := range r.batches {
			bats = append(bats, r.dict.Names(b))
		}
		return map[string]any{"pass": r.pass, "seed": r.seed, "batches": bats}
	}
	hosts := r.dict.Names(r.set)
	v := map[string]any{"pass": r.pass, "count": len(hosts), "hosts": nonNil(hosts)}
	if r.random {
		v["seed"] = r.seed
	}
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (r *queryResult) writeCSV(cw *csvWriter) {
	switch r.kind {
	case query.CountResult:
		cw.Write([]string{"count"})
		cw.Write([]string{strconv.FormatUint(r.count, 10)})
	case query.GroupsResult:
		cw.Write([]string{r.cols[0], "hosts"})
		for _, g := range r.groups {
			cw.Write([]string{g.Value, strconv.FormatUint(g.Count, 10)})
		}
	case query.ShowResult:
		cw.Write(append([]string{"host"}, r.cols...))
		for i, h := range r.hosts {
			cw.Write(append([]string{h}, r.rows[i]...))
		}
	case query.BatchesResult:
		cw.Write([]string{"batch", "host"})
		for i, b := range r.batches {
			r.writeHostRecords(cw, b, strconv.Itoa(i+1))
		}
	default:
		cw.Write([]string{"host"})
		r.writeHostRecords(cw, r.set, "")
	}
}

// writeJSON prints v as JSON indented by two spaces, or on one line for a
// compact textWriter (a dashboard page's call, app.compactJSON).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	if tw, ok := w.(*textWriter); !ok || !tw.compact {
		enc.SetIndent("", "  ")
	}
	enc.SetEscapeHTML(false) // & < > are the language's operators, not HTML
	return enc.Encode(v)
}

// writeTable prints aligned columns: numbers right-aligned, every cell
// escaped by safeText (a value cannot move the cursor or forge a row).
func writeTable(w io.Writer, header []string, rows [][]string) {
	header, rows = safeCells(header), safeRows(rows)
	width := make([]int, len(header))
	for i, h := range header {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			if isNumber(c) && i > 0 {
				b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)) + c)
			} else if i < len(cells)-1 {
				b.WriteString(c + strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)))
			} else {
				b.WriteString(c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(header)
	for _, r := range rows {
		line(r)
	}
}

func safeRows(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = safeCells(r)
	}
	return out
}

// safeCells is cells escaped by safeText, cells itself when none needs it.
func safeCells(cells []string) []string {
	for i, c := range cells {
		if !isPlain(c, false) {
			out := append([]string(nil), cells...)
			for j := i; j < len(out); j++ {
				out[j] = safeText(out[j])
			}
			return out
		}
	}
	return cells
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func upper(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToUpper(s)
	}
	return out
}

// writeSteps draws an explanation as a tree.
func writeSteps(w io.Writer, steps []query.Step) {
	rows := make([][]string, len(steps))
	var tree treeBranches
	for i, s := range steps {
		rows[i] = []string{tree.next(s.Depth, s.Last) + s.Text, strconv.FormatUint(s.Size, 10), s.Origin}
	}
	writeTable(w, []string{"EXPRESSION", "HOSTS", "FROM"}, rows)
}

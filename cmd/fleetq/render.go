package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/nodeset"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// queryResult is a result turned into plain data inside the read
// transaction, so it can be printed after the database is closed.
type queryResult struct {
	kind     query.ResultKind
	pass     int64
	seed     uint64
	random   bool
	empty    bool
	hosts    []string
	lines    []byte // a host set as newline-terminated names (text output)
	count    uint64
	groups   []query.GroupCount
	cols     []string
	rows     [][]string
	bats     [][]string
	warnings []string
	bound    string // the name a REPL binding bound (nothing to print)
	size     uint64 // the size of the binding
}

func render(format string, tx *store.Tx, env *query.Env, r *query.Result) *queryResult {
	dict := tx.Hosts()
	out := &queryResult{kind: r.Kind, pass: env.Snap.Current().ID(), seed: env.Seed, random: r.Random}
	switch r.Kind {
	case query.CountResult:
		out.count = r.Count
	case query.GroupsResult:
		out.groups, out.cols = r.Groups, r.Columns
	case query.ShowResult:
		out.hosts = dict.Names(r.Hosts)
		out.cols, out.rows = r.Columns, showRows(r.ColumnAttrs, dict, out.hosts)
	case query.BatchesResult:
		for _, b := range r.Batches {
			out.bats = append(out.bats, dict.Names(b))
		}
	default:
		if format == "text" {
			out.lines = dict.AppendNames(make([]byte, 0, 16*r.Hosts.GetCardinality()), r.Hosts)
		} else {
			out.hosts = dict.Names(r.Hosts)
		}
	}
	out.empty = r.Hosts.IsEmpty()
	return out
}

func showRows(attrs []fleet.Attr, dict *store.HostDict, hosts []string) [][]string {
	ids, _ := dict.Lookup(hosts)
	idOf := make(map[string]uint32, len(hosts))
	it := ids.Iterator()
	for it.HasNext() {
		id := it.Next()
		idOf[dict.Name(id)] = id
	}
	rows := make([][]string, len(hosts))
	for i, h := range hosts {
		row := make([]string, len(attrs))
		for j, a := range attrs {
			if v, ok := a.Value(idOf[h]); ok {
				row[j] = v.String()
			}
		}
		rows[i] = row
	}
	return rows
}

// writeText prints the result as text: host sets one name per line.
func (r *queryResult) writeText(w *textWriter) {
	if r.lines != nil {
		_, _ = w.Write(r.lines)
		return
	}
	r.writeHuman(w, false)
}

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
		for i, b := range r.bats {
			fmt.Fprintf(w, "# batch %d: %d hosts\n", i+1, len(b))
			writeHostLines(w, b, folded)
		}
	default:
		writeHostLines(w, r.hosts, folded)
	}
}

func writeHostLines(w *textWriter, hosts []string, folded bool) {
	if folded {
		if len(hosts) > 0 {
			w.WriteString(nodeset.Fold(hosts))
			w.WriteByte('\n')
		}
		return
	}
	for _, h := range hosts {
		w.WriteString(h)
		w.WriteByte('\n')
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
		return map[string]any{"pass": r.pass, "seed": r.seed, "batches": r.bats}
	}
	v := map[string]any{"pass": r.pass, "count": len(r.hosts), "hosts": nonNil(r.hosts)}
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
		for i, b := range r.bats {
			for _, h := range b {
				cw.Write([]string{strconv.Itoa(i + 1), h})
			}
		}
	default:
		cw.Write([]string{"host"})
		for _, h := range r.hosts {
			cw.Write([]string{h})
		}
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
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

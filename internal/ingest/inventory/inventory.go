package inventory

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/store"
)

// Parse reads an inventory: CSV with a `host` column, or JSON
// lines with a `host` field. Every other column is a typed attribute
// (true/false → bool, numbers → number, else string); an empty cell is no
// value. Bool columns also give a set of the same name (in the store).
func Parse(file string, data []byte) (*store.SourceData, error) {
	if source.IsBinary(data) {
		return nil, source.Errorf(file, 1, "binary data (expected an inventory CSV with a host column)")
	}
	data = source.TrimBOM(data)
	if looksLikeJSONLines(data) {
		return parseJSONLines(file, data)
	}
	return parseCSV(file, data)
}

// Looks reports whether head (source.Head) is an inventory: a CSV header
// with a host column, or JSON lines whose first lines have a "host" field.
func Looks(head []byte) bool {
	if looksLikeJSONLines(head) {
		return strings.Contains(source.FirstLines(head, 5), `"host"`)
	}
	for _, f := range strings.Split(strings.ToLower(source.FirstLines(head, 1)), ",") {
		if strings.Trim(strings.TrimSpace(f), `"`) == "host" {
			return true
		}
	}
	return false
}

func looksLikeJSONLines(data []byte) bool {
	data = source.TrimBOM(data)
	for _, line := range bytes.SplitN(data, []byte("\n"), 20) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		return line[0] == '{'
	}
	return false
}

type csvTable struct {
	header  []string
	rows    [][]string
	lines   []int
	hostCol int
}

func readCSV(file string, data []byte) (*csvTable, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.ReuseRecord = false
	t := &csvTable{hostCol: -1}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(file, err)
		}
		line, _ := r.FieldPos(0)
		if t.header == nil {
			if err := t.setHeader(file, line, rec); err != nil {
				return nil, err
			}
			r.FieldsPerRecord = len(rec)
			continue
		}
		t.rows = append(t.rows, rec)
		t.lines = append(t.lines, line)
	}
	return t, nil
}

func csvError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return source.Errorf(file, pe.Line, "wrong number of fields (expected as many as the header row)")
		}
		if pe.StartLine != pe.Line {
			return source.Errorf(file, pe.Line, "%v (in the record that starts on line %d)", pe.Err, pe.StartLine)
		}
		return source.Errorf(file, pe.Line, "%v", pe.Err)
	}
	return source.Errorf(file, 0, "%v", err)
}

func (t *csvTable) setHeader(file string, line int, rec []string) error {
	seen := map[string]bool{}
	for i, h := range rec {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		rec[i] = h
		if strings.EqualFold(h, "host") {
			if t.hostCol >= 0 {
				return source.Errorf(file, line, "column %q appears twice in the header", h)
			}
			t.hostCol = i
		}
		if seen[h] {
			return source.Errorf(file, line, "column %q appears twice in the header", h)
		}
		seen[h] = true
		if !strings.EqualFold(h, "host") && !source.ValidName(h) {
			return source.Errorf(file, line, "column %q is not a usable attribute name (expected letters, digits, _ . -)", h)
		}
	}
	if t.hostCol < 0 {
		return source.Errorf(file, line, "no host column in the header (expected a CSV header row with a column named host)")
	}
	t.header = rec
	return nil
}

func parseCSV(file string, data []byte) (*store.SourceData, error) {
	if bytes.IndexByte(data, '"') < 0 {
		return parseCSVFast(file, data)
	}
	return parseCSVQuoted(file, data)
}

// parseCSVQuoted reads a CSV that may quote fields, with encoding/csv.
func parseCSVQuoted(file string, data []byte) (*store.SourceData, error) {
	t, err := readCSV(file, data)
	if err != nil {
		return nil, err
	}
	b := source.NewBuilder("inventory", "inventory")
	if t.header == nil { // no rows at all: empty, not malformed
		return finishInventory(file, b)
	}
	types, err := inferTypes(file, t)
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(t.rows))
	for r, rec := range t.rows {
		key := hostkey.Normalize(rec[t.hostCol])
		if key == "" {
			return nil, source.Errorf(file, t.lines[r], "empty host (expected a host name in column %q)", t.header[t.hostCol])
		}
		if err := hostkey.Check(key); err != nil {
			return nil, source.Errorf(file, t.lines[r], "%v", err)
		}
		idx[r] = b.Host(key)
	}
	b.Records(len(t.rows))
	for c, name := range t.header {
		if c != t.hostCol {
			fillColumn(b, name, types[c], t, c, idx)
		}
	}
	return finishInventory(file, b)
}

// inferTypes decides each column's type from all its non-empty cells
// (inventory_types.go).
func inferTypes(file string, t *csvTable) ([]fleet.Type, error) {
	types := make([]fleet.Type, len(t.header))
	for c, name := range t.header {
		var s columnStats
		for r, rec := range t.rows {
			if v := strings.TrimSpace(rec[c]); v != "" && c != t.hostCol {
				s.add(v, t.lines[r])
			}
		}
		typ, err := s.typ(file, name)
		if err != nil {
			return nil, err
		}
		if typ == 0 { // no value: fillColumn sets nothing
			typ = fleet.String
		}
		types[c] = typ
	}
	return types, nil
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func fillColumn(b *source.Builder, name string, t fleet.Type, tab *csvTable, c int, idx []int) {
	for r, rec := range tab.rows {
		v := strings.TrimSpace(rec[c])
		if v == "" {
			continue
		}
		switch t {
		case fleet.Bool:
			x, _ := parseBool(v)
			b.SetBool(idx[r], name, x)
		case fleet.Number:
			x, _ := strconv.ParseFloat(v, 64)
			b.SetNumber(idx[r], name, x)
		default:
			b.SetString(idx[r], name, v)
		}
	}
}

func finishInventory(file string, b *source.Builder) (*store.SourceData, error) {
	src, err := b.Finish(file, nil) // keys were checked row by row, with their lines
	if err != nil {
		return nil, err
	}
	if len(src.Hosts) == 0 {
		return src, fmt.Errorf("%s: %w (an empty CMDB dump is an outage, not a fleet; --allow-empty accepts it)", file, source.ErrEmpty)
	}
	return src, nil
}

func parseJSONLines(file string, data []byte) (*store.SourceData, error) {
	b := source.NewBuilder("inventory", "inventory")
	types := map[string]fleet.Type{}
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if err := jsonLine(b, types, line); err != nil {
			return nil, source.Errorf(file, n+1, "%v", err)
		}
		b.Records(1)
	}
	return finishInventory(file, b)
}

func jsonLine(b *source.Builder, types map[string]fleet.Type, line []byte) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return fmt.Errorf("bad JSON (expected one object per line with a host field): %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("bad JSON (expected one object per line with a host field): more after the object")
	}
	host, _ := obj["host"].(string)
	if hostkey.Normalize(host) == "" {
		return errors.New(`no "host" string field (expected {"host": "name", ...})`)
	}
	if err := hostkey.Check(hostkey.Normalize(host)); err != nil {
		return err
	}
	i := b.Host(host)
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if k != "host" {
			if err := jsonField(b, types, i, k, obj[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

func jsonField(b *source.Builder, types map[string]fleet.Type, i int, k string, v any) error {
	if !source.ValidName(k) {
		return fmt.Errorf("field %q is not a usable attribute name (expected letters, digits, _ . -)", k)
	}
	var t fleet.Type
	switch v.(type) {
	case nil:
		return nil
	case bool:
		t = fleet.Bool
	case json.Number:
		t = fleet.Number
	case string:
		t = fleet.String
	default:
		return fmt.Errorf("field %q: nested values are not attributes (expected a string, number or bool)", k)
	}
	if prev, ok := types[k]; ok && prev != t {
		if s, isStr := v.(string); isStr && prev == fleet.Bool {
			return fmt.Errorf("field %q: %q is not true or false (expected a JSON bool, as on an earlier line)", k, s)
		}
		return fmt.Errorf("field %q is a %s here but a %s on an earlier line", k, t, prev)
	}
	types[k] = t
	switch x := v.(type) {
	case bool:
		b.SetBool(i, k, x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return fmt.Errorf("field %q: bad number %s", k, x)
		}
		b.SetNumber(i, k, f)
	case string:
		b.SetString(i, k, x)
	}
	return nil
}

package ingest

// Helpers shared by the prom, ansible and netbox parsers: rejecting binary
// input, turning JSON byte offsets into line numbers, walking JSON objects
// and arrays while remembering where each member starts, and typing
// attribute values once every host has been read. Names carry a src prefix
// so they cannot collide with the other parsers of this package.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fleetq/fleetq/internal/excerpt"
)

var srcBOM = []byte{0xEF, 0xBB, 0xBF}

// srcCheckText returns an error when data is not text: a NUL byte or
// invalid UTF-8, reported at the line where it starts.
func srcCheckText(file string, data []byte, expected string) error {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return srcErrorf(file, srcLineAt(data, i), "binary data (NUL byte) (expected %s)", expected)
	}
	if utf8.Valid(data) {
		return nil
	}
	for off := 0; off < len(data); {
		r, n := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && n <= 1 {
			return srcErrorf(file, srcLineAt(data, off), "binary data (invalid UTF-8) (expected %s)", expected)
		}
		off += n
	}
	return nil
}

// srcErrorf is Errorf with the message kept on one line: control
// characters quoted from the input (a label name with a newline, a
// Prometheus error text) are escaped.
func srcErrorf(file string, line int, format string, args ...any) error {
	return srcLineError(file, line, fmt.Sprintf(format, excerpt.Args(args)...))
}

// srcLineError is srcErrorf of a message already built (with its quoted
// operands shortened by excerpt.Args).
func srcLineError(file string, line int, msg string) error {
	var sb strings.Builder
	for _, r := range msg {
		switch {
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 || r == 0x85:
			fmt.Fprintf(&sb, `\x%02x`, r)
		default:
			sb.WriteRune(r)
		}
	}
	return &LineError{File: file, Line: line, Msg: sb.String()}
}

// srcLineAt is the 1-based line of byte offset off in data.
func srcLineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

// srcLastLine is the line of the last non-blank byte (where truncated input
// ends).
func srcLastLine(data []byte) int {
	return srcLineAt(data, len(bytes.TrimRight(data, " \t\r\n")))
}

// srcAttrName maps s to an attribute name: letters, digits, '_', '.' and
// '-' are kept, every other character becomes '_'.
func srcAttrName(s string) string {
	out := []byte(s)
	for i := 0; i < len(out); i++ {
		c := out[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
		if !ok {
			out[i] = '_'
		}
	}
	return string(out)
}

// srcJSON reads one JSON document of a file and reports errors at the line
// where they happened.
type srcJSON struct {
	file     string
	data     []byte
	expected string // what the file should have been, for error messages
}

// srcJSONItem is a member of an object (Key set) or an element of an array,
// with the absolute offset where its value starts.
type srcJSONItem struct {
	Key string
	Raw json.RawMessage
	Off int
}

func (j *srcJSON) errAt(off int, format string, args ...any) error {
	msg := fmt.Sprintf(format, excerpt.Args(args)...)
	return srcLineError(j.file, srcLineAt(j.data, off), msg+" (expected "+j.expected+")")
}

// decodeErr renders an encoding/json error; base is the offset of the
// slice that was being decoded.
func (j *srcJSON) decodeErr(base int, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return srcErrorf(j.file, srcLastLine(j.data), "truncated JSON: unexpected end of input (expected %s)", j.expected)
	case errors.As(err, &syn):
		return j.errAt(base+int(syn.Offset)-1, "invalid JSON: %s", syn.Error())
	case errors.As(err, &typ):
		what := typ.Field
		if what == "" {
			what = "value"
		}
		return j.errAt(base+int(typ.Offset)-1, "%s is a JSON %s, not %s", what, typ.Value, typ.Type)
	}
	return srcErrorf(j.file, 0, "invalid JSON: %v (expected %s)", err, j.expected)
}

// top returns the single JSON value of the file and its offset. Anything
// but whitespace after it is an error.
func (j *srcJSON) top() (json.RawMessage, int, error) {
	data := j.data
	start := len(data) - len(bytes.TrimLeft(data, " \t\r\n"))
	if start == len(data) {
		return nil, 0, srcErrorf(j.file, 0, "empty input (expected %s)", j.expected)
	}
	dec := json.NewDecoder(bytes.NewReader(data[start:]))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, 0, j.decodeErr(start, err)
	}
	end := start + int(dec.InputOffset())
	if rest := bytes.TrimLeft(data[end:], " \t\r\n"); len(rest) > 0 {
		return raw, start, j.errAt(len(data)-len(rest), "unexpected data after the JSON document")
	}
	return raw, start, nil
}

// object lists the members of the JSON object raw, which starts at off.
func (j *srcJSON) object(raw json.RawMessage, off int) ([]srcJSONItem, error) {
	return j.walk(raw, off, '{')
}

// array lists the elements of the JSON array raw, which starts at off.
func (j *srcJSON) array(raw json.RawMessage, off int) ([]srcJSONItem, error) {
	return j.walk(raw, off, '[')
}

func (j *srcJSON) walk(raw json.RawMessage, off int, open json.Delim) ([]srcJSONItem, error) {
	what := map[json.Delim]string{'{': "an object", '[': "an array"}[open]
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, j.decodeErr(off, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != open {
		return nil, j.errAt(off, "found %s where %s belongs", srcJSONKind(raw), what)
	}
	var items []srcJSONItem
	for dec.More() {
		var it srcJSONItem
		if open == '{' {
			k, err := dec.Token()
			if err != nil {
				return nil, j.decodeErr(off, err)
			}
			it.Key, _ = k.(string)
		}
		it.Off = off + srcSkipSep(raw, int(dec.InputOffset()))
		if err := dec.Decode(&it.Raw); err != nil {
			return nil, j.decodeErr(off, err)
		}
		items = append(items, it)
	}
	return items, nil
}

// srcSkipSep skips whitespace, ',' and ':' from i.
func srcSkipSep(b []byte, i int) int {
	for i < len(b) && bytes.IndexByte([]byte(" \t\r\n,:"), b[i]) >= 0 {
		i++
	}
	return i
}

// srcJSONKind names the JSON type of raw for error messages.
func srcJSONKind(raw json.RawMessage) string {
	b := bytes.TrimLeft(raw, " \t\r\n")
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a bool"
	case 'n':
		return "null"
	}
	return "a number"
}

// srcValues collects scalar attribute values (string, float64 or bool) per
// host and types each attribute once all hosts are read: an attribute whose
// values all have one type gets that type; mixed types become strings, so
// the result never depends on which host came first.
type srcValues struct {
	vals map[string]map[int]any
}

func (t *srcValues) set(host int, name string, v any) {
	if t.vals == nil {
		t.vals = map[string]map[int]any{}
	}
	m := t.vals[name]
	if m == nil {
		m = map[int]any{}
		t.vals[name] = m
	}
	m[host] = v
}

// emit writes every attribute into b, in name order.
func (t *srcValues) emit(b *Builder) {
	names := make([]string, 0, len(t.vals))
	for n := range t.vals {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		hosts := t.vals[name]
		ids := make([]int, 0, len(hosts))
		for h := range hosts {
			ids = append(ids, h)
		}
		sort.Ints(ids)
		kind := srcValuesKind(hosts)
		for _, h := range ids {
			switch v := hosts[h]; kind {
			case "bool":
				b.SetBool(h, name, v.(bool))
			case "number":
				b.SetNumber(h, name, v.(float64))
			default:
				b.SetString(h, name, srcFormat(v))
			}
		}
	}
}

func srcValuesKind(hosts map[int]any) string {
	kind := ""
	for _, v := range hosts {
		k := "string"
		switch v.(type) {
		case bool:
			k = "bool"
		case float64:
			k = "number"
		}
		if kind != "" && kind != k {
			return "string"
		}
		kind = k
	}
	return kind
}

// srcFormat renders a scalar as the string attribute value.
func srcFormat(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// srcPlural is "1 thing" or "2 things".
func srcPlural(n int, what string) string {
	if n == 1 || strings.HasSuffix(what, "s") {
		return fmt.Sprintf("%d %s", n, what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}

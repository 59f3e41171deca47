package source

// Reading one JSON document while remembering where each member starts,
// so that errors name the line they are on.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/fleetq/fleetq/internal/excerpt"
)

// JSON reads one JSON document of a file and reports errors at the line
// where they happened.
type JSON struct {
	File     string
	Data     []byte
	Expected string // what the file should have been, for error messages
}

// Item is a member of an object (Key set) or an element of an array, with
// the absolute offset where its value starts.
type Item struct {
	Key string
	Raw json.RawMessage
	Off int
}

// ErrAt is a *LineError at the line of byte offset off, saying what the
// file was expected to be.
func (j *JSON) ErrAt(off int, format string, args ...any) error {
	msg := fmt.Sprintf(format, excerpt.Args(args)...)
	return NewLineError(j.File, LineAt(j.Data, off), msg+" (expected "+j.Expected+")")
}

// DecodeErr renders an encoding/json error; base is the offset of the
// slice that was being decoded.
func (j *JSON) DecodeErr(base int, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return Errorf(j.File, LastLine(j.Data), "truncated JSON: unexpected end of input (expected %s)", j.Expected)
	case errors.As(err, &syn):
		return j.ErrAt(base+int(syn.Offset)-1, "invalid JSON: %s", syn.Error())
	case errors.As(err, &typ):
		what := typ.Field
		if what == "" {
			what = "value"
		}
		return j.ErrAt(base+int(typ.Offset)-1, "%s is a JSON %s, not %s", what, typ.Value, typ.Type)
	}
	return Errorf(j.File, 0, "invalid JSON: %v (expected %s)", err, j.Expected)
}

// Top returns the single JSON value of the file and its offset. Anything
// but whitespace after it is an error (returned with the value).
func (j *JSON) Top() (json.RawMessage, int, error) {
	data := j.Data
	start := len(data) - len(bytes.TrimLeft(data, " \t\r\n"))
	if start == len(data) {
		return nil, 0, Errorf(j.File, 0, "empty input (expected %s)", j.Expected)
	}
	dec := json.NewDecoder(bytes.NewReader(data[start:]))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, 0, j.DecodeErr(start, err)
	}
	end := start + int(dec.InputOffset())
	if rest := bytes.TrimLeft(data[end:], " \t\r\n"); len(rest) > 0 {
		return raw, start, j.ErrAt(len(data)-len(rest), "unexpected data after the JSON document")
	}
	return raw, start, nil
}

// Object lists the members of the JSON object raw, which starts at off.
func (j *JSON) Object(raw json.RawMessage, off int) ([]Item, error) {
	return j.walk(raw, off, '{')
}

// Array lists the elements of the JSON array raw, which starts at off.
func (j *JSON) Array(raw json.RawMessage, off int) ([]Item, error) {
	return j.walk(raw, off, '[')
}

func (j *JSON) walk(raw json.RawMessage, off int, open json.Delim) ([]Item, error) {
	what := map[json.Delim]string{'{': "an object", '[': "an array"}[open]
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, j.DecodeErr(off, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != open {
		return nil, j.ErrAt(off, "found %s where %s belongs", JSONKind(raw), what)
	}
	var items []Item
	for dec.More() {
		var it Item
		if open == '{' {
			k, err := dec.Token()
			if err != nil {
				return nil, j.DecodeErr(off, err)
			}
			it.Key, _ = k.(string)
		}
		it.Off = off + skipSep(raw, int(dec.InputOffset()))
		if err := dec.Decode(&it.Raw); err != nil {
			return nil, j.DecodeErr(off, err)
		}
		items = append(items, it)
	}
	return items, nil
}

// skipSep skips whitespace, ',' and ':' from i.
func skipSep(b []byte, i int) int {
	for i < len(b) && bytes.IndexByte([]byte(" \t\r\n,:"), b[i]) >= 0 {
		i++
	}
	return i
}

// JSONKind names the JSON type of raw for error messages.
func JSONKind(raw json.RawMessage) string {
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

// TopKeys lists the keys of the top-level JSON object that head holds,
// in order, as far as head is well-formed: a head cut in the middle of a
// value still names the keys before it. It is how a Looks reads the
// envelope of a document it sees only the Head of.
func TopKeys(head []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(head))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return keys
		}
		key, _ := k.(string)
		keys = append(keys, key)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return keys
		}
	}
	return keys
}

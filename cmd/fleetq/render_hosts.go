package main

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/nodeset"
	"github.com/fleetq/fleetq/internal/query"
)

// A query's host sets are printed as they are read from the host
// dictionary (store.HostDict.EachName): one name at a time into the
// buffered writer, so printing a million names needs no more memory than
// printing ten. Text, CSV and JSON stream; folded cannot, since a group
// such as dn[0001-0042].smf1 needs every name of its shape, but it keeps
// only a few bytes per name (nodeset.Folder), and folds on a second
// goroutine as the names are read.

// eachHost calls fn with every name of s in byte order; the first error,
// of the dictionary or of fn, is kept in r.err and stops the printing.
func (r *queryResult) eachHost(s *roaring.Bitmap, fn func(name []byte) error) {
	if r.err == nil {
		r.err = r.dict.EachName(s, fn)
	}
}

// writeHostLines prints s one name per line, or folded on one line.
func (r *queryResult) writeHostLines(w *textWriter, s *roaring.Bitmap, folded bool) {
	if !folded {
		r.eachHost(s, func(name []byte) error {
			_, _ = w.Write(name)
			return w.WriteByte('\n')
		})
		return
	}
	if s.IsEmpty() {
		return
	}
	f := r.foldHosts(s)
	if r.err == nil {
		_, _ = f.WriteTo(w)
		_ = w.WriteByte('\n')
	}
}

// writeHostRecords writes a CSV record per name of s: the name, after
// batch when there is one.
func (r *queryResult) writeHostRecords(cw *csvWriter, s *roaring.Bitmap, batch string) {
	record := []string{""}
	if batch != "" {
		record = []string{batch, ""}
	}
	r.eachHost(s, func(name []byte) error {
		record[len(record)-1] = string(name)
		cw.Write(record)
		return cw.err
	})
}

// streamJSON writes the JSON of a host set or of batches byte for byte as
// writeJSON writes jsonValue (keys in order, two-space indent), reading
// the names as it writes them; any other result through writeJSON.
func (r *queryResult) streamJSON(w *textWriter) error {
	switch r.kind {
	case query.CountResult, query.GroupsResult, query.ShowResult:
		return writeJSON(w, r.jsonValue())
	case query.BatchesResult:
		_, _ = w.WriteString("{\n  \"batches\": ")
		r.writeJSONBatches(w)
		_, _ = w.WriteString(",\n  \"pass\": " + strconv.FormatInt(r.pass, 10) +
			",\n  \"seed\": " + strconv.FormatUint(r.seed, 10) + "\n}\n")
	default:
		_, _ = w.WriteString("{\n  \"count\": " + strconv.FormatUint(r.set.GetCardinality(), 10) + ",\n  \"hosts\": ")
		r.writeJSONNames(w, r.set, "  ")
		_, _ = w.WriteString(",\n  \"pass\": " + strconv.FormatInt(r.pass, 10))
		if r.random {
			_, _ = w.WriteString(",\n  \"seed\": " + strconv.FormatUint(r.seed, 10))
		}
		_, _ = w.WriteString("\n}\n")
	}
	return r.err
}

func (r *queryResult) writeJSONBatches(w *textWriter) {
	switch {
	case r.batches == nil:
		_, _ = w.WriteString("null")
		return
	case len(r.batches) == 0:
		_, _ = w.WriteString("[]")
		return
	}
	_, _ = w.WriteString("[\n")
	for i, b := range r.batches {
		if i > 0 {
			_, _ = w.WriteString(",\n")
		}
		_, _ = w.WriteString("    ")
		r.writeJSONNames(w, b, "    ")
	}
	_, _ = w.WriteString("\n  ]")
}

// writeJSONNames writes the names of s as an indented JSON array of
// strings, or [] when there are none.
func (r *queryResult) writeJSONNames(w *textWriter, s *roaring.Bitmap, indent string) {
	var buf []byte
	first := true
	r.eachHost(s, func(name []byte) error {
		buf = buf[:0]
		if first {
			buf = append(buf, '[')
			first = false
		} else {
			buf = append(buf, ',')
		}
		buf = append(append(append(buf, '\n'), indent...), "  "...)
		buf = appendJSONString(buf, name)
		_, err := w.Write(buf)
		return err
	})
	if first {
		_, _ = w.WriteString("[]")
		return
	}
	_, _ = w.WriteString("\n" + indent + "]")
}

// appendJSONString appends s as encoding/json writes a string without
// HTML escaping: printable ASCII as it is, anything else through
// encoding/json itself.
func appendJSONString(b, s []byte) []byte {
	for _, c := range s {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			var out bytes.Buffer
			enc := json.NewEncoder(&out)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(string(s)) // a string always encodes
			return append(b, bytes.TrimSuffix(out.Bytes(), []byte("\n"))...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// foldHosts folds the names of s (see foldNames).
func (r *queryResult) foldHosts(s *roaring.Bitmap) *nodeset.Folder {
	return foldNames(func(fn func([]byte) error) { r.eachHost(s, fn) })
}

// foldNames folds the names each gives on a second goroutine while this
// one reads them (from the dictionary: its bytes are read only here,
// under the store's guard), handing them over in batches of copies: on
// two cores the fold costs about what reading the names costs.
func foldNames(each func(fn func(name []byte) error)) *nodeset.Folder {
	const inFlight = 4
	full, free := make(chan *nameBatch, inFlight), make(chan *nameBatch, inFlight)
	for range inFlight {
		free <- &nameBatch{}
	}
	f := &nodeset.Folder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range full {
			b.each(f.Add)
			free <- b
		}
	}()
	func() {
		defer close(full) // also when reading panics: a damaged page, which the store's guard turns into an error
		b := <-free
		each(func(name []byte) error {
			if !b.add(name) {
				full <- b
				b = <-free
				b.add(name)
			}
			return nil
		})
		full <- b
	}()
	<-done
	return f
}

// nameBatch is names copied end to end.
type nameBatch struct {
	buf  []byte
	ends []int
}

const nameBatchBytes = 64 << 10

// add appends name, unless the batch is full (and not empty).
func (b *nameBatch) add(name []byte) bool {
	if len(b.ends) > 0 && len(b.buf)+len(name) > nameBatchBytes {
		return false
	}
	b.buf = append(b.buf, name...)
	b.ends = append(b.ends, len(b.buf))
	return true
}

// each calls fn with every name of the batch, then empties it.
func (b *nameBatch) each(fn func([]byte)) {
	start := 0
	for _, end := range b.ends {
		fn(b.buf[start:end])
		start = end
	}
	b.buf, b.ends = b.buf[:0], b.ends[:0]
}

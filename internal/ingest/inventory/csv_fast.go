package inventory

import (
	"bytes"
	"strconv"
	"strings"
	"unsafe"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/store"
)

// The fast CSV path: a file with no quote character cannot contain quoted
// fields, so records are split on commas and newlines directly, in three
// passes over the bytes (check and infer types; add hosts; fill typed
// columns) without keeping any record. Its results and errors are those of
// the encoding/csv path, which files with quotes still take.

// maxInterned bounds the distinct values a string column shares codes
// of; beyond it (ip, serial) a value not yet known gets an entry of its
// own, and the writer merges equal entries when it sorts the dictionary.
const maxInterned = 1 << 16

// arenaChunk is the size of the blocks string values are copied into.
const arenaChunk = 256 << 10

type csvFast struct {
	file    string
	data    []byte
	header  csvTable
	nf      int
	rows    int
	types   []fleet.Type
	fields  [][]byte
	headerN int // line number of the header
}

func parseCSVFast(file string, data []byte) (*store.SourceData, error) {
	p := &csvFast{file: file, data: data, header: csvTable{hostCol: -1}}
	if err := p.scan(); err != nil {
		return nil, err
	}
	b := source.NewBuilderSized("inventory", "inventory", p.rows)
	if p.header.header == nil {
		return finishInventory(file, b)
	}
	idx, err := p.addHosts(b)
	if err != nil {
		return nil, err
	}
	p.fill(b, idx)
	b.Records(p.rows)
	return finishInventory(file, b)
}

// eachRecord calls fn for every non-blank, non-comment line, split.
func (p *csvFast) eachRecord(fn func(line int, fields [][]byte) error) error {
	data, line := p.data, 0
	for len(data) > 0 {
		line++
		end := bytes.IndexByte(data, '\n')
		var l []byte
		if end < 0 {
			l, data = data, nil
		} else {
			l, data = data[:end], data[end+1:]
		}
		l = bytes.TrimSuffix(l, []byte{'\r'})
		if len(l) == 0 || l[0] == '#' {
			continue
		}
		p.fields = splitComma(l, p.fields[:0])
		if err := fn(line, p.fields); err != nil {
			return err
		}
	}
	return nil
}

func splitComma(l []byte, out [][]byte) [][]byte {
	for {
		i := bytes.IndexByte(l, ',')
		if i < 0 {
			return append(out, l)
		}
		out = append(out, l[:i])
		l = l[i+1:]
	}
}

// scan reads the header, checks every record's field count and infers
// the column types (inventory_types.go).
func (p *csvFast) scan() error {
	var stats []columnStats
	err := p.eachRecord(func(line int, f [][]byte) error {
		if p.header.header == nil {
			rec := make([]string, len(f))
			for i, x := range f {
				rec[i] = string(x)
			}
			p.nf, p.headerN = len(f), line
			stats = make([]columnStats, p.nf)
			return p.header.setHeader(p.file, line, rec)
		}
		if len(f) != p.nf {
			return source.Errorf(p.file, line, "wrong number of fields (expected as many as the header row)")
		}
		p.rows++
		for c, x := range f {
			if v := strings.TrimSpace(unsafeString(x)); v != "" && c != p.header.hostCol {
				stats[c].add(v, line)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return p.inferTypes(stats)
}

func (p *csvFast) inferTypes(stats []columnStats) error {
	p.types = make([]fleet.Type, p.nf)
	for c := range stats {
		t, err := stats[c].typ(p.file, p.header.header[c])
		if err != nil {
			return err
		}
		p.types[c] = t
	}
	return nil
}

// addHosts adds every record's host and returns each record's host index.
func (p *csvFast) addHosts(b *source.Builder) ([]int32, error) {
	idx := make([]int32, 0, p.rows)
	hc := p.header.hostCol
	err := p.eachRecord(func(line int, f [][]byte) error {
		if line == p.headerN {
			return nil
		}
		key := normalizeHostBytes(f[hc])
		if key == "" {
			return source.Errorf(p.file, line, "empty host (expected a host name in column %q)", p.header.header[hc])
		}
		if err := hostkey.Check(key); err != nil {
			return source.Errorf(p.file, line, "%v", err)
		}
		idx = append(idx, int32(b.Host(key)))
		return nil
	})
	return idx, err
}

// fill sets every typed value, in record order (a later duplicate row
// overrides what it gives).
func (p *csvFast) fill(b *source.Builder, idx []int32) {
	cols := make([]*store.Column, p.nf)
	interned := make([]*interner, p.nf)
	for c, name := range p.header.header {
		if c == p.header.hostCol || p.types[c] == 0 { // 0: no cell had a value
			continue
		}
		if p.types[c] == fleet.String {
			cols[c] = b.CodedColumn(name)
			interned[c] = &interner{col: cols[c], index: map[string]uint32{}}
		} else {
			cols[c] = b.Column(name, p.types[c])
		}
	}
	r := 0
	_ = p.eachRecord(func(line int, f [][]byte) error {
		if line == p.headerN {
			return nil
		}
		i := int(idx[r])
		r++
		for c, x := range f {
			if col := cols[c]; col != nil {
				setCell(col, i, strings.TrimSpace(unsafeString(x)), interned[c])
			}
		}
		return nil
	})
}

func setCell(col *store.Column, i int, v string, in *interner) {
	if v == "" {
		return
	}
	switch col.Type {
	case fleet.Bool:
		col.Bool[i], _ = parseBool(v)
	case fleet.Number:
		col.Num[i], _ = strconv.ParseFloat(v, 64)
	default:
		col.Codes[i] = in.code(v)
	}
	col.Has[i] = true
}

// interner gives the codes of one coded String column (store.Column
// Codes and Dict): a value seen before keeps its code while the column
// has fewer than maxInterned distinct values; a new value is copied once
// into an arena block, so the column holds no Go string per host.
type interner struct {
	col   *store.Column
	index map[string]uint32
	arena []byte
}

func (n *interner) code(v string) uint32 {
	if k, ok := n.index[v]; ok {
		return k
	}
	k := uint32(len(n.col.Dict))
	s := n.keep(v)
	n.col.Dict = append(n.col.Dict, s)
	if len(n.index) < maxInterned {
		n.index[s] = k
	}
	return k
}

// keep copies v (not empty) into the arena; the block is never written
// again where a kept string lies, so the string stays valid.
func (n *interner) keep(v string) string {
	if len(v) > cap(n.arena)-len(n.arena) {
		n.arena = make([]byte, 0, max(arenaChunk, len(v)))
	}
	start := len(n.arena)
	n.arena = append(n.arena, v...)
	return unsafe.String(&n.arena[start], len(v))
}

// normalizeHostBytes is NormalizeHost without an intermediate copy for
// the common already-normal ASCII key.
func normalizeHostBytes(b []byte) string {
	b = bytes.TrimSpace(b)
	for _, c := range b {
		if c >= 0x80 || 'A' <= c && c <= 'Z' {
			return hostkey.Normalize(string(b))
		}
	}
	return string(b)
}

// unsafeString views b as a string without copying; the string must not
// outlive the call it is passed to (it is cloned before being kept).
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

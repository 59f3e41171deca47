package source

import (
	"slices"
	"sort"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/store"
)

// Builder accumulates one source's hosts, attributes and sets while a parser
// reads its input. It is where every ingester's host names become keys, by
// the one rule of package hostkey (hostkey.Parse), and are de-duplicated.
// Adding a host twice returns the same index, and a later value for the
// same attribute replaces the earlier one. A name that is no host key
// makes Finish fail, so no pass is made from the source.
type Builder struct {
	src   *store.SourceData
	index map[string]int // nil while the hosts came in byte order (find)
	sized int            // the hosts expected, for the index's size
	cols  map[string]*store.Column
	sets  map[string]map[uint32]struct{}
	bad   *HostError // the first name that is no host key
}

// NewBuilder starts a source of the given kind whose host set is called name.
func NewBuilder(kind, name string) *Builder { return NewBuilderSized(kind, name, 0) }

// NewBuilderSized is NewBuilder for about n hosts, sizing its host list
// and, if one is needed, its index up front (growing a map of a million
// keys costs more than filling it).
func NewBuilderSized(kind, name string, n int) *Builder {
	return &Builder{
		src:   &store.SourceData{Kind: kind, Name: name, Hosts: make([]string, 0, n)},
		sized: n,
		cols:  map[string]*store.Column{},
		sets:  map[string]map[uint32]struct{}{},
	}
}

// Host adds (or finds) a host by key and returns its index. alt lists other
// identities (IP address, reverse DNS) for host mapping. A name that is no
// host key is still given an index, so the parser can go on, and Finish
// reports it.
func (b *Builder) Host(name string, alt ...string) int {
	key, err := hostkey.Parse(name)
	if err != nil && b.bad == nil {
		b.bad = &HostError{Name: name, Err: err}
	}
	i, ok := b.find(key)
	if !ok {
		i = len(b.src.Hosts)
		if b.index != nil {
			b.index[key] = i
		}
		b.src.Hosts = append(b.src.Hosts, key)
		for _, c := range b.cols {
			c.Grow()
		}
	}
	b.addAlt(i, alt)
	return i
}

// find returns the index of a host added before. While hosts arrive in
// byte order (a sorted dump) a repeat can only be the last one, and no
// map of keys is kept (70 MB at 1,000,000 hosts); the first key out of
// order builds the map, which is kept up to date from then on.
func (b *Builder) find(key string) (int, bool) {
	if b.index == nil {
		n := len(b.src.Hosts)
		if n == 0 || key > b.src.Hosts[n-1] {
			return 0, false
		}
		if key == b.src.Hosts[n-1] {
			return n - 1, true
		}
		b.index = make(map[string]int, max(b.sized, 2*n))
		for i, h := range b.src.Hosts {
			b.index[h] = i
		}
	}
	i, ok := b.index[key]
	return i, ok
}

// Len is the number of distinct hosts so far.
func (b *Builder) Len() int { return len(b.src.Hosts) }

// Records counts one more input record (before de-duplication).
func (b *Builder) Records(n int) { b.src.Records += n }

// Warn records a non-fatal note for the ingest summary.
func (b *Builder) Warn(msg string) { b.src.Warnings = append(b.src.Warnings, msg) }

func (b *Builder) addAlt(i int, alt []string) {
	for _, a := range alt {
		a = hostkey.Normalize(a)
		if a == "" || a == b.src.Hosts[i] {
			continue
		}
		for len(b.src.Alt) <= i {
			b.src.Alt = append(b.src.Alt, nil)
		}
		if !slices.Contains(b.src.Alt[i], a) {
			b.src.Alt[i] = append(b.src.Alt[i], a)
		}
	}
}

// column returns the named column, creating it with type t. A column keeps
// the type it was created with; the caller decides types before setting.
func (b *Builder) column(name string, t fleet.Type) *store.Column {
	c, ok := b.cols[name]
	if !ok {
		c = store.NewColumn(name, t, len(b.src.Hosts))
		b.cols[name] = c
		b.src.Attrs = append(b.src.Attrs, c)
	}
	return c
}

// Column returns the named column, creating it with type t and a slot
// for every host so far, for parsers that fill a column in bulk.
func (b *Builder) Column(name string, t fleet.Type) *store.Column { return b.column(name, t) }

// CodedColumn returns the named String column, creating it in the coded
// form (store.Column.Codes, Dict) with a slot for every host so far, for
// parsers that intern values as they read them.
func (b *Builder) CodedColumn(name string) *store.Column {
	c, ok := b.cols[name]
	if !ok {
		c = store.NewCodedColumn(name, len(b.src.Hosts))
		b.cols[name] = c
		b.src.Attrs = append(b.src.Attrs, c)
	}
	return c
}

// ColumnType returns the type of an existing column, or 0.
func (b *Builder) ColumnType(name string) fleet.Type {
	if c, ok := b.cols[name]; ok {
		return c.Type
	}
	return 0
}

// SetString sets a string attribute of host i.
func (b *Builder) SetString(i int, name, v string) {
	c := b.column(name, fleet.String)
	if c.Coded() {
		c.Codes[i], c.Dict = uint32(len(c.Dict)), append(c.Dict, v)
	} else {
		c.Str[i] = v
	}
	c.Has[i] = true
}

// SetNumber sets a number attribute of host i.
func (b *Builder) SetNumber(i int, name string, v float64) {
	c := b.column(name, fleet.Number)
	c.Num[i], c.Has[i] = v, true
}

// SetSample sets a number attribute of host i with its sample time (unix
// milliseconds), keeping the newest sample when called more than once.
func (b *Builder) SetSample(i int, name string, v float64, tsMillis int64) {
	c := b.column(name, fleet.Number)
	if c.TS == nil {
		c.TS = make([]int64, len(c.Num))
	}
	if c.Has[i] && c.TS[i] > tsMillis {
		return
	}
	c.Num[i], c.TS[i], c.Has[i] = v, tsMillis, true
}

// SetBool sets a bool attribute of host i.
func (b *Builder) SetBool(i int, name string, v bool) {
	c := b.column(name, fleet.Bool)
	c.Bool[i], c.Has[i] = v, true
}

// SetTime sets a time attribute of host i (unix seconds).
func (b *Builder) SetTime(i int, name string, unix int64) {
	c := b.column(name, fleet.Time)
	c.Time[i], c.Has[i] = unix, true
}

// AddToSet puts host i into the named set.
func (b *Builder) AddToSet(set string, i int) {
	s, ok := b.sets[set]
	if !ok {
		s = map[uint32]struct{}{}
		b.sets[set] = s
	}
	s[uint32(i)] = struct{}{}
}

// DeclareSet makes a named set exist even if it stays empty.
func (b *Builder) DeclareSet(set string) {
	if _, ok := b.sets[set]; !ok {
		b.sets[set] = map[uint32]struct{}{}
	}
}

// Finish returns the source read from file, or, when a name given to Host
// was no host key, a *LineError at the line of data that holds the name
// (wrapping a *HostError). Columns whose every host has a value drop Has.
func (b *Builder) Finish(file string, data []byte) (*store.SourceData, error) {
	if b.bad != nil {
		return nil, &LineError{File: file, Line: LineOf(data, b.bad.Name), Msg: b.bad.Error(), Err: b.bad}
	}
	for _, c := range b.src.Attrs {
		if allTrue(c.Has) {
			c.Has = nil
		}
	}
	if len(b.sets) > 0 {
		b.src.Sets = make(map[string][]uint32, len(b.sets))
		for name, m := range b.sets {
			ids := make([]uint32, 0, len(m))
			for id := range m {
				ids = append(ids, id)
			}
			sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
			b.src.Sets[name] = ids
		}
	}
	return b.src, nil
}

func allTrue(xs []bool) bool {
	for _, x := range xs {
		if !x {
			return false
		}
	}
	return true
}

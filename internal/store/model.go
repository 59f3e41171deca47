package store

import (
	"time"

	"github.com/fleetq/fleetq/internal/fleet"
)

// SourceData is what one ingester read from one source, fully parsed and
// validated before any write transaction starts. Hosts are source-local
// indexes 0..len(Hosts)-1; every column is aligned with Hosts.
type SourceData struct {
	Name    string    // set name of the hosts this source saw: "inventory", "hdfs", a host-list file's base name
	Kind    string    // ingester kind: inventory, hosts, hdfs, yarn, k8s, prom, ansible, netbox
	Path    string    // where it was read from ("-" for stdin)
	Hash    string    // hex sha256 of the raw input bytes
	ReadAt  time.Time // when it was read
	Records int       // records parsed (lines, nodes, samples), before de-duplication

	// Hosts are host keys as the source named them, after trimming and
	// lower-casing, unique. Alt[i], when present, lists other identities of
	// host i (IP address, reverse-DNS name) that host mapping may use to
	// find its inventory key. Alt may be nil or shorter than Hosts.
	Hosts []string
	Alt   [][]string

	// Attrs are typed per-host attributes, aligned with Hosts.
	Attrs []*Column
	// Sets are extra named sets, as source-local host indexes (sorted,
	// unique). Group membership (ansible) and host-list files use them.
	Sets map[string][]uint32

	// Warnings are non-fatal notes for the ingest summary.
	Warnings []string
}

// Column is one typed attribute over a source's hosts. Exactly one of the
// value slices is used, per Type, and it has len(Hosts) entries. Has marks
// which hosts have a value; nil means every host has one.
type Column struct {
	Name string
	Type fleet.Type
	Str  []string
	Num  []float64
	Bool []bool
	Time []int64 // TypeTime values, unix seconds
	// TS, when not nil, holds the sample time (unix milliseconds) of each
	// value, so age(NAME) works. Metrics set it.
	TS  []int64
	Has []bool
	// Codes and Dict are the coded form of a String column, which a
	// parser may give instead of Str (Codes not nil marks it): host i's
	// value is Dict[Codes[i]]; the code of an absent host is ignored.
	// Dict need be neither sorted nor distinct (the writer sorts and
	// merges it), so a parser keeps one Go string per distinct value it
	// has seen rather than one per host.
	Codes []uint32
	Dict  []string
}

// Present reports whether host i has a value in c.
func (c *Column) Present(i int) bool { return c.Has == nil || c.Has[i] }

// Coded reports whether c is a String column in the coded form.
func (c *Column) Coded() bool { return c.Codes != nil }

// StrAt is host i's value in a String column, plain or coded.
func (c *Column) StrAt(i int) string {
	if c.Codes != nil {
		return c.Dict[c.Codes[i]]
	}
	return c.Str[i]
}

// NewCodedColumn returns an empty String column in the coded form for n
// hosts, every value absent.
func NewCodedColumn(name string, n int) *Column {
	return &Column{Name: name, Type: fleet.String, Has: make([]bool, n), Codes: make([]uint32, n), Dict: []string{}}
}

// NewColumn returns an empty column of type t for n hosts, with every value
// absent until Set* is called.
func NewColumn(name string, t fleet.Type, n int) *Column {
	c := &Column{Name: name, Type: t, Has: make([]bool, n)}
	switch t {
	case fleet.String:
		c.Str = make([]string, n)
	case fleet.Number:
		c.Num = make([]float64, n)
	case fleet.Bool:
		c.Bool = make([]bool, n)
	case fleet.Time:
		c.Time = make([]int64, n)
	}
	return c
}

// Grow extends c by one absent value (for parsers that add hosts as they go).
func (c *Column) Grow() {
	c.Has = append(c.Has, false)
	switch c.Type {
	case fleet.String:
		if c.Codes != nil {
			c.Codes = append(c.Codes, 0)
		} else {
			c.Str = append(c.Str, "")
		}
	case fleet.Number:
		c.Num = append(c.Num, 0)
	case fleet.Bool:
		c.Bool = append(c.Bool, false)
	case fleet.Time:
		c.Time = append(c.Time, 0)
	}
	if c.TS != nil {
		c.TS = append(c.TS, 0)
	}
}

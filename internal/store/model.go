package store

import (
	"fmt"
	"time"
)

// AttrType is the type of a per-host attribute.
type AttrType uint8

// Attribute types. The zero value is invalid so a forgotten type is caught.
const (
	TypeString AttrType = iota + 1
	TypeNumber
	TypeBool
	TypeTime // unix seconds, printed as RFC 3339
)

func (t AttrType) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeNumber:
		return "number"
	case TypeBool:
		return "bool"
	case TypeTime:
		return "time"
	}
	return fmt.Sprintf("AttrType(%d)", uint8(t))
}

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
	Type AttrType
	Str  []string
	Num  []float64
	Bool []bool
	Time []int64 // TypeTime values, unix seconds
	// TS, when not nil, holds the sample time (unix milliseconds) of each
	// value, so age(NAME) works. Metrics set it.
	TS  []int64
	Has []bool
}

// Present reports whether host i has a value in c.
func (c *Column) Present(i int) bool { return c.Has == nil || c.Has[i] }

// NewColumn returns an empty column of type t for n hosts, with every value
// absent until Set* is called.
func NewColumn(name string, t AttrType, n int) *Column {
	c := &Column{Name: name, Type: t, Has: make([]bool, n)}
	switch t {
	case TypeString:
		c.Str = make([]string, n)
	case TypeNumber:
		c.Num = make([]float64, n)
	case TypeBool:
		c.Bool = make([]bool, n)
	case TypeTime:
		c.Time = make([]int64, n)
	}
	return c
}

// Grow extends c by one absent value (for parsers that add hosts as they go).
func (c *Column) Grow() {
	c.Has = append(c.Has, false)
	switch c.Type {
	case TypeString:
		c.Str = append(c.Str, "")
	case TypeNumber:
		c.Num = append(c.Num, 0)
	case TypeBool:
		c.Bool = append(c.Bool, false)
	case TypeTime:
		c.Time = append(c.Time, 0)
	}
	if c.TS != nil {
		c.TS = append(c.TS, 0)
	}
}

package fleet

import (
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// Attr is a typed per-host attribute of one pass, already read: its
// methods cannot fail. Implementations answer a predicate from a value
// index or a scan of one column, never by walking host records. Returned
// bitmaps must not be modified.
type Attr interface {
	Type() Type
	// Present is the set of hosts that have a value.
	Present() *roaring.Bitmap
	// Filter returns the hosts whose value satisfies keep.
	Filter(keep func(Value) bool) *roaring.Bitmap
	// Groups lists the distinct values with their hosts, in value order.
	Groups() []Group
	// Value returns one host's value.
	Value(id uint32) (Value, bool)
	// Sampled reports whether values carry sample times (metrics).
	Sampled() bool
	// FilterSampleTime returns hosts whose sample time (unix ms) satisfies keep.
	FilterSampleTime(keep func(ms int64) bool) *roaring.Bitmap
}

// ValueLister is an Attr that can list its distinct values cheaply (a
// value index); the checker uses it to warn about a misspelt value.
type ValueLister interface {
	Values() []string
}

// Pass is one sealed pass as the language sees it: named sets, attributes
// and the host dictionary. Everything returned must stay valid until the
// Snapshot it came from is closed.
type Pass interface {
	ID() int64
	Created() time.Time
	// All is every host any source saw in the pass, read when the pass
	// was opened.
	All() *roaring.Bitmap
	// Set reads a named set. ok is false, with a nil error, when the pass
	// has no such set; err is a read error (a damaged blob) naming the pass
	// and the set.
	Set(name string) (bm *roaring.Bitmap, ok bool, err error)
	// Attr reads an attribute, with ok and err as for Set.
	Attr(name string) (a Attr, ok bool, err error)
	// SetNames and AttrNames list what exists, sorted, for suggestions.
	SetNames() []string
	AttrNames() []string
	// Origin says where a set or attribute comes from ("source hdfs read at …,
	// carried from pass 3", "definition"), for explain and why.
	Origin(name string) string
}

// Hosts is the host dictionary shared by all passes of a snapshot.
type Hosts interface {
	// Name returns the host key of an id.
	Name(id uint32) string
	// Lookup maps host keys to ids; unknown keys are returned in missing.
	Lookup(names []string) (ids *roaring.Bitmap, missing []string)
}

// PassRef selects a pass relative to the current one: the current pass
// (zero value), N passes back (Rel < 0), a pass id, or the newest pass at or
// before a time.
type PassRef struct {
	Rel int
	ID  int64
	At  time.Time
}

// IsCurrent reports whether r selects the current pass.
func (r PassRef) IsCurrent() bool { return r.Rel == 0 && r.ID == 0 && r.At.IsZero() }

// Snapshot is one consistent read view of the store: every set in one query
// is read from it.
type Snapshot interface {
	Hosts() Hosts
	// Current is the pass queries are evaluated against.
	Current() Pass
	// Resolve finds a pass relative to the current one. A reference that
	// matches no pass is an error wrapping ErrNoPass.
	Resolve(ref PassRef) (Pass, error)
}

// NoCode is the code Coded.Codes reports for a host without a value.
const NoCode = ^uint32(0)

// Coded is an optional interface of a string Attr stored as a sorted
// dictionary of its distinct values and one code per host, the index of
// the host's value in the dictionary. The query layer type-asserts it to
// group, count and match by code instead of by string: a predicate runs
// once per distinct value, and `by`, `spread` and `stratify` read an array
// of small integers. Everything returned must not be modified.
type Coded interface {
	Attr
	// DictLen is the number of distinct values.
	DictLen() int
	// DictValue is the value code c stands for, c < DictLen(); values
	// are in byte order (the order of Groups).
	DictValue(c uint32) string
	// Codes returns the code of every member of hosts, in ascending id
	// order, NoCode for a member without a value.
	Codes(hosts *roaring.Bitmap) []uint32
	// HostsWith returns the hosts whose code c has keep[c] set;
	// len(keep) is DictLen().
	HostsWith(keep []bool) *roaring.Bitmap
}

package querytest

import (
	"maps"
	"slices"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/query"
)

// Attr is an in-memory attribute of one pass. It implements query.Attr.
type Attr struct {
	typ     query.Type
	sampled bool
	vals    map[uint32]query.Value
	times   map[uint32]int64 // sample times, unix ms
}

var _ query.Attr = (*Attr)(nil)

func newAttr(t query.Type) *Attr {
	return &Attr{typ: t, vals: map[uint32]query.Value{}, times: map[uint32]int64{}}
}

func (a *Attr) put(id uint32, v query.Value, ms int64) {
	a.vals[id] = v
	a.times[id] = ms
}

func (a *Attr) clone() *Attr {
	c := newAttr(a.typ)
	c.sampled = a.sampled
	for k, v := range a.vals {
		c.vals[k] = v
	}
	for k, v := range a.times {
		c.times[k] = v
	}
	return c
}

func (a *Attr) trueHosts() *roaring.Bitmap {
	return a.Filter(func(v query.Value) bool { return v.Bool })
}

// Type implements query.Attr.
func (a *Attr) Type() query.Type { return a.typ }

// Sampled implements query.Attr.
func (a *Attr) Sampled() bool { return a.sampled }

// Present implements query.Attr.
func (a *Attr) Present() *roaring.Bitmap {
	out := roaring.New()
	for id := range a.vals {
		out.Add(id)
	}
	return out
}

// Filter implements query.Attr.
func (a *Attr) Filter(keep func(query.Value) bool) *roaring.Bitmap {
	out := roaring.New()
	for id, v := range a.vals {
		if keep(v) {
			out.Add(id)
		}
	}
	return out
}

// Groups implements query.Attr: distinct values in value order. A bool
// attribute always has both groups, as the store's has.
func (a *Attr) Groups() []query.Group {
	by := map[string]*query.Group{}
	if a.typ == query.Bool {
		for _, b := range []bool{false, true} {
			by[strconv.FormatBool(b)] = &query.Group{Value: query.Value{Type: query.Bool, Bool: b}, Hosts: roaring.New()}
		}
	}
	for id, v := range a.vals {
		k := v.String()
		if a.typ == query.Number || a.typ == query.Time {
			k = strconv.FormatFloat(v.Num, 'g', -1, 64)
		}
		g, ok := by[k]
		if !ok {
			g = &query.Group{Value: v, Hosts: roaring.New()}
			by[k] = g
		}
		g.Hosts.Add(id)
	}
	gs := make([]query.Group, 0, len(by))
	for _, k := range slices.Sorted(maps.Keys(by)) {
		gs = append(gs, *by[k])
	}
	query.SortGroups(gs)
	return gs
}

// Value implements query.Attr.
func (a *Attr) Value(id uint32) (query.Value, bool) {
	v, ok := a.vals[id]
	return v, ok
}

// SampleTime returns a host's sample time in unix milliseconds.
func (a *Attr) SampleTime(id uint32) (int64, bool) {
	if !a.sampled {
		return 0, false
	}
	ms, ok := a.times[id]
	return ms, ok
}

// FilterSampleTime implements query.Attr.
func (a *Attr) FilterSampleTime(keep func(ms int64) bool) *roaring.Bitmap {
	out := roaring.New()
	if !a.sampled {
		return out
	}
	for id, ms := range a.times {
		if keep(ms) {
			out.Add(id)
		}
	}
	return out
}

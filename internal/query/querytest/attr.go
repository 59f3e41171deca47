package querytest

import (
	"maps"
	"slices"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
)

// Attr is an in-memory attribute of one pass. It implements fleet.Attr.
type Attr struct {
	typ     fleet.Type
	sampled bool
	vals    map[uint32]fleet.Value
	times   map[uint32]int64 // sample times, unix ms
}

var _ fleet.Attr = (*Attr)(nil)

func newAttr(t fleet.Type) *Attr {
	return &Attr{typ: t, vals: map[uint32]fleet.Value{}, times: map[uint32]int64{}}
}

func (a *Attr) put(id uint32, v fleet.Value, ms int64) {
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
	return a.Filter(func(v fleet.Value) bool { return v.Bool })
}

// Type implements fleet.Attr.
func (a *Attr) Type() fleet.Type { return a.typ }

// Sampled implements fleet.Attr.
func (a *Attr) Sampled() bool { return a.sampled }

// Present implements fleet.Attr.
func (a *Attr) Present() *roaring.Bitmap {
	out := roaring.New()
	for id := range a.vals {
		out.Add(id)
	}
	return out
}

// Filter implements fleet.Attr.
func (a *Attr) Filter(keep func(fleet.Value) bool) *roaring.Bitmap {
	out := roaring.New()
	for id, v := range a.vals {
		if keep(v) {
			out.Add(id)
		}
	}
	return out
}

// Groups implements fleet.Attr: distinct values in value order. A bool
// attribute always has both groups, as the store's has.
func (a *Attr) Groups() []fleet.Group {
	by := map[string]*fleet.Group{}
	if a.typ == fleet.Bool {
		for _, b := range []bool{false, true} {
			by[strconv.FormatBool(b)] = &fleet.Group{Value: fleet.Value{Type: fleet.Bool, Bool: b}, Hosts: roaring.New()}
		}
	}
	for id, v := range a.vals {
		k := v.String()
		if a.typ == fleet.Number || a.typ == fleet.Time {
			k = strconv.FormatFloat(v.Num, 'g', -1, 64)
		}
		g, ok := by[k]
		if !ok {
			g = &fleet.Group{Value: v, Hosts: roaring.New()}
			by[k] = g
		}
		g.Hosts.Add(id)
	}
	gs := make([]fleet.Group, 0, len(by))
	for _, k := range slices.Sorted(maps.Keys(by)) {
		gs = append(gs, *by[k])
	}
	fleet.SortGroups(gs)
	return gs
}

// Value implements fleet.Attr.
func (a *Attr) Value(id uint32) (fleet.Value, bool) {
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

// FilterSampleTime implements fleet.Attr.
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

package querytest

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/query"
)

// Pass is one pass of a Fleet. Its builder methods return the pass so
// they chain; they are meant for test setup, before queries run.
type Pass struct {
	fleet   *Fleet
	id      int64
	created time.Time
	all     *roaring.Bitmap
	sets    map[string]*roaring.Bitmap
	attrs   map[string]*Attr
}

// AddHosts adds hosts to the pass (to all).
func (p *Pass) AddHosts(names ...string) *Pass {
	p.all.Or(p.fleet.Bitmap(names...))
	return p
}

// AddSet adds hosts to the named set (creating it) and to all.
func (p *Pass) AddSet(name string, hosts ...string) *Pass {
	bm := p.fleet.Bitmap(hosts...)
	if s, ok := p.sets[name]; ok {
		s.Or(bm)
	} else {
		p.sets[name] = bm
	}
	p.all.Or(bm)
	return p
}

// SetString sets a string attribute: host key → value.
func (p *Pass) SetString(name string, vals map[string]string) *Pass {
	a := p.attr(name, query.String)
	for h, v := range vals {
		a.put(p.host(h), query.Value{Type: query.String, Str: v}, 0)
	}
	return p
}

// SetNumber sets a number attribute.
func (p *Pass) SetNumber(name string, vals map[string]float64) *Pass {
	a := p.attr(name, query.Number)
	for h, v := range vals {
		a.put(p.host(h), query.Value{Type: query.Number, Num: v}, 0)
	}
	return p
}

// SetBool sets a bool attribute; its true hosts are also a set of the same
// name unless a set of that name exists.
func (p *Pass) SetBool(name string, vals map[string]bool) *Pass {
	a := p.attr(name, query.Bool)
	for h, v := range vals {
		a.put(p.host(h), query.Value{Type: query.Bool, Bool: v}, 0)
	}
	return p
}

// SetTime sets a time attribute (held as unix seconds, as the store does).
func (p *Pass) SetTime(name string, vals map[string]time.Time) *Pass {
	a := p.attr(name, query.Time)
	for h, v := range vals {
		a.put(p.host(h), query.Value{Type: query.Time, Num: float64(v.Unix())}, 0)
	}
	return p
}

// Sample is a metric value and the time it was sampled.
type Sample struct {
	V  float64
	At time.Time
}

// SetSampled sets a metric: a number attribute whose values carry sample
// times.
func (p *Pass) SetSampled(name string, vals map[string]Sample) *Pass {
	a := p.attr(name, query.Number)
	a.sampled = true
	for h, v := range vals {
		a.put(p.host(h), query.Value{Type: query.Number, Num: v.V}, v.At.UnixMilli())
	}
	return p
}

func (p *Pass) host(name string) uint32 {
	id := p.fleet.ID(name)
	p.all.Add(id)
	return id
}

func (p *Pass) attr(name string, t query.Type) *Attr {
	a, ok := p.attrs[name]
	if !ok {
		a = newAttr(t)
		p.attrs[name] = a
	}
	if a.typ != t {
		panic(fmt.Sprintf("querytest: attribute %s is a %s, not a %s", name, a.typ, t))
	}
	return a
}

// ID implements query.Pass.
func (p *Pass) ID() int64 { return p.id }

// Created implements query.Pass.
func (p *Pass) Created() time.Time { return p.created }

// All implements query.Pass.
func (p *Pass) All() *roaring.Bitmap { return p.all }

// Set implements query.Pass: all, a named set, or the true hosts of a
// bool attribute.
func (p *Pass) Set(name string) (*roaring.Bitmap, bool) {
	if name == "all" {
		return p.all, true
	}
	if bm, ok := p.sets[name]; ok {
		return bm, true
	}
	if a, ok := p.attrs[name]; ok && a.typ == query.Bool {
		return a.trueHosts(), true
	}
	return nil, false
}

// Attr implements query.Pass.
func (p *Pass) Attr(name string) (query.Attr, bool) {
	a, ok := p.attrs[name]
	if !ok {
		return nil, false
	}
	return a, true
}

// SetNames implements query.Pass: sorted, including all and the sets of
// bool attributes.
func (p *Pass) SetNames() []string {
	seen := map[string]bool{"all": true}
	for k := range p.sets {
		seen[k] = true
	}
	for k, a := range p.attrs {
		if a.typ == query.Bool {
			seen[k] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// AttrNames implements query.Pass.
func (p *Pass) AttrNames() []string { return slices.Sorted(maps.Keys(p.attrs)) }

// Origin implements query.Pass.
func (p *Pass) Origin(name string) string {
	switch {
	case name == "all":
		return fmt.Sprintf("every host of pass %d", p.id)
	case p.sets[name] != nil:
		return fmt.Sprintf("set %s of pass %d", name, p.id)
	case p.attrs[name] != nil && p.attrs[name].typ == query.Bool:
		return fmt.Sprintf("attribute %s of pass %d (true values of the bool attribute)", name, p.id)
	case p.attrs[name] != nil:
		return fmt.Sprintf("attribute %s of pass %d", name, p.id)
	}
	return ""
}

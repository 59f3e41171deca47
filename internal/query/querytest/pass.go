package querytest

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
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
	damaged map[string]error // names whose read fails (Damage)
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
	a := p.attr(name, fleet.String)
	for h, v := range vals {
		a.put(p.host(h), fleet.Value{Type: fleet.String, Str: v}, 0)
	}
	return p
}

// SetNumber sets a number attribute.
func (p *Pass) SetNumber(name string, vals map[string]float64) *Pass {
	a := p.attr(name, fleet.Number)
	for h, v := range vals {
		a.put(p.host(h), fleet.Value{Type: fleet.Number, Num: v}, 0)
	}
	return p
}

// SetBool sets a bool attribute; its true hosts are also a set of the same
// name unless a set of that name exists.
func (p *Pass) SetBool(name string, vals map[string]bool) *Pass {
	a := p.attr(name, fleet.Bool)
	for h, v := range vals {
		a.put(p.host(h), fleet.Value{Type: fleet.Bool, Bool: v}, 0)
	}
	return p
}

// SetTime sets a time attribute (held as unix seconds, as the store does).
func (p *Pass) SetTime(name string, vals map[string]time.Time) *Pass {
	a := p.attr(name, fleet.Time)
	for h, v := range vals {
		a.put(p.host(h), fleet.Value{Type: fleet.Time, Num: float64(v.Unix())}, 0)
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
	a := p.attr(name, fleet.Number)
	a.sampled = true
	for h, v := range vals {
		a.put(p.host(h), fleet.Value{Type: fleet.Number, Num: v.V}, v.At.UnixMilli())
	}
	return p
}

// Damage makes every read of the set or attribute name fail with err, as
// a damaged blob does in the store.
func (p *Pass) Damage(name string, err error) *Pass {
	if p.damaged == nil {
		p.damaged = map[string]error{}
	}
	p.damaged[name] = err
	return p
}

func (p *Pass) host(name string) uint32 {
	id := p.fleet.ID(name)
	p.all.Add(id)
	return id
}

func (p *Pass) attr(name string, t fleet.Type) *Attr {
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

// ID implements fleet.Pass.
func (p *Pass) ID() int64 { return p.id }

// Created implements fleet.Pass.
func (p *Pass) Created() time.Time { return p.created }

// All implements fleet.Pass.
func (p *Pass) All() *roaring.Bitmap { return p.all }

// Set implements fleet.Pass: all, a named set, or the true hosts of a
// bool attribute.
func (p *Pass) Set(name string) (*roaring.Bitmap, bool, error) {
	if err := p.damaged[name]; err != nil {
		return nil, false, fmt.Errorf("pass %d: set %s: %w", p.id, name, err)
	}
	if name == "all" {
		return p.all, true, nil
	}
	if bm, ok := p.sets[name]; ok {
		return bm, true, nil
	}
	if a, ok := p.attrs[name]; ok && a.typ == fleet.Bool {
		return a.trueHosts(), true, nil
	}
	return nil, false, nil
}

// Attr implements fleet.Pass.
func (p *Pass) Attr(name string) (fleet.Attr, bool, error) {
	if err := p.damaged[name]; err != nil {
		return nil, false, fmt.Errorf("pass %d: attribute %s: %w", p.id, name, err)
	}
	a, ok := p.attrs[name]
	if !ok {
		return nil, false, nil
	}
	return a, true, nil
}

// SetNames implements fleet.Pass: sorted, including all and the sets of
// bool attributes.
func (p *Pass) SetNames() []string {
	seen := map[string]bool{"all": true}
	for k := range p.sets {
		seen[k] = true
	}
	for k, a := range p.attrs {
		if a.typ == fleet.Bool {
			seen[k] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// AttrNames implements fleet.Pass.
func (p *Pass) AttrNames() []string { return slices.Sorted(maps.Keys(p.attrs)) }

// Origin implements fleet.Pass.
func (p *Pass) Origin(name string) string {
	switch {
	case name == "all":
		return fmt.Sprintf("every host of pass %d", p.id)
	case p.sets[name] != nil:
		return fmt.Sprintf("set %s of pass %d", name, p.id)
	case p.attrs[name] != nil && p.attrs[name].typ == fleet.Bool:
		return fmt.Sprintf("attribute %s of pass %d (true values of the bool attribute)", name, p.id)
	case p.attrs[name] != nil:
		return fmt.Sprintf("attribute %s of pass %d", name, p.id)
	}
	return ""
}

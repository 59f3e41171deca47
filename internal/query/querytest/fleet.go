// Package querytest is an in-memory fleet that implements fleet.Snapshot,
// fleet.Pass, fleet.Attr and fleet.Hosts with the store's semantics, so the
// language (and packages built on it) can be tested without a database.
//
// Semantics mirrored from internal/store:
//   - host keys are trimmed and lower-cased; ids come from one dictionary
//     shared by every pass, assigned in order of first appearance (so ids
//     are deliberately not in name order);
//   - all is every host of the pass: hosts added with AddHosts and every
//     host named by a set or an attribute of the pass;
//   - a bool attribute also gives a set of the same name (its true hosts)
//     unless a set of that name exists;
//   - names resolve per pass; PassRef resolves by id, by time (newest pass
//     created at or before), or N passes back from the current one.
package querytest

import (
	"fmt"
	"sort"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/hostkey"
)

// ErrNoPass is returned by Resolve when a reference matches no pass: the
// contract's fleet.ErrNoPass, as the store's is.
var ErrNoPass = fleet.ErrNoPass

// Base is the creation time of pass 1 unless told otherwise; each later
// pass is created one hour after the previous one.
var Base = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// Fleet is a host dictionary and a list of passes, oldest first.
type Fleet struct {
	names  []string
	ids    map[string]uint32
	passes []*Pass
}

// NewFleet returns a fleet with no hosts and no passes.
func NewFleet() *Fleet {
	return &Fleet{ids: map[string]uint32{}}
}

// NewPass starts a pass created one hour after the newest (Base for the
// first) and returns it; it becomes the newest pass.
func (f *Fleet) NewPass() *Pass {
	created := Base
	if n := len(f.passes); n > 0 {
		created = f.passes[n-1].created.Add(time.Hour)
	}
	return f.NewPassAt(created)
}

// NewPassAt starts a pass created at t.
func (f *Fleet) NewPassAt(t time.Time) *Pass {
	p := &Pass{fleet: f, id: int64(len(f.passes) + 1), created: t.UTC(),
		all: roaring.New(), sets: map[string]*roaring.Bitmap{}, attrs: map[string]*Attr{}}
	f.passes = append(f.passes, p)
	return p
}

// CarryPass starts a new pass holding a copy of the newest pass's hosts,
// sets and attributes (as a pass that re-reads no source would).
func (f *Fleet) CarryPass() *Pass {
	prev := f.Newest()
	p := f.NewPass()
	if prev == nil {
		return p
	}
	p.all = prev.all.Clone()
	for k, v := range prev.sets {
		p.sets[k] = v.Clone()
	}
	for k, v := range prev.attrs {
		p.attrs[k] = v.clone()
	}
	return p
}

// Newest is the newest pass, or nil.
func (f *Fleet) Newest() *Pass {
	if len(f.passes) == 0 {
		return nil
	}
	return f.passes[len(f.passes)-1]
}

// PassByID returns pass id, or nil.
func (f *Fleet) PassByID(id int64) *Pass {
	if id < 1 || id > int64(len(f.passes)) {
		return nil
	}
	return f.passes[id-1]
}

// Snapshot returns a read view whose current pass is the newest. It panics
// when the fleet has no pass: that is a mistake in the test.
func (f *Fleet) Snapshot() fleet.Snapshot { return f.SnapshotAt(0) }

// SnapshotAt returns a read view whose current pass is id (0: newest).
func (f *Fleet) SnapshotAt(id int64) fleet.Snapshot {
	p := f.Newest()
	if id != 0 {
		p = f.PassByID(id)
	}
	if p == nil {
		panic(fmt.Sprintf("querytest: no pass %d", id))
	}
	return &snapshot{fleet: f, cur: p}
}

// ID returns the id of a host key, assigning one if it is new.
func (f *Fleet) ID(name string) uint32 {
	name = HostKey(name)
	if id, ok := f.ids[name]; ok {
		return id
	}
	id := uint32(len(f.names))
	f.ids[name] = id
	f.names = append(f.names, name)
	return id
}

// Names returns the host keys of bm in canonical (byte) order.
func (f *Fleet) Names(bm *roaring.Bitmap) []string {
	out := make([]string, 0, bm.GetCardinality())
	it := bm.Iterator()
	for it.HasNext() {
		out = append(out, f.Name(it.Next()))
	}
	sort.Strings(out)
	return out
}

// Bitmap returns the ids of the named hosts, assigning ids to new ones.
func (f *Fleet) Bitmap(names ...string) *roaring.Bitmap {
	bm := roaring.New()
	for _, n := range names {
		bm.Add(f.ID(n))
	}
	return bm
}

// HostKey is how the store keys a host: trimmed, lower-cased.
func HostKey(name string) string { return hostkey.Normalize(name) }

// Name implements fleet.Hosts.
func (f *Fleet) Name(id uint32) string {
	if int(id) < len(f.names) {
		return f.names[id]
	}
	return ""
}

// Lookup implements fleet.Hosts.
func (f *Fleet) Lookup(names []string) (*roaring.Bitmap, []string) {
	out := roaring.New()
	var missing []string
	for _, n := range names {
		if id, ok := f.ids[n]; ok {
			out.Add(id)
		} else {
			missing = append(missing, n)
		}
	}
	return out, missing
}

type snapshot struct {
	fleet *Fleet
	cur   *Pass
}

func (s *snapshot) Hosts() fleet.Hosts  { return s.fleet }
func (s *snapshot) Current() fleet.Pass { return s.cur }

// Resolve follows the store: an id, else a time, else N passes back.
func (s *snapshot) Resolve(ref fleet.PassRef) (fleet.Pass, error) {
	f := s.fleet
	switch {
	case ref.ID != 0:
		if p := f.PassByID(ref.ID); p != nil {
			return p, nil
		}
		return nil, fmt.Errorf("pass %d: %w", ref.ID, ErrNoPass)
	case !ref.At.IsZero():
		for i := len(f.passes) - 1; i >= 0; i-- {
			if !f.passes[i].created.After(ref.At) {
				return f.passes[i], nil
			}
		}
		return nil, fmt.Errorf("no pass at or before %s: %w", ref.At.UTC().Format(time.RFC3339), ErrNoPass)
	case ref.Rel < 0:
		if i := int(s.cur.id-1) + ref.Rel; i >= 0 {
			return f.passes[i], nil
		}
		return nil, fmt.Errorf("@-%d from pass %d: %w", -ref.Rel, s.cur.id, ErrNoPass)
	}
	return s.cur, nil
}

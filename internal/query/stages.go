package query

import (
	"hash/fnv"
	"sort"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/setops"
)

func (ev *evaluator) stage(s Stage, r *Result, pass fleet.Pass) error {
	attrs, err := ev.stageAttrs(s, pass)
	if err != nil {
		return err
	}
	switch s := s.(type) {
	case *Sample:
		r.Hosts = ev.sample(s, r.Hosts)
	case *Head:
		r.Hosts = ev.head(s.N, r.Hosts)
	case *Spread:
		r.Hosts = setops.Spread(r.Hosts, s.N, groupIndex(attrs[0], r.Hosts), ev.random())
	case *Stratify:
		r.Hosts = setops.Stratify(r.Hosts, s.N, comboKey(attrs), ev.random())
	case *Where:
		keep, err := ev.eval(s.Pred, pass)
		if err != nil {
			return err
		}
		r.Hosts = setops.Intersection(r.Hosts, keep)
	case *Count:
		r.Kind, r.Count = CountResult, r.Hosts.GetCardinality()
	case *By:
		r.Kind, r.Groups, r.Columns = GroupsResult, countBy(attrs[0], r.Hosts), []string{s.Attr}
	case *Show:
		r.Kind, r.Columns, r.ColumnAttrs = ShowResult, s.Attrs, attrs
	case *Split:
		r.Kind = BatchesResult
		r.Batches = setops.Split(r.Hosts, s.N, groupIndex(attrs[0], r.Hosts), ev.random())
	}
	return nil
}

// stageAttrs reads the attributes a stage groups by: the checked names
// of spread, stratify and by, and for split the rack (nil when the pass
// has none).
func (ev *evaluator) stageAttrs(s Stage, pass fleet.Pass) ([]fleet.Attr, error) {
	var names []string
	switch s := s.(type) {
	case *Spread:
		names = []string{s.Attr}
	case *Stratify:
		names = s.Attrs
	case *By:
		names = []string{s.Attr}
	case *Show:
		names = s.Attrs
	case *Split:
		a, err := ev.rackAttr(s.P, pass)
		return []fleet.Attr{a}, err
	}
	out := make([]fleet.Attr, len(names))
	for i, name := range names {
		a, err := ev.attrAt(s.Position(), name, pass)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// rackAttr is what split spreads batches across: rack, else none.
func (ev *evaluator) rackAttr(p Pos, pass fleet.Pass) (fleet.Attr, error) {
	for _, name := range []string{"rack", "hdfs.rack"} {
		if a, ok, err := readAttr(pass, p, ev.input, name); ok || err != nil {
			return a, err
		}
	}
	return nil, nil
}

func (ev *evaluator) sample(s *Sample, hosts *roaring.Bitmap) *roaring.Bitmap {
	if s.Stable {
		names := ev.env.Snap.Hosts()
		return setops.SampleStable(hosts, s.N, func(id uint32) uint64 {
			h := fnv.New64a()
			h.Write([]byte(names.Name(id)))
			return h.Sum64()
		})
	}
	n := int(s.N)
	if s.Percent {
		n = setops.PercentCount(hosts.GetCardinality(), s.N)
	}
	return setops.Sample(hosts, n, ev.random())
}

// head keeps the first n hosts in byte order of their names.
func (ev *evaluator) head(n int, hosts *roaring.Bitmap) *roaring.Bitmap {
	if uint64(n) >= hosts.GetCardinality() {
		return hosts
	}
	type named struct {
		name string
		id   uint32
	}
	dict := ev.env.Snap.Hosts()
	all := make([]named, 0, hosts.GetCardinality())
	it := hosts.Iterator()
	for it.HasNext() {
		id := it.Next()
		all = append(all, named{dict.Name(id), id})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	out := roaring.New()
	for _, h := range all[:n] {
		out.Add(h.id)
	}
	return out
}

// groupIndex maps each host of hosts to the index of its attribute value;
// hosts without a value (or with no attribute) report ok=false.
func groupIndex(a fleet.Attr, hosts *roaring.Bitmap) func(uint32) (uint32, bool) {
	if a == nil {
		return func(uint32) (uint32, bool) { return 0, false }
	}
	idx := make(map[uint32]uint32, hosts.GetCardinality())
	for gi, g := range a.Groups() {
		it := setops.Intersection(g.Hosts, hosts).Iterator()
		for it.HasNext() {
			idx[it.Next()] = uint32(gi)
		}
	}
	return func(id uint32) (uint32, bool) {
		g, ok := idx[id]
		return g, ok
	}
}

// comboKey keys each host by its values of attrs, joined.
func comboKey(as []fleet.Attr) func(uint32) string {
	return func(id uint32) string {
		parts := make([]string, len(as))
		for i, a := range as {
			if v, ok := a.Value(id); ok {
				parts[i] = v.String()
			} else {
				parts[i] = "<none>"
			}
		}
		return strings.Join(parts, "\x00")
	}
}

// countBy counts hosts per value, in value order, with hosts lacking the
// attribute last as "<none>".
func countBy(a fleet.Attr, hosts *roaring.Bitmap) []GroupCount {
	var out []GroupCount
	for _, g := range a.Groups() {
		if n := g.Hosts.AndCardinality(hosts); n > 0 {
			out = append(out, GroupCount{Value: g.Value.String(), Count: n})
		}
	}
	if n := hosts.GetCardinality() - hosts.AndCardinality(a.Present()); n > 0 {
		out = append(out, GroupCount{Value: "<none>", Count: n})
	}
	return out
}

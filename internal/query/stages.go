package query

import (
	"hash/fnv"
	"math/bits"
	"math/rand/v2"
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
		r.Hosts = spread(attrs[0], r.Hosts, s.N, ev.random())
	case *Stratify:
		r.Hosts = stratify(attrs, r.Hosts, s.N, ev.random())
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
		r.Batches = split(attrs[0], r.Hosts, s.N, ev.random())
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

// spread is `spread ATTR N`, by code when the attribute has codes.
func spread(a fleet.Attr, hosts *roaring.Bitmap, n int, rng *rand.Rand) *roaring.Bitmap {
	if c, ok := a.(fleet.Coded); ok {
		return setops.SpreadCodes(hosts, n, c.Codes(hosts), c.DictLen(), rng)
	}
	return setops.Spread(hosts, n, groupIndex(a, hosts), rng)
}

// split is `split N` across a (nil: no rack), by code when a has codes.
func split(a fleet.Attr, hosts *roaring.Bitmap, n int, rng *rand.Rand) []*roaring.Bitmap {
	if c, ok := a.(fleet.Coded); ok {
		return setops.SplitCodes(hosts, n, c.Codes(hosts), c.DictLen(), rng)
	}
	return setops.Split(hosts, n, groupIndex(a, hosts), rng)
}

// stratify is `stratify ATTR[,ATTR…] N`, keyed by the attributes' codes
// when they all have codes.
func stratify(as []fleet.Attr, hosts *roaring.Bitmap, n int, rng *rand.Rand) *roaring.Bitmap {
	if keys, radix, ok := comboCodes(as, hosts); ok {
		if radix < 1<<32 && radix <= 4*hosts.GetCardinality()+1024 { // few combinations: number them densely
			codes := make([]uint32, len(keys))
			for i, k := range keys {
				codes[i] = uint32(k)
			}
			return setops.SpreadCodes(hosts, n, codes, int(radix), rng)
		}
		return setops.StratifyKeys(hosts, n, keys, rng)
	}
	return setops.Stratify(hosts, n, comboKey(as), rng)
}

// comboCodes keys each member of hosts by its codes of as, as one number
// in mixed radix below radix, so that two hosts share a key exactly when comboKey
// gives them the same string: a missing value is one more digit, shared
// with a value spelt "<none>". ok is false when an attribute has no codes,
// when a value holds the joining NUL (the strings could then collide
// across attributes) or when the combinations overflow 64 bits.
func comboCodes(as []fleet.Attr, hosts *roaring.Bitmap) (keys []uint64, radix uint64, ok bool) {
	coded := make([]fleet.Coded, len(as))
	radix = 1
	for i, a := range as {
		c, isCoded := a.(fleet.Coded)
		if !isCoded || len(as) > 1 && anyHasNUL(c) {
			return nil, 0, false
		}
		hi, lo := bits.Mul64(radix, uint64(c.DictLen()+1))
		if hi != 0 {
			return nil, 0, false
		}
		coded[i], radix = c, lo
	}
	keys = make([]uint64, hosts.GetCardinality())
	scale := uint64(1)
	for _, c := range coded {
		none := uint64(c.DictLen())
		if k := search(c, "<none>"); k < c.DictLen() && c.DictValue(uint32(k)) == "<none>" {
			none = uint64(k)
		}
		for i, k := range c.Codes(hosts) {
			d := none
			if k != fleet.NoCode {
				d = uint64(k)
			}
			keys[i] += d * scale
		}
		scale *= uint64(c.DictLen() + 1)
	}
	return keys, radix, true
}

func anyHasNUL(c fleet.Coded) bool {
	for k := range c.DictLen() {
		if strings.IndexByte(c.DictValue(uint32(k)), 0) >= 0 {
			return true
		}
	}
	return false
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
	if c, ok := a.(fleet.Coded); ok {
		return countCodes(c, hosts)
	}
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

// countCodes is countBy from codes: one pass over the hosts' codes.
func countCodes(c fleet.Coded, hosts *roaring.Bitmap) []GroupCount {
	size := c.DictLen()
	counts := make([]uint64, size+1)
	for _, k := range c.Codes(hosts) {
		counts[min(k, uint32(size))]++
	}
	var out []GroupCount
	for k, n := range counts[:size] {
		if n > 0 {
			out = append(out, GroupCount{Value: c.DictValue(uint32(k)), Count: n})
		}
	}
	if n := counts[size]; n > 0 {
		out = append(out, GroupCount{Value: "<none>", Count: n})
	}
	return out
}

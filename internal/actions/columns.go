package actions

import (
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
)

// A decision reads the policy's cluster, rack and replica-group
// attributes of its candidates (and of the hosts already out that share
// their clusters or racks), never host by host over the whole fleet:
// each attribute is inverted once per decision into a column over those
// hosts. An indexed attribute (a fleet.ValueLister: a bitmap per value)
// is inverted by intersecting each value's hosts with the set, so the
// cost is one bitmap test per value and one step per host, not a probe
// of every value's bitmap per host. Any other attribute is read one
// Value at a time, unless the set holds more than a quarter of the hosts
// that have a value: then one pass over its groups (kept for the
// decision) is cheaper.

// attrReader is one attribute as a decision reads it (a nil attribute
// has no values).
type attrReader struct {
	a      fleet.Attr
	groups []fleet.Group
	listed bool
}

func newAttrReader(a fleet.Attr) *attrReader { return &attrReader{a: a} }

// indexed reports whether the attribute keeps a bitmap per value, so its
// groups cost nothing to list.
func (r *attrReader) indexed() bool {
	_, ok := r.a.(fleet.ValueLister)
	return ok
}

// byGroups reports whether a set of n hosts is read from the groups.
func (r *attrReader) byGroups(n int) bool {
	if readByValue {
		return false
	}
	return r.indexed() || uint64(n)*4 > r.a.Present().GetCardinality()
}

// readByValue makes every read one Value per host, as decisions read
// attributes before the columns: the reference the tests compare with.
var readByValue = false

// allGroups lists the attribute's groups once per decision.
func (r *attrReader) allGroups() []fleet.Group {
	if !r.listed {
		r.groups, r.listed = r.a.Groups(), true
	}
	return r.groups
}

// column is one attribute's string values over a sorted set of hosts, by
// position in that set ("" where a host has no value, as str reads it).
type column struct {
	vals  []string // distinct values; vals[0] is ""
	codes []int32  // per position: an index into vals
}

// at is the value of the host at position i.
func (c *column) at(i int32) string { return c.vals[c.codes[i]] }

// column reads the attribute over the hosts ids (sorted, the members of
// set).
func (r *attrReader) column(ids []uint32, set *roaring.Bitmap) *column {
	return r.columnAt(ids, set, nil)
}

// columnAt is column with, when not nil, the position of every id of
// set by id (positions.at).
func (r *attrReader) columnAt(ids []uint32, set *roaring.Bitmap, pos *positions) *column {
	c := &column{vals: []string{""}, codes: make([]int32, len(ids))}
	switch {
	case r.a == nil || len(ids) == 0:
	case r.byGroups(len(ids)):
		c.fromGroups(r.allGroups(), ids, set, pos)
	default:
		c.fromValues(r.a, ids)
	}
	return c
}

// fromGroups assigns each host the first group holding it, as Value does.
func (c *column) fromGroups(groups []fleet.Group, ids []uint32, set *roaring.Bitmap, pos *positions) {
	assigned := make([]bool, len(ids))
	for _, g := range groups {
		if !g.Hosts.Intersects(set) {
			continue
		}
		code := c.code(g.Value.String(), nil)
		it := roaring.And(g.Hosts, set).Iterator()
		for lo := 0; it.HasNext(); { // ascending: search on from the last one
			var i int
			if id := it.Next(); pos != nil {
				i = int(pos.at[id])
			} else {
				i, _ = slices.BinarySearch(ids[lo:], id)
				i += lo
			}
			if !assigned[i] {
				assigned[i], c.codes[i] = true, code
			}
			lo = i + 1
		}
	}
}

// positions are the positions of a sorted set's ids, by id: kept only
// for a set that fills a good part of its id range, where they cost a
// few bytes per member and save a search per host and attribute.
type positions struct{ at []int32 }

// positionsOf returns the positions of ids (sorted), or nil when the set
// is sparse in its range.
func positionsOf(ids []uint32) *positions {
	if len(ids) == 0 || uint64(ids[len(ids)-1]) > 4*uint64(len(ids)) {
		return nil
	}
	p := &positions{at: make([]int32, ids[len(ids)-1]+1)}
	for i, id := range ids {
		p.at[id] = int32(i)
	}
	return p
}

func (c *column) fromValues(a fleet.Attr, ids []uint32) {
	seen := map[string]int32{}
	for i, id := range ids {
		if v, ok := a.Value(id); ok {
			c.codes[i] = c.code(v.String(), seen)
		}
	}
}

// code interns a value (seen may be nil when every value comes once).
func (c *column) code(v string, seen map[string]int32) int32 {
	if v == "" {
		return 0
	}
	if seen != nil {
		if k, ok := seen[v]; ok {
			return k
		}
		seen[v] = int32(len(c.vals))
	}
	c.vals = append(c.vals, v)
	return int32(len(c.vals) - 1)
}

// candSet is a decision's candidates, sorted, with the values of the
// policy's cluster, rack and replica-group attributes.
type candSet struct {
	set                  *roaring.Bitmap
	ids                  []uint32
	cluster, rack, group *column
	// codes are the three columns' codes side by side, per position: the
	// candidates are taken in a random order, one cache line each.
	codes [][3]int32
	// rackKeys are the rack column's values as budgets count them, by code.
	rackKeys []string
	// win is each candidate's window source (windows.go), gathered with
	// the codes; nil when no window gates the decision.
	win []int32
}

func newCandSet(v *view, cands *roaring.Bitmap) *candSet {
	ids := cands.ToArray()
	pos := positionsOf(ids)
	c := &candSet{set: cands, ids: ids, cluster: v.clusterR.columnAt(ids, cands, pos),
		rack: v.rackR.columnAt(ids, cands, pos), group: v.groupR.columnAt(ids, cands, pos), codes: make([][3]int32, len(ids))}
	for i := range c.codes {
		c.codes[i] = [3]int32{c.cluster.codes[i], c.rack.codes[i], c.group.codes[i]}
	}
	c.rackKeys = make([]string, len(c.rack.vals))
	for i, r := range c.rack.vals {
		c.rackKeys[i] = rackKeyOf(r)
	}
	return c
}

// inOrder yields what the columns say of the candidates at the given
// positions, in that order. The codes and ids are gathered a batch at a
// time first: the positions are in random order, and loads that do not
// wait on one another overlap their cache misses.
func (c *candSet) inOrder(order []int32) func(yield func(hostCost) bool) {
	return func(yield func(hostCost) bool) {
		const batch = 4096
		var codes [batch][3]int32
		var ids [batch]uint32
		var win [batch]int32
		for start := 0; start < len(order); start += batch {
			part := order[start:min(start+batch, len(order))]
			for j, i := range part {
				codes[j], ids[j] = c.codes[i], c.ids[i]
			}
			if c.win != nil {
				for j, i := range part {
					win[j] = c.win[i]
				}
			}
			for j, i := range part {
				k := codes[j]
				h := hostCost{pos: i, id: ids[j], cluster: c.cluster.vals[k[0]], rack: c.rackKeys[k[1]], group: c.group.vals[k[2]], codes: k, win: win[j]}
				if !yield(h) {
					return
				}
			}
		}
	}
}

// usedCodes marks the codes of a column that some candidate has.
func usedCodes(col *column) []bool {
	used := make([]bool, len(col.vals))
	for _, code := range col.codes {
		used[code] = true
	}
	return used
}

// touched are the clusters of the candidates.
func (c *candSet) touched() map[string]bool {
	out := map[string]bool{}
	for code, ok := range usedCodes(c.cluster) {
		if ok && code != 0 {
			out[c.cluster.vals[code]] = true
		}
	}
	return out
}

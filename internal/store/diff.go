package store

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
)

// DiffOptions choose what Diff compares.
type DiffOptions struct {
	// Sets names the sets to compare; empty means every set of either pass.
	Sets []string
	// Attrs also lists per-host attribute changes.
	Attrs bool
}

// PassDiff is how pass B differs from pass A.
type PassDiff struct {
	A, B  *PassInfo
	Sets  []SetChange
	Attrs []AttrChange
}

// SetChange is how one named set changed. A set missing from a pass counts
// as empty there (InA/InB say which).
type SetChange struct {
	Name           string
	InA, InB       bool
	CountA, CountB uint64
	Entered, Left  *roaring.Bitmap // host ids
}

// Changed reports whether any host entered or left.
func (c SetChange) Changed() bool { return !c.Entered.IsEmpty() || !c.Left.IsEmpty() }

// AttrChange is one attribute of one host that differs between the passes,
// for hosts in both passes. A missing value has Had/Has false.
type AttrChange struct {
	Host     string
	Attr     string
	Old, New fleet.Value
	Had, Has bool
}

// Diff compares pass a with pass b. Sets are compared by XOR of their
// bitmaps, skipped when both passes share the same blobs; attributes are
// compared only where their blobs differ, and only on hosts in both passes
// (a host that entered or left shows in the set changes of all).
func (t *Tx) Diff(a, b int64, o DiffOptions) (*PassDiff, error) {
	va, err := t.Pass(a)
	if err != nil {
		return nil, err
	}
	vb, err := t.Pass(b)
	if err != nil {
		return nil, err
	}
	names, err := diffSetNames(va, vb, o.Sets)
	if err != nil {
		return nil, err
	}
	d := &PassDiff{A: va.info, B: vb.info}
	for _, name := range names {
		c, err := diffSet(va, vb, name)
		if err != nil {
			return nil, err
		}
		d.Sets = append(d.Sets, c)
	}
	if o.Attrs {
		if d.Attrs, err = diffAttrs(t.dict, va, vb); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func diffSetNames(va, vb *PassView, asked []string) ([]string, error) {
	if len(asked) == 0 {
		seen := map[string]bool{}
		for _, n := range append(va.SetNames(), vb.SetNames()...) {
			seen[n] = true
		}
		return slices.Sorted(maps.Keys(seen)), nil
	}
	for _, n := range asked {
		_, inA, err := va.Set(n)
		if err != nil {
			return nil, err
		}
		_, inB, err := vb.Set(n)
		if err != nil {
			return nil, err
		}
		if !inA && !inB {
			return nil, fmt.Errorf("no set %q in pass %d or pass %d", n, va.ID(), vb.ID())
		}
	}
	return asked, nil
}

func diffSet(va, vb *PassView, name string) (SetChange, error) {
	sa, inA, err := va.Set(name)
	if err != nil {
		return SetChange{}, err
	}
	sb, inB, err := vb.Set(name)
	if err != nil {
		return SetChange{}, err
	}
	c := SetChange{Name: name, InA: inA, InB: inB, Entered: roaring.New(), Left: roaring.New()}
	if inA {
		c.CountA = sa.GetCardinality()
	}
	if inB {
		c.CountB = sb.GetCardinality()
	}
	switch {
	case inA && inB && va.setKey(name) == vb.setKey(name):
	case inA && inB:
		x := roaring.Xor(sa, sb)
		c.Entered, c.Left = roaring.And(x, sb), roaring.And(x, sa)
	case inB:
		c.Entered = sb.Clone()
	case inA:
		c.Left = sa.Clone()
	}
	return c, nil
}

// setKey names the blobs a set is read from: equal keys, equal sets.
func (v *PassView) setKey(name string) string {
	if name == "all" {
		return v.info.All
	}
	r := v.sets[name]
	if r.attr != "" {
		return "attr:" + v.attrs[r.attr].ref.Blob
	}
	return strings.Join(r.blobs, "+")
}

func diffAttrs(dict *dict, va, vb *PassView) ([]AttrChange, error) {
	both := roaring.And(va.All(), vb.All())
	seen := map[string]bool{}
	for _, n := range append(va.AttrNames(), vb.AttrNames()...) {
		seen[n] = true
	}
	var out []AttrChange
	var ids []uint32 // the host of each change
	for _, name := range slices.Sorted(maps.Keys(seen)) {
		ra, okA := va.attrs[name]
		rb, okB := vb.attrs[name]
		if okA && okB && ra.ref.Blob == rb.ref.Blob {
			continue // unchanged column: shared blob
		}
		aa, err := attrOrNil(va, name)
		if err != nil {
			return nil, err
		}
		bb, err := attrOrNil(vb, name)
		if err != nil {
			return nil, err
		}
		changed := changedHosts(aa, bb)
		changed.And(both)
		it := changed.Iterator()
		for it.HasNext() {
			id := it.Next()
			c := AttrChange{Attr: name}
			if aa != nil {
				c.Old, c.Had = aa.Value(id)
			}
			if bb != nil {
				c.New, c.Has = bb.Value(id)
			}
			out, ids = append(out, c), append(ids, id)
		}
	}
	nameChanges(dict, out, ids)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out, nil
}

// nameChanges fills in the host name of each change, ids[i] being the
// host of out[i], reading each name once.
func nameChanges(dict *dict, out []AttrChange, ids []uint32) {
	hosts := slices.Compact(slices.Sorted(slices.Values(ids)))
	names := dict.namesOf(hosts)
	for i, id := range ids {
		k, _ := slices.BinarySearch(hosts, id)
		out[i].Host = names[k]
	}
}

// attrOrNil is an attribute of v, nil when v has none of that name.
func attrOrNil(v *PassView, name string) (fleet.Attr, error) {
	a, _, err := v.Attr(name)
	return a, err
}

// changedHosts returns the hosts whose value differs between a and b
// (either may be nil: no such attribute).
func changedHosts(a, b fleet.Attr) *roaring.Bitmap {
	switch {
	case a == nil && b == nil:
		return roaring.New()
	case a == nil:
		return b.Present().Clone()
	case b == nil:
		return a.Present().Clone()
	}
	x := roaring.Xor(a.Present(), b.Present())
	da, okA := asDict(a)
	db, okB := asDict(b)
	na, numA := a.(*numColumn)
	nb, numB := b.(*numColumn)
	switch {
	case okA && okB:
		x.Or(dictChanged(da, db))
	case numA && numB:
		x.Or(numChanged(na, nb))
	case grouped(a) && grouped(b):
		x.Or(groupsXor(a.Groups(), b.Groups()))
	default:
		x.Or(valuesChanged(a, b))
	}
	return x
}

// valuesChanged compares the values of the hosts present in both, any
// encodings, by merging their lists in id order.
func valuesChanged(a, b fleet.Attr) *roaring.Bitmap {
	x := roaring.New()
	ia, va := idValues(a)
	ib, vb := idValues(b)
	for i, j := 0, 0; i < len(ia) && j < len(ib); {
		switch {
		case ia[i] < ib[j]:
			i++
		case ia[i] > ib[j]:
			j++
		default:
			if !sameValue(va[i], vb[j]) {
				x.Add(ia[i])
			}
			i++
			j++
		}
	}
	return x
}

// numChanged returns the hosts present in both a and b whose numbers
// differ, reading the stored values in place: equal bits are equal
// values, other pairs compare as values (-0 = 0, NaN = NaN).
func numChanged(a, b *numColumn) *roaring.Bitmap {
	var out []uint32
	commonChunks(a.present, b.present, func(ids, ra, rb []uint32) {
		for j, id := range ids {
			i, k := int(ra[j]), int(rb[j])
			if (a.bits(i) != b.bits(k) || a.typ != b.typ) && !sameValue(a.at(i), b.at(k)) {
				out = append(out, id)
			}
		}
	})
	return roaring.BitmapOf(out...)
}

// dictChanged returns the hosts present in both a and b whose values
// differ, comparing codes: a's are mapped onto b's dictionary once per
// distinct value (a merge of the two sorted dictionaries, skipped when they
// are equal), never a string per host (a host's value is a random place
// in a dictionary of a value per host). With value bitmaps on both sides
// it is their XOR, value by value.
func dictChanged(a, b *dictAttr) *roaring.Bitmap {
	var onB []uint32 // nil: equal dictionaries
	if a.dict.all != b.dict.all {
		onB = translate(a.dict, b.dict)
	}
	if a.bitmaps != nil && b.bitmaps != nil {
		return bitmapsChanged(a.bitmaps, b.bitmaps, onB)
	}
	var out []uint32
	ka, kb := make([]uint32, chunk), make([]uint32, chunk)
	commonChunks(a.present, b.present, func(ids, ra, rb []uint32) {
		a.codesAt(ra, ka)
		b.codesAt(rb, kb)
		if onB != nil {
			for j, k := range ka[:len(ids)] {
				ka[j] = onB[k]
			}
		}
		for j, id := range ids {
			if ka[j] != kb[j] {
				out = append(out, id)
			}
		}
	})
	return roaring.BitmapOf(out...)
}

// bitmapsChanged is the union over a's values of the hosts that hold the
// value in exactly one of a and b (value bitmaps by code; onB maps a's
// codes to b's, nil when the codes are the same). That is every host of
// both whose value differs (it leaves its value of a) and some hosts
// present in only one; b's values a lacks add nothing more.
func bitmapsChanged(a, b []*roaring.Bitmap, onB []uint32) *roaring.Bitmap {
	parts := make([]*roaring.Bitmap, 0, len(a))
	for k, hosts := range a {
		kb := uint32(k)
		if onB != nil {
			kb = onB[k]
		}
		if kb == fleet.NoCode {
			parts = append(parts, hosts)
			continue
		}
		parts = append(parts, roaring.Xor(hosts, b[kb]))
	}
	return roaring.FastOr(parts...)
}

// translate maps each value of the sorted dictionary from to its code in
// the sorted dictionary to, fleet.NoCode when to lacks it.
func translate(from, to strDict) []uint32 {
	out := make([]uint32, from.len())
	j := uint32(0)
	for i := range out {
		v := from.at(uint32(i))
		for int(j) < to.len() && to.at(j) < v {
			j++
		}
		out[i] = fleet.NoCode
		if int(j) < to.len() && to.at(j) == v {
			out[i] = j
		}
	}
	return out
}

func grouped(a fleet.Attr) bool {
	switch a.(type) {
	case *boolAttr, *indexAttr, dictIndex:
		return true
	}
	return false
}

func sameValue(a, b fleet.Value) bool {
	return a.Type == b.Type && fleet.CompareValues(a, b) == 0
}

// groupsXor is the union over values of the hosts that hold that value in
// exactly one of the two group lists.
func groupsXor(ga, gb []fleet.Group) *roaring.Bitmap {
	key := func(v fleet.Value) string { return v.Type.String() + "\x00" + v.String() }
	byA := map[string]*roaring.Bitmap{}
	for _, g := range ga {
		byA[key(g.Value)] = g.Hosts
	}
	var parts []*roaring.Bitmap
	for _, g := range gb {
		k := key(g.Value)
		if h, ok := byA[k]; ok {
			parts = append(parts, roaring.Xor(h, g.Hosts))
			delete(byA, k)
		} else {
			parts = append(parts, g.Hosts)
		}
	}
	for _, h := range byA {
		parts = append(parts, h)
	}
	if len(parts) == 0 {
		return roaring.New()
	}
	return roaring.FastOr(parts...)
}

// idValues lists an attribute's present hosts and values in id order.
func idValues(a fleet.Attr) ([]uint32, []fleet.Value) {
	var ids []uint32
	var vals []fleet.Value
	if d, ok := asDict(a); ok {
		d.chunks(func(hs, ks []uint32) {
			for j, k := range ks {
				ids = append(ids, hs[j])
				vals = append(vals, d.str(k))
			}
		})
		return ids, vals
	}
	switch a := a.(type) {
	case *strColumn:
		a.each(func(id uint32, v string) {
			ids = append(ids, id)
			vals = append(vals, fleet.Value{Type: fleet.String, Str: v})
		})
	case *numColumn:
		it := a.present.Iterator()
		for i := 0; it.HasNext(); i++ {
			ids = append(ids, it.Next())
			vals = append(vals, a.at(i))
		}
	default:
		type iv struct {
			id uint32
			v  fleet.Value
		}
		var all []iv
		for _, g := range a.Groups() {
			it := g.Hosts.Iterator()
			for it.HasNext() {
				all = append(all, iv{it.Next(), g.Value})
			}
		}
		sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id })
		for _, e := range all {
			ids, vals = append(ids, e.id), append(vals, e.v)
		}
	}
	return ids, vals
}

// commonChunks calls fn, in id order and up to chunk hosts at a time,
// with the hosts in both a and b and their ranks in each (their index
// among the present hosts): one merge of the two bitmaps, and loops over
// plain slices for the caller.
func commonChunks(a, b *roaring.Bitmap, fn func(ids, ra, rb []uint32)) {
	ia, ib := a.ManyIterator(), b.ManyIterator()
	bufA, bufB := make([]uint32, chunk), make([]uint32, chunk)
	na, nb := ia.NextMany(bufA), ib.NextMany(bufB)
	pa, pb, baseA, baseB := 0, 0, 0, 0 // positions in the buffers, ranks of their first hosts
	ids, ras, rbs := make([]uint32, 0, chunk), make([]uint32, 0, chunk), make([]uint32, 0, chunk)
	for na > 0 && nb > 0 {
		switch x, y := bufA[pa], bufB[pb]; {
		case x < y:
			pa++
		case x > y:
			pb++
		default:
			ids, ras, rbs = append(ids, x), append(ras, uint32(baseA+pa)), append(rbs, uint32(baseB+pb))
			pa++
			pb++
			if len(ids) == chunk {
				fn(ids, ras, rbs)
				ids, ras, rbs = ids[:0], ras[:0], rbs[:0]
			}
		}
		if pa == na {
			baseA, pa, na = baseA+na, 0, ia.NextMany(bufA)
		}
		if pb == nb {
			baseB, pb, nb = baseB+nb, 0, ib.NextMany(bufB)
		}
	}
	if len(ids) > 0 {
		fn(ids, ras, rbs)
	}
}

package store

import (
	"fmt"
	"math"
	"sort"

	"github.com/fleetq/fleetq/internal/fleet"
)

// AttrSummary describes one attribute of a pass: its type, the source it
// comes from, how many hosts have it and its most common values.
type AttrSummary struct {
	Name       string
	Type       fleet.Type
	SourceKind string
	SourceName string
	Hosts      uint64
	Distinct   int
	// Examples are up to the requested number of values, most common
	// first; values with equal counts are in value order.
	Examples []ValueCount
}

// ValueCount is a value and how many hosts have it.
type ValueCount struct {
	Value fleet.Value
	Hosts uint64
}

// Schema summarizes every attribute of the pass, in name order, with up
// to examples example values each. A blob that cannot be read or decoded
// is an error naming the attribute.
func (v *PassView) Schema(examples int) ([]AttrSummary, error) {
	names := v.AttrNames()
	out := make([]AttrSummary, 0, len(names))
	for _, name := range names {
		s, err := v.summarize(name, examples)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (v *PassView) summarize(name string, examples int) (AttrSummary, error) {
	src := v.attrs[name]
	info := v.info.Sources[src.src]
	s := AttrSummary{Name: name, Type: src.ref.Type, SourceKind: info.Kind, SourceName: info.Name}
	data, err := getBlob(v.tx.btx, src.ref.Blob)
	if err != nil {
		return s, fmt.Errorf("attribute %s of pass %d: %w", name, v.info.ID, err)
	}
	a, err := decodeAttr(data)
	if err != nil {
		return s, fmt.Errorf("attribute %s of pass %d: %w", name, v.info.ID, err)
	}
	counts := valueCounts(a)
	s.Distinct = len(counts)
	for _, c := range counts {
		s.Hosts += c.Hosts
	}
	s.Examples = topValues(counts, examples)
	return s, nil
}

// valueCounts counts the hosts of every distinct value without building a
// bitmap per value: value indexes and bools already hold one per value,
// columns and dictionary codes are counted in one scan.
func valueCounts(a fleet.Attr) []ValueCount {
	switch a := a.(type) {
	case *strColumn:
		by := map[string]uint64{}
		a.each(func(_ uint32, s string) { by[s]++ })
		out := make([]ValueCount, 0, len(by))
		for s, n := range by {
			out = append(out, ValueCount{fleet.Value{Type: fleet.String, Str: s}, n})
		}
		return out
	case *numColumn:
		return numCounts(a)
	}
	if d, ok := asDict(a); ok {
		var out []ValueCount
		for k, n := range d.countCodes() {
			if n > 0 {
				out = append(out, ValueCount{d.str(uint32(k)), n})
			}
		}
		return out
	}
	var out []ValueCount
	for _, g := range a.Groups() {
		if n := g.Hosts.GetCardinality(); n > 0 {
			out = append(out, ValueCount{g.Value, n})
		}
	}
	return out
}

func numCounts(a *numColumn) []ValueCount {
	by := map[uint64]uint64{}
	vals := map[uint64]fleet.Value{}
	n := int(a.present.GetCardinality())
	for i := 0; i < n; i++ {
		v := a.at(i)
		k := math.Float64bits(v.Num)
		switch {
		case v.Num == 0:
			k, v.Num = 0, 0 // -0 and 0 are one value
		case math.IsNaN(v.Num):
			k = math.Float64bits(math.NaN())
		}
		if _, ok := vals[k]; !ok {
			vals[k] = v
		}
		by[k]++
	}
	out := make([]ValueCount, 0, len(by))
	for k, c := range by {
		out = append(out, ValueCount{vals[k], c})
	}
	return out
}

// topValues sorts counts, most common first and then by value, and keeps n.
func topValues(counts []ValueCount, n int) []ValueCount {
	sort.Slice(counts, func(i, j int) bool {
		if counts[i].Hosts != counts[j].Hosts {
			return counts[i].Hosts > counts[j].Hosts
		}
		return fleet.CompareValues(counts[i].Value, counts[j].Value) < 0
	})
	if len(counts) > n {
		counts = counts[:n]
	}
	return append([]ValueCount{}, counts...)
}

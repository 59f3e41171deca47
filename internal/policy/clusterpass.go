package policy

import (
	"sort"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
)

// Cluster is one cluster of a pass: the hosts whose cluster attribute has
// this value.
type Cluster struct {
	Name  string
	Hosts *roaring.Bitmap
}

// Size is the number of hosts of the cluster in the pass.
func (c Cluster) Size() int { return int(c.Hosts.GetCardinality()) }

// Clusters groups a pass's hosts by the cluster attribute, in name order.
// A pass without the attribute has no clusters.
func Clusters(pass fleet.Pass, attr string) ([]Cluster, error) {
	a, ok, err := pass.Attr(attr)
	if err != nil || !ok {
		return nil, err
	}
	var out []Cluster
	for _, g := range a.Groups() {
		out = append(out, Cluster{Name: g.Value.String(), Hosts: g.Hosts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// clusterPass is a fleet.Pass whose "hosts" are clusters, so archetype
// conditions are written in the query language: each cluster has the
// attributes cluster (its name), size (its host count), and every host
// attribute whose value is the same on every host of the cluster.
type clusterPass struct {
	hosts    fleet.Pass
	clusters []Cluster
	attrs    map[string]fleet.Attr
	ids      map[string]uint32
}

func newClusterPass(hosts fleet.Pass, clusters []Cluster) *clusterPass {
	cp := &clusterPass{hosts: hosts, clusters: clusters, attrs: map[string]fleet.Attr{}, ids: map[string]uint32{}}
	name, size := newMemAttr(fleet.String), newMemAttr(fleet.Number)
	for i, c := range clusters {
		cp.ids[c.Name] = uint32(i)
		name.vals[uint32(i)] = fleet.Value{Type: fleet.String, Str: c.Name}
		size.vals[uint32(i)] = fleet.Value{Type: fleet.Number, Num: float64(c.Size())}
	}
	cp.attrs["cluster"], cp.attrs["size"] = name, size
	return cp
}

func (cp *clusterPass) ID() int64          { return cp.hosts.ID() }
func (cp *clusterPass) Created() time.Time { return cp.hosts.Created() }
func (cp *clusterPass) Origin(string) string {
	return "clusters of pass"
}

func (cp *clusterPass) All() *roaring.Bitmap {
	bm := roaring.New()
	bm.AddRange(0, uint64(len(cp.clusters)))
	return bm
}

// Set is all, or the clusters where a bool attribute is true on every host.
func (cp *clusterPass) Set(name string) (*roaring.Bitmap, bool, error) {
	if name == "all" {
		return cp.All(), true, nil
	}
	a, ok, err := cp.Attr(name)
	if err != nil || !ok || a.Type() != fleet.Bool {
		return nil, false, err
	}
	return a.Filter(func(v fleet.Value) bool { return v.Bool }), true, nil
}

// Attr computes a cluster attribute on first use: only the attributes a
// condition names are ever computed.
func (cp *clusterPass) Attr(name string) (fleet.Attr, bool, error) {
	if a, ok := cp.attrs[name]; ok {
		return a, true, nil
	}
	ha, ok, err := cp.hosts.Attr(name)
	if err != nil || !ok {
		return nil, false, err
	}
	a := newMemAttr(ha.Type())
	for i, c := range cp.clusters {
		if v, ok := uniform(ha, c.Hosts); ok {
			a.vals[uint32(i)] = v
		}
	}
	cp.attrs[name] = a
	return a, true, nil
}

// uniform returns the value every host of hosts has, if they all have one.
func uniform(a fleet.Attr, hosts *roaring.Bitmap) (fleet.Value, bool) {
	var first fleet.Value
	it := hosts.Iterator()
	for n := 0; it.HasNext(); n++ {
		v, ok := a.Value(it.Next())
		if !ok || (n > 0 && fleet.CompareValues(v, first) != 0) {
			return fleet.Value{}, false
		}
		if n == 0 {
			first = v
		}
	}
	return first, !hosts.IsEmpty()
}

func (cp *clusterPass) SetNames() []string { return []string{"all"} }

func (cp *clusterPass) AttrNames() []string {
	names := append([]string{"cluster", "size"}, cp.hosts.AttrNames()...)
	sort.Strings(names)
	return names
}

// Snapshot, Hosts and Resolve make the cluster pass evaluable on its own.
func (cp *clusterPass) Hosts() fleet.Hosts  { return cp }
func (cp *clusterPass) Current() fleet.Pass { return cp }
func (cp *clusterPass) Resolve(ref fleet.PassRef) (fleet.Pass, error) {
	if ref.IsCurrent() {
		return cp, nil
	}
	return nil, errTimeTravel
}

func (cp *clusterPass) Name(id uint32) string { return cp.clusters[id].Name }

func (cp *clusterPass) Lookup(names []string) (*roaring.Bitmap, []string) {
	out := roaring.New()
	var missing []string
	for _, n := range names {
		if id, ok := cp.ids[n]; ok {
			out.Add(id)
		} else {
			missing = append(missing, n)
		}
	}
	return out, missing
}

// memAttr is a small in-memory attribute over cluster ids.
type memAttr struct {
	typ  fleet.Type
	vals map[uint32]fleet.Value
}

func newMemAttr(t fleet.Type) *memAttr { return &memAttr{typ: t, vals: map[uint32]fleet.Value{}} }

func (a *memAttr) Type() fleet.Type                                  { return a.typ }
func (a *memAttr) Sampled() bool                                     { return false }
func (a *memAttr) FilterSampleTime(func(int64) bool) *roaring.Bitmap { return roaring.New() }

func (a *memAttr) Present() *roaring.Bitmap {
	return a.Filter(func(fleet.Value) bool { return true })
}

func (a *memAttr) Filter(keep func(fleet.Value) bool) *roaring.Bitmap {
	out := roaring.New()
	for id, v := range a.vals {
		if keep(v) {
			out.Add(id)
		}
	}
	return out
}

func (a *memAttr) Value(id uint32) (fleet.Value, bool) {
	v, ok := a.vals[id]
	return v, ok
}

func (a *memAttr) Groups() []fleet.Group {
	ids := make([]uint32, 0, len(a.vals))
	for id := range a.vals {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		if c := fleet.CompareValues(a.vals[ids[i]], a.vals[ids[j]]); c != 0 {
			return c < 0
		}
		return ids[i] < ids[j]
	})
	var gs []fleet.Group
	for _, id := range ids {
		v := a.vals[id]
		if n := len(gs); n > 0 && fleet.CompareValues(gs[n-1].Value, v) == 0 {
			gs[n-1].Hosts.Add(id)
			continue
		}
		gs = append(gs, fleet.Group{Value: v, Hosts: roaring.BitmapOf(id)})
	}
	return gs
}

package store_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

// TestMapHostsSeesInventory: MapHosts is given the inventory of the pass
// being built (fresh, or carried from the parent) and only for sources
// that are not inventories; what it leaves unmapped is recorded.
func TestMapHostsSeesInventory(t *testing.T) {
	db := storetest.Open(t)
	inv := newSource("inventory", "inventory", "web1.x", "db1.x")
	inv.Attrs = []*store.Column{{Name: "ip", Type: fleet.String, Str: []string{"10.0.0.1", "10.0.0.2"}}}
	var seen []seenInventory
	var kinds []string
	mapper := func(i *store.Inventory, src *store.SourceData) []string {
		seen, kinds = append(seen, observe(i, "10.0.0.1", "10.0.0.2")), append(kinds, src.Kind)
		var unmapped []string
		for j, h := range src.Hosts {
			if k, ok := i.IP(h); ok {
				src.Hosts[j] = k
			} else {
				unmapped = append(unmapped, h)
			}
		}
		return unmapped
	}
	hdfs := newSource("hdfs", "hdfs", "10.0.0.2", "u1", "u2", "u3", "u4", "u5", "u6")
	p1 := create(t, db, store.NewPass{Sources: []*store.SourceData{inv, hdfs}, MapHosts: mapper})
	want := seenInventory{Hosts: map[string]bool{"web1.x": true, "db1.x": true},
		ByIP: map[string]string{"10.0.0.1": "web1.x", "10.0.0.2": "db1.x"}}
	assert.Equal(t, []seenInventory{want}, seen)
	assert.Equal(t, []string{"hdfs"}, kinds)
	require.Len(t, p1.Sources, 2)
	assert.Equal(t, 6, p1.Sources[1].NUnmap)
	assert.Equal(t, []string{"u1", "u2", "u3", "u4", "u5"}, p1.Sources[1].Unmapped, "a few examples, not all")
	assert.Zero(t, p1.Sources[0].NUnmap)

	seen, kinds = nil, nil
	create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("prom", "metrics", "10.0.0.1")}, MapHosts: mapper})
	assert.Equal(t, []seenInventory{want}, seen, "the carried inventory, read back from the store")
	pass(t, db, 2, func(tx *store.Tx, v *store.PassView) {
		assert.Equal(t, []string{"web1.x"}, setNames(t, tx, v, "metrics"))
		assert.Equal(t, []string{"db1.x", "u1", "u2", "u3", "u4", "u5", "u6", "web1.x"}, tx.Hosts().Names(v.All()))
	})
}

func TestNumberGroups(t *testing.T) {
	db := storetest.Open(t)
	src := newSource("inventory", "inventory", "a", "b", "c", "d")
	src.Attrs = []*store.Column{
		{Name: "cores", Type: fleet.Number, Num: []float64{8, 16, 8, 0}, Has: []bool{true, true, true, false}},
		{Name: "up", Type: fleet.Bool, Bool: []bool{true, false, true, false}},
	}
	create(t, db, store.NewPass{Sources: []*store.SourceData{src}})
	pass(t, db, 0, func(tx *store.Tx, v *store.PassView) {
		cores, _, err := v.Attr("cores")
		require.NoError(t, err)
		var got []string
		for _, g := range cores.Groups() {
			got = append(got, fmt.Sprintf("%v=%v", g.Value.Num, tx.Hosts().Names(g.Hosts)))
		}
		assert.Equal(t, []string{"8=[a c]", "16=[b]"}, got)
		assert.Equal(t, fleet.Number, cores.Type())
		up, _, err := v.Attr("up")
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "c"}, tx.Hosts().Names(up.Filter(func(x fleet.Value) bool { return x.Bool })))
		assert.Equal(t, []string{"a", "b", "c", "d"}, tx.Hosts().Names(up.Present()))
	})
}

// seenInventory is what a mapper can learn from an Inventory: its keys and
// what some IPs resolve to (the IP index is built lazily).
type seenInventory struct {
	Hosts map[string]bool
	ByIP  map[string]string
}

func observe(inv *store.Inventory, ips ...string) seenInventory {
	s := seenInventory{Hosts: map[string]bool{}, ByIP: map[string]string{}}
	for h := range inv.Hosts {
		s.Hosts[h] = true
	}
	for _, ip := range ips {
		if k, ok := inv.IP(ip); ok {
			s.ByIP[ip] = k
		}
	}
	return s
}

package store_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func newSource(kind, name string, hosts ...string) *store.SourceData {
	return &store.SourceData{
		Kind: kind, Name: name, Path: name + ".src", Hash: "sha-" + name,
		ReadAt: t0, Records: len(hosts), Hosts: hosts,
	}
}

func create(t *testing.T, db *store.DB, np store.NewPass) *store.PassInfo {
	t.Helper()
	if np.Created.IsZero() {
		np.Created = t0
	}
	p, err := db.CreatePass(np)
	require.NoError(t, err)
	return p
}

func pass(t *testing.T, db *store.DB, id int64, fn func(tx *store.Tx, p *store.PassView)) {
	t.Helper()
	require.NoError(t, db.View(func(tx *store.Tx) error {
		p, err := tx.Pass(id)
		require.NoError(t, err)
		fn(tx, p)
		return nil
	}))
}

// values reads attribute name of every host, keyed by host name; absent
// hosts are left out.
func values(t *testing.T, tx *store.Tx, p *store.PassView, name string) map[string]fleet.Value {
	t.Helper()
	a, ok, err := p.Attr(name)
	require.NoError(t, err)
	require.True(t, ok, "attribute %s", name)
	out := map[string]fleet.Value{}
	for _, h := range tx.Hosts().Names(p.All()) {
		ids, _ := tx.Hosts().Lookup([]string{h})
		if v, ok := a.Value(ids.Minimum()); ok {
			out[h] = v
		}
	}
	return out
}

func setNames(t *testing.T, tx *store.Tx, p *store.PassView, name string) []string {
	t.Helper()
	bm, ok, err := p.Set(name)
	require.NoError(t, err)
	require.True(t, ok, "set %s", name)
	return tx.Hosts().Names(bm)
}

func str(s string) fleet.Value   { return fleet.Value{Type: fleet.String, Str: s} }
func num(f float64) fleet.Value  { return fleet.Value{Type: fleet.Number, Num: f} }
func boolean(b bool) fleet.Value { return fleet.Value{Type: fleet.Bool, Bool: b} }
func tm(unix int64) fleet.Value  { return fleet.Value{Type: fleet.Time, Num: float64(unix)} }
func has(n int, absent ...int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = !slices.Contains(absent, i)
	}
	return out
}

func TestCreatePassRoundTrip(t *testing.T) {
	db := storetest.Open(t)
	// Hosts not in byte order, so source order and id order differ.
	inv := newSource("inventory", "inventory", "web3", "db1", "web1", "cache9")
	inv.Attrs = []*store.Column{
		{Name: "hadoop_exclude", Type: fleet.Bool, Bool: []bool{true, false, false, true}, Has: has(4, 2)},
		{Name: "role", Type: fleet.String, Str: []string{"web", "db", "web", ""}, Has: has(4, 3)},
		{Name: "cores", Type: fleet.Number, Num: []float64{16, 64, 8.5, -1}},
		{Name: "born", Type: fleet.Time, Time: []int64{1700000000, 0, -5, 1}, Has: has(4, 1)},
	}
	inv.Sets = map[string][]uint32{"canary": {0, 2}, "empty": {}}
	prom := newSource("prom", "metrics", "web1", "db1", "lost1")
	prom.Attrs = []*store.Column{
		{Name: "up", Type: fleet.Number, Num: []float64{1, 0, math.Inf(1)}, TS: []int64{1714564800000, 1714564700000, 5}},
	}
	p := create(t, db, store.NewPass{Label: "first", Sources: []*store.SourceData{prom, inv}, Command: "fleetq ingest x"})
	assert.Equal(t, int64(1), p.ID)
	assert.Equal(t, int64(0), p.Parent)
	assert.Equal(t, 5, p.Hosts)
	assert.Equal(t, []string{"inventory", "prom"}, []string{p.Sources[0].Kind, p.Sources[1].Kind}, "inventory sorts first")

	pass(t, db, 0, func(tx *store.Tx, v *store.PassView) {
		assert.Equal(t, int64(1), v.ID())
		assert.Equal(t, "first", v.Info().Label)
		assert.Equal(t, "fleetq ingest x", v.Info().Log.Command)
		assert.Equal(t, []string{"cache9", "db1", "lost1", "web1", "web3"}, tx.Hosts().Names(v.All()))
		assert.Equal(t, []string{"cache9", "db1", "web1", "web3"}, setNames(t, tx, v, "inventory"))
		assert.Equal(t, []string{"db1", "lost1", "web1"}, setNames(t, tx, v, "metrics"))
		assert.Equal(t, []string{"web1", "web3"}, setNames(t, tx, v, "canary"))
		assert.Empty(t, setNames(t, tx, v, "empty"))
		assert.Equal(t, []string{"cache9", "web3"}, setNames(t, tx, v, "hadoop_exclude"), "a bool attribute is a set of its true hosts")
		assert.Equal(t, []string{"all", "canary", "empty", "hadoop_exclude", "inventory", "metrics"}, v.SetNames())
		assert.Equal(t, []string{"born", "cores", "hadoop_exclude", "role", "up"}, v.AttrNames())

		assert.Equal(t, map[string]fleet.Value{"web3": boolean(true), "db1": boolean(false), "cache9": boolean(true)},
			values(t, tx, v, "hadoop_exclude"))
		assert.Equal(t, map[string]fleet.Value{"web3": str("web"), "db1": str("db"), "web1": str("web")}, values(t, tx, v, "role"))
		assert.Equal(t, map[string]fleet.Value{"web3": num(16), "db1": num(64), "web1": num(8.5), "cache9": num(-1)},
			values(t, tx, v, "cores"))
		assert.Equal(t, map[string]fleet.Value{"web3": tm(1700000000), "web1": tm(-5), "cache9": tm(1)}, values(t, tx, v, "born"))
		assert.Equal(t, map[string]fleet.Value{"web1": num(1), "db1": num(0), "lost1": num(math.Inf(1))}, values(t, tx, v, "up"))

		for name, want := range map[string]fleet.Type{"hadoop_exclude": fleet.Bool, "role": fleet.String,
			"cores": fleet.Number, "born": fleet.Time, "up": fleet.Number} {
			got, ok := v.AttrType(name)
			assert.True(t, ok)
			assert.Equal(t, want, got, name)
		}
		role, _, err := v.Attr("role")
		require.NoError(t, err)
		assert.Equal(t, "index", store.AttrEncoding(role))
		assert.Equal(t, []string{"db", "web"}, groupStrings(role.Groups()))
		cores, _, err := v.Attr("cores")
		require.NoError(t, err)
		assert.False(t, cores.Sampled())
		assert.True(t, cores.FilterSampleTime(func(int64) bool { return true }).IsEmpty())
		up, _, err := v.Attr("up")
		require.NoError(t, err)
		assert.True(t, up.Sampled())
		recent := up.FilterSampleTime(func(ms int64) bool { return ms >= 1714564800000 })
		assert.Equal(t, []string{"web1"}, tx.Hosts().Names(recent))
		assert.Equal(t, []string{"db1", "web1"}, tx.Hosts().Names(up.Filter(func(x fleet.Value) bool { return x.Num < 2 })))
		assert.Contains(t, v.Origin("up"), "source prom:metrics.src read 2024-05-01T12:00:00Z by pass 1")
		assert.NotContains(t, v.Origin("up"), "carried")
		assert.Equal(t, "every host of pass 1", v.Origin("all"))
		_, ok, err := v.Set("nosuch")
		require.NoError(t, err)
		assert.False(t, ok)
		_, ok, err = v.Attr("nosuch")
		require.NoError(t, err)
		assert.False(t, ok)
	})
}

func groupStrings(gs []fleet.Group) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Value.Str)
	}
	return out
}

// TestStringEncodings pins the switch from a value index to a column at
// 4096 distinct values, and that both read back the same.
func TestStringEncodings(t *testing.T) {
	for _, tc := range []struct {
		distinct int
		want     string
	}{{1, "index"}, {4096, "index"}, {4097, "column"}} {
		t.Run(fmt.Sprint(tc.distinct), func(t *testing.T) {
			db := storetest.Open(t)
			n := 5000
			src := newSource("inventory", "inventory")
			col := store.NewColumn("serial", fleet.String, n)
			present := 0
			for i := range n {
				src.Hosts = append(src.Hosts, fmt.Sprintf("h%05d", n-i)) // reverse of id order
				if i%7 != 3 {
					col.Str[i], col.Has[i] = fmt.Sprintf("s%04d", present%tc.distinct), true
					present++
				}
			}
			src.Attrs = []*store.Column{col}
			create(t, db, store.NewPass{Sources: []*store.SourceData{src}})
			pass(t, db, 0, func(tx *store.Tx, v *store.PassView) {
				a, _, err := v.Attr("serial")
				require.NoError(t, err)
				assert.Equal(t, tc.want, store.AttrEncoding(a))
				got := values(t, tx, v, "serial")
				for i, h := range src.Hosts {
					if col.Has[i] {
						assert.Equal(t, str(col.Str[i]), got[h], h)
					} else {
						assert.NotContains(t, got, h)
					}
				}
				assert.Len(t, got, int(a.Present().GetCardinality()))
				distinct := map[string]bool{}
				for _, v := range got {
					distinct[v.Str] = true
				}
				gs := a.Groups()
				assert.Len(t, gs, len(distinct))
				assert.True(t, slices.IsSortedFunc(gs, func(a, b fleet.Group) int { return cmpStr(a.Value.Str, b.Value.Str) }))
				hit := a.Filter(func(x fleet.Value) bool { return x.Str == "s0000" })
				assert.Equal(t, gs[0].Hosts.ToArray(), hit.ToArray())
			})
		})
	}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestNumberWithoutValues(t *testing.T) {
	db := storetest.Open(t)
	src := newSource("prom", "metrics", "a", "b")
	src.Attrs = []*store.Column{
		{Name: "up", Type: fleet.Number, Num: []float64{0, 0}, TS: []int64{0, 0}, Has: []bool{false, false}},
		{Name: "flag", Type: fleet.Bool, Bool: []bool{false, false}, Has: []bool{false, false}},
	}
	create(t, db, store.NewPass{Sources: []*store.SourceData{src}})
	pass(t, db, 0, func(tx *store.Tx, v *store.PassView) {
		assert.Empty(t, values(t, tx, v, "up"))
		assert.Empty(t, values(t, tx, v, "flag"))
		flag, ok, err := v.Set("flag")
		require.NoError(t, err)
		assert.True(t, ok)
		assert.True(t, flag.IsEmpty())
	})
}

func TestCarriedSources(t *testing.T) {
	db := storetest.Open(t)
	inv := newSource("inventory", "inventory", "a", "b", "c")
	hdfs := newSource("hdfs", "hdfs", "a", "x")
	hdfs.Attrs = []*store.Column{{Name: "hdfs.state", Type: fleet.String, Str: []string{"live", "dead"}}}
	dead := newSource("hosts", "dead", "c")
	p1 := create(t, db, store.NewPass{Sources: []*store.SourceData{inv, hdfs, dead}})

	inv2 := newSource("inventory", "inventory", "a", "b", "d")
	inv2.ReadAt = t0.Add(3 * time.Hour)
	p2 := create(t, db, store.NewPass{Created: t0.Add(3 * time.Hour), Sources: []*store.SourceData{inv2}})
	assert.Equal(t, int64(2), p2.ID)
	assert.Equal(t, int64(1), p2.Parent)
	require.Len(t, p2.Sources, 3)
	byKind := map[string]store.SourceInfo{}
	for _, s := range p2.Sources {
		byKind[s.Kind] = s
	}
	assert.Equal(t, int64(2), byKind["inventory"].ReadBy)
	assert.False(t, byKind["inventory"].Carried(2))
	for _, old := range p1.Sources[1:] {
		s := byKind[old.Kind]
		assert.True(t, s.Carried(2), old.Kind)
		assert.Equal(t, old, s, "a carried snapshot is the parent's record, unchanged (ReadBy stays %d)", p1.ID)
	}
	pass(t, db, 2, func(tx *store.Tx, v *store.PassView) {
		assert.Equal(t, []string{"a", "b", "c", "d", "x"}, tx.Hosts().Names(v.All()))
		assert.Equal(t, []string{"c"}, setNames(t, tx, v, "dead"))
		assert.Equal(t, []string{"a", "x"}, setNames(t, tx, v, "hdfs"))
		assert.Equal(t, map[string]fleet.Value{"a": str("live"), "x": str("dead")}, values(t, tx, v, "hdfs.state"))
		assert.Contains(t, v.Origin("hdfs"), "by pass 1 (carried, 3h00m old)")
	})

	// A carried snapshot is carried again, still read by pass 1.
	inv3 := newSource("inventory", "inventory", "a")
	p3 := create(t, db, store.NewPass{Sources: []*store.SourceData{inv3}})
	for _, s := range p3.Sources {
		if s.Kind != "inventory" {
			assert.Equal(t, int64(1), s.ReadBy, s.Kind)
		}
	}

	// Fresh carries nothing.
	p4 := create(t, db, store.NewPass{Fresh: true, Sources: []*store.SourceData{newSource("inventory", "inventory", "z")}})
	require.Len(t, p4.Sources, 1)
	assert.Equal(t, int64(3), p4.Parent)
	pass(t, db, 4, func(tx *store.Tx, v *store.PassView) {
		assert.Equal(t, []string{"z"}, tx.Hosts().Names(v.All()))
		_, ok, err := v.Set("hdfs")
		require.NoError(t, err)
		assert.False(t, ok)
	})
	// The earlier passes are untouched.
	pass(t, db, 1, func(tx *store.Tx, v *store.PassView) {
		assert.Equal(t, []string{"a", "b", "c", "x"}, tx.Hosts().Names(v.All()))
		assert.Equal(t, []string{"a", "b", "c"}, setNames(t, tx, v, "inventory"))
	})
}

// TestCarryHostListsByName: re-reading one host list must not drop another
// host list the parent held (they are different sources of one kind).
func TestCarryHostListsByName(t *testing.T) {
	db := storetest.Open(t)
	create(t, db, store.NewPass{Sources: []*store.SourceData{
		newSource("inventory", "inventory", "a", "b"),
		newSource("hosts", "dead", "a"),
		newSource("hosts", "excluded", "b"),
	}})
	p2 := create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("hosts", "dead", "b")}})
	var names []string
	for _, s := range p2.Sources {
		names = append(names, fmt.Sprintf("%s:%s@%d", s.Kind, s.Name, s.ReadBy))
	}
	assert.Equal(t, []string{"inventory:inventory@1", "hosts:dead@2", "hosts:excluded@1"}, names)
}

func TestResolve(t *testing.T) {
	db := storetest.Open(t)
	require.NoError(t, db.View(func(tx *store.Tx) error {
		_, err := tx.Pass(0)
		assert.ErrorIs(t, err, store.ErrNoPasses)
		_, err = tx.Snapshot(0)
		assert.ErrorIs(t, err, store.ErrNoPasses)
		return nil
	}))
	for i := range 3 {
		create(t, db, store.NewPass{Created: t0.Add(time.Duration(i) * time.Hour),
			Sources: []*store.SourceData{newSource("inventory", "inventory", fmt.Sprintf("h%d", i))}})
	}
	require.NoError(t, db.View(func(tx *store.Tx) error {
		assert.Equal(t, int64(3), tx.LatestID())
		for _, tc := range []struct {
			cur  int64
			ref  fleet.PassRef
			want int64
		}{
			{3, fleet.PassRef{}, 3},
			{2, fleet.PassRef{}, 2},
			{3, fleet.PassRef{Rel: -1}, 2},
			{3, fleet.PassRef{Rel: -2}, 1},
			{2, fleet.PassRef{Rel: -1}, 1},
			{3, fleet.PassRef{ID: 1}, 1},
			{1, fleet.PassRef{ID: 3}, 3},
			{3, fleet.PassRef{At: t0.Add(90 * time.Minute)}, 2},
			{3, fleet.PassRef{At: t0.Add(time.Hour)}, 2},
			{3, fleet.PassRef{At: t0.Add(24 * time.Hour)}, 3},
			{3, fleet.PassRef{At: t0}, 1},
		} {
			v, err := tx.Resolve(tc.cur, tc.ref)
			if assert.NoError(t, err, "%+v from %d", tc.ref, tc.cur) {
				assert.Equal(t, tc.want, v.ID(), "%+v from %d", tc.ref, tc.cur)
			}
		}
		for _, tc := range []struct {
			cur int64
			ref fleet.PassRef
			msg string
		}{
			{3, fleet.PassRef{Rel: -3}, "@-3 from pass 3: no such pass"},
			{1, fleet.PassRef{Rel: -1}, "@-1 from pass 1: no such pass"},
			{3, fleet.PassRef{ID: 9}, "pass 9: no such pass"},
			{3, fleet.PassRef{At: t0.Add(-time.Second)}, "no pass at or before 2024-05-01T11:59:59Z: no such pass"},
			{7, fleet.PassRef{Rel: -1}, "pass 7: no such pass"},
		} {
			_, err := tx.Resolve(tc.cur, tc.ref)
			assert.ErrorIs(t, err, store.ErrNoPass)
			assert.EqualError(t, err, tc.msg)
		}
		snap, err := tx.Snapshot(2)
		require.NoError(t, err)
		assert.Equal(t, int64(2), snap.Current().ID())
		prev, err := snap.Resolve(fleet.PassRef{Rel: -1})
		require.NoError(t, err)
		assert.Equal(t, int64(1), prev.ID())
		assert.Equal(t, t0, prev.Created())
		return nil
	}))
}

func TestHostDictionaryAcrossPasses(t *testing.T) {
	db := storetest.Open(t)
	create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("inventory", "inventory", "d", "b")}})
	create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("inventory", "inventory", "e", "a", "d", "c")}})
	require.NoError(t, db.View(func(tx *store.Tx) error {
		h := tx.Hosts()
		assert.Equal(t, uint32(5), h.Len())
		// First pass: ids in byte order; second pass: new names appended,
		// again in byte order.
		for id, want := range []string{"b", "d", "a", "c", "e"} {
			assert.Equal(t, want, h.Name(uint32(id)))
		}
		assert.Equal(t, "", h.Name(99))
		v, err := tx.Pass(2)
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "c", "d", "e"}, h.Names(v.All()), "names come back in byte order, not id order")
		ids, missing := h.Lookup([]string{"e", "nope", "b"})
		assert.Equal(t, []uint32{0, 4}, ids.ToArray())
		assert.Equal(t, []string{"nope"}, missing)
		return nil
	}))
}

// TestHostDictionaryChunks crosses the 1024-name chunk boundary in a
// second pass and reads every name back after reopening.
func TestHostDictionaryChunks(t *testing.T) {
	db := storetest.Open(t)
	var first, second []string
	for i := range 1000 {
		first = append(first, fmt.Sprintf("n%04d.example.com", i))
	}
	for i := 1000; i < 2100; i++ {
		second = append(second, fmt.Sprintf("n%04d.example.com", i))
	}
	create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("inventory", "inventory", first...)}})
	create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("inventory", "inventory", second...)}})
	create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("inventory", "inventory", "zz", "n0001.example.com")}})
	path := db.Path()
	require.NoError(t, db.Close())
	ro, err := store.Open(path, store.Options{ReadOnly: true})
	require.NoError(t, err)
	defer ro.Close()
	require.NoError(t, ro.View(func(tx *store.Tx) error {
		h := tx.Hosts()
		all := append(append(slices.Clone(first), second...), "zz")
		assert.Equal(t, uint32(len(all)), h.Len())
		for id, want := range all {
			if h.Name(uint32(id)) != want {
				t.Fatalf("id %d: got %q, want %q", id, h.Name(uint32(id)), want)
			}
		}
		v, err := tx.Pass(2)
		require.NoError(t, err)
		assert.Equal(t, second, h.Names(v.All()))
		v3, err := tx.Pass(3)
		require.NoError(t, err)
		assert.Equal(t, []uint32{1, 2100}, v3.All().ToArray())
		return nil
	}))
}

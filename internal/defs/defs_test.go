package defs_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/defs"
	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// inventory is a source of hosts a..d with a lifecycle column.
func inventory(life ...string) *store.SourceData {
	hosts := []string{"a", "b", "c", "d"}[:len(life)]
	col := store.NewColumn("lifecycle", fleet.String, len(life))
	for i, l := range life {
		col.Str[i], col.Has[i] = l, true
	}
	return &store.SourceData{Kind: "inventory", Name: "inventory", Path: "inv.csv", Hash: "sha", ReadAt: t0,
		Records: len(hosts), Hosts: hosts, Attrs: []*store.Column{col}}
}

const fleetDefs = `# fleet.defs
dead = lifecycle = "dead"
alive = all - dead
`

func mustParse(t *testing.T, from, text string) *defs.File {
	t.Helper()
	f, err := defs.Parse(from, text)
	require.NoError(t, err)
	return f
}

func seal(t *testing.T, db *store.DB, f *defs.File, none bool, life ...string) *store.PassInfo {
	t.Helper()
	p, err := db.CreatePass(store.NewPass{Created: t0, Sources: []*store.SourceData{inventory(life...)},
		Command: "fleetq ingest inv.csv", Seal: defs.Sealer(f, none)})
	require.NoError(t, err)
	return p
}

func view(t *testing.T, db *store.DB, fn func(tx *store.Tx, p *store.PassView)) {
	t.Helper()
	require.NoError(t, db.View(func(tx *store.Tx) error {
		p, err := tx.Pass(0)
		require.NoError(t, err)
		fn(tx, p)
		return nil
	}))
}

func TestParse(t *testing.T) {
	f := mustParse(t, "fleet.defs", fleetDefs)
	assert.Equal(t, "fleet.defs", f.From)
	assert.Equal(t, fleetDefs, f.Text)
	assert.False(t, f.Kept)
	require.Len(t, f.Defs, 2)
	assert.Equal(t, "dead", f.Defs[0].Name)
	assert.Equal(t, 3, f.Defs[1].Line)

	_, err := defs.Parse("bad.defs", "dead = lifecycle = \"dead\"\nnot a definition\n")
	var de *query.DefError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 2, de.Line)
}

// Sealing a pass stores each definition as a set of it and keeps the
// transcript: the command, the definitions as printed, every count.
func TestSealerStoresSetsAndTranscript(t *testing.T) {
	db := storetest.Open(t)
	p := seal(t, db, mustParse(t, "fleet.defs", fleetDefs), false, "dead", "active", "active")
	require.NotNil(t, p.Log)
	assert.Equal(t, "fleetq ingest inv.csv", p.Log.Command)
	assert.Equal(t, []string{`dead = lifecycle = "dead"`, "alive = all - dead"}, p.Log.Definitions)
	assert.Equal(t, map[string]int{"all": 3, "inventory": 3, "dead": 1, "alive": 2}, p.Log.Counts)
	view(t, db, func(tx *store.Tx, v *store.PassView) {
		assert.Equal(t, []string{"alive", "dead"}, v.StoredSetNames())
		bm, ok, err := v.Set("alive")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, []string{"b", "c"}, tx.Hosts().Names(bm))
	})
}

// With no file given the sealer uses the definitions kept in the
// database; told none, it uses none.
func TestSealerUsesKeptDefinitions(t *testing.T) {
	db := storetest.Open(t)
	require.NoError(t, db.Update(func(tx *store.Tx) error { return tx.SetDefinitions(fleetDefs, "kept.defs") }))
	p := seal(t, db, nil, false, "dead", "active")
	assert.Equal(t, 1, p.Log.Counts["dead"])
	p = seal(t, db, nil, true, "dead", "dead")
	assert.Empty(t, p.Log.Definitions)
	view(t, db, func(tx *store.Tx, v *store.PassView) {
		assert.Empty(t, v.StoredSetNames())
		f, err := defs.Kept(tx)
		require.NoError(t, err)
		assert.Equal(t, "kept.defs", f.From)
		assert.True(t, f.Kept)
	})
}

// A definition that fails aborts the pass: no pass is written.
func TestSealerFailureAbortsThePass(t *testing.T) {
	db := storetest.Open(t)
	_, err := db.CreatePass(store.NewPass{Created: t0, Sources: []*store.SourceData{inventory("dead")},
		Seal: defs.Sealer(mustParse(t, "x.defs", "lifecycle = all\n"), false)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "x.defs:1: lifecycle is an attribute of pass 1")
	require.NoError(t, db.View(func(tx *store.Tx) error {
		_, err := tx.Pass(0)
		assert.ErrorIs(t, err, store.ErrNoPasses)
		return nil
	}))
}

// Compare sets a re-evaluation beside what the pass stored; a name the
// pass does not store is nil, not zero.
func TestCompare(t *testing.T) {
	db := storetest.Open(t)
	seal(t, db, mustParse(t, "fleet.defs", fleetDefs), false, "dead", "active", "active")
	changed := mustParse(t, "new.defs", "dead = lifecycle = \"active\"\nfresh = all\n")
	view(t, db, func(tx *store.Tx, p *store.PassView) {
		sets, err := defs.Eval(tx, p.ID(), changed)
		require.NoError(t, err)
		got, err := defs.Compare(p, changed, sets, nil)
		require.NoError(t, err)
		one := uint64(1)
		assert.Equal(t, []defs.Comparison{
			{Name: "dead", Now: 2, Stored: &one, Same: false},
			{Name: "fresh", Now: 3},
		}, got)
		got, err = defs.Compare(p, changed, sets, []string{"fresh"})
		require.NoError(t, err)
		assert.Len(t, got, 1)

		same := mustParse(t, "fleet.defs", fleetDefs)
		sets, err = defs.Eval(tx, p.ID(), same)
		require.NoError(t, err)
		got, err = defs.Compare(p, same, sets, []string{"alive"})
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.True(t, got[0].Same)
	})
}

// Check resolves --defs, else the kept file, else the pass's transcript,
// and reports every failing definition, not only the first.
func TestToCheckAndCheck(t *testing.T) {
	db := storetest.Open(t)
	view0 := func(fn func(tx *store.Tx, p *store.PassView)) { view(t, db, fn) }
	seal(t, db, mustParse(t, "fleet.defs", fleetDefs), false, "dead", "active")
	view0(func(tx *store.Tx, p *store.PassView) {
		f, err := defs.ToCheck(tx, p, nil)
		require.NoError(t, err)
		assert.Equal(t, "pass 1", f.From, "the pass's own definitions")
		assert.False(t, f.Kept)
		given := mustParse(t, "given.defs", "x = all\n")
		f, err = defs.ToCheck(tx, p, given)
		require.NoError(t, err)
		assert.Same(t, given, f)
	})
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		return tx.SetDefinitions("lifecycle = all\nok = all\nbad = nosuchset\nwarn = lifecycle = \"daed\"\n", "kept.defs")
	}))
	view0(func(tx *store.Tx, p *store.PassView) {
		f, err := defs.ToCheck(tx, p, nil)
		require.NoError(t, err)
		assert.Equal(t, "kept.defs", f.From)
		assert.True(t, f.Kept)
		snap, err := tx.Snapshot(p.ID())
		require.NoError(t, err)
		out := defs.Check(&query.Env{Ctx: context.Background(), Snap: snap, Seed: 1}, f)
		require.Len(t, out, 4)
		assert.ErrorContains(t, out[0].Err, "lifecycle is an attribute of pass 1")
		assert.NoError(t, out[1].Err)
		assert.ErrorContains(t, out[2].Err, "nosuchset")
		assert.NoError(t, out[3].Err)
		assert.NotEmpty(t, out[3].Warnings, "a value no host has is a warning")
		assert.Empty(t, out[1].Warnings)
	})
}

// A pass sealed without definitions has none to check.
func TestToCheckNone(t *testing.T) {
	db := storetest.Open(t)
	seal(t, db, nil, true, "active")
	view(t, db, func(tx *store.Tx, p *store.PassView) {
		f, err := defs.ToCheck(tx, p, nil)
		require.NoError(t, err)
		assert.Nil(t, f)
	})
}

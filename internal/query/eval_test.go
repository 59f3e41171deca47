package query_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

func run(t *testing.T, env *query.Env, text string) *query.Result {
	t.Helper()
	st, err := parse(env, text)
	require.NoError(t, err, text)
	r, err := query.Run(env, st)
	require.NoError(t, err, text)
	return r
}

func runErr(env *query.Env, text string) error {
	st, err := parse(env, text)
	if err != nil {
		return err
	}
	_, err = query.Run(env, st)
	return err
}

func bigFleet(n int) *querytest.Fleet {
	f := querytest.NewFleet()
	p := f.NewPass()
	racks := map[string]string{}
	for i := 0; i < n; i++ {
		h := fmt.Sprintf("host%04d", i)
		p.AddHosts(h)
		racks[h] = fmt.Sprintf("r%d", i%10)
	}
	p.SetString("rack", racks)
	return f
}

// A fixed seed replays every random stage; another seed draws differently.
func TestSampleDeterminism(t *testing.T) {
	f := bigFleet(1000)
	for _, q := range []string{"all | sample 10", "all | sample 3%", "all | spread rack 2", "all | stratify rack 1"} {
		a := run(t, &query.Env{Snap: f.Snapshot(), Seed: 42}, q)
		b := run(t, &query.Env{Snap: f.Snapshot(), Seed: 42}, q)
		c := run(t, &query.Env{Snap: f.Snapshot(), Seed: 43}, q)
		assert.True(t, a.Hosts.Equals(b.Hosts), q)
		assert.False(t, a.Hosts.Equals(c.Hosts), q)
		assert.True(t, a.Random, q)
	}
	r := run(t, &query.Env{Snap: f.Snapshot(), Seed: 1}, "all | head 5")
	assert.False(t, r.Random, "head draws no random numbers")
	assert.Equal(t, []string{"host0000", "host0001", "host0002", "host0003", "host0004"}, f.Names(r.Hosts))
}

// sample N% stable picks by a hash of the host name: the same hosts on
// every pass, whatever the seed and the host ids.
func TestSampleStableAcrossPasses(t *testing.T) {
	f := querytest.NewFleet()
	p1 := f.NewPass()
	var names []string
	for i := 0; i < 200; i++ {
		names = append(names, fmt.Sprintf("web%03d", i))
	}
	p1.AddHosts(names...)
	p2 := f.NewPass()
	p2.AddHosts("zz-new-first") // a new host: ids and sizes differ
	p2.AddHosts(names...)
	r1 := run(t, &query.Env{Snap: f.SnapshotAt(1), Seed: 1}, "all | sample 10% stable")
	r2 := run(t, &query.Env{Snap: f.SnapshotAt(2), Seed: 99}, `all - "zz-new-first" | sample 10% stable`)
	assert.Equal(t, uint64(20), r1.Hosts.GetCardinality())
	assert.Equal(t, f.Names(r1.Hosts), f.Names(r2.Hosts))
	assert.False(t, r1.Random)
}

func TestSplitPartitions(t *testing.T) {
	f := bigFleet(103)
	r := run(t, &query.Env{Snap: f.Snapshot(), Seed: 5}, "all | split 4")
	require.Equal(t, query.BatchesResult, r.Kind)
	require.Len(t, r.Batches, 4)
	union := roaring.New()
	for _, b := range r.Batches {
		assert.InDelta(t, 103.0/4, float64(b.GetCardinality()), 1)
		assert.False(t, union.Intersects(b), "batches overlap")
		union.Or(b)
	}
	all, _, err := f.Snapshot().Current().Set("all")
	require.NoError(t, err)
	assert.True(t, union.Equals(all))
}

// Unknown names are errors that wrap ErrUnknownName; pass lookups wrap
// the snapshot's error.
func TestErrorsWrapSentinels(t *testing.T) {
	f := smallFleet()
	env := &query.Env{Snap: f.Snapshot()}
	for _, q := range []string{"nosuch", `nosuch == 1`, "all | by nosuch", "fresh@-1 + a"} {
		err := runErr(env, q)
		assert.ErrorIs(t, err, query.ErrUnknownName, q)
		var qe *query.Error
		assert.True(t, errors.As(err, &qe), q)
	}
	assert.ErrorIs(t, runErr(env, "dead@-5"), querytest.ErrNoPass)
	assert.ErrorIs(t, runErr(env, "dead@77"), querytest.ErrNoPass)
}

// Check resolves everything before anything is evaluated.
func TestCheckDoesNotEvaluate(t *testing.T) {
	f := smallFleet()
	env := &query.Env{Snap: f.Snapshot()}
	st, err := query.Parse(`"h9" + nosuch`)
	require.NoError(t, err)
	err = query.Check(env, st)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no set "nosuch"`)
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := smallFleet()
	env := &query.Env{Ctx: ctx, Snap: f.Snapshot()}
	assert.ErrorIs(t, runErr(env, "all - dead"), query.ErrCanceled)
}

// A binding is detached from the pass's bitmaps and survives later runs.
func TestBindingsPersist(t *testing.T) {
	f := smallFleet()
	env := &query.Env{Snap: f.Snapshot()}
	r := run(t, env, "x = dead + a")
	assert.Equal(t, "x", r.Bound)
	dead, _, err := f.Snapshot().Current().Set("dead")
	require.NoError(t, err)
	before := dead.Clone()
	run(t, env, "y = x - b")
	assert.Equal(t, []string{"h2", "h3"}, f.Names(env.Bindings["y"]))
	assert.True(t, before.Equals(dead), "evaluation modified a stored set")
}

// The explain tree has one step per node and per stage.
func TestExplainSizes(t *testing.T) {
	f := smallFleet()
	env := &query.Env{Snap: f.Snapshot()}
	st, err := parse(env, `all - dead & (role = "web") | head 1 | count`)
	require.NoError(t, err)
	steps, r, err := query.Explain(env, st)
	require.NoError(t, err)
	var got []string
	for _, s := range steps {
		got = append(got, fmt.Sprintf("%d %s %d", s.Depth, s.Text, s.Size))
	}
	assert.Equal(t, []string{
		`0 all - dead & role = "web" 1`,
		`1 all - dead 4`,
		`2 all 6`,
		`2 dead 2`,
		`1 role = "web" 2`,
		`0 | head 1 1`,
		`0 | count 1`,
	}, got)
	assert.Equal(t, uint64(1), r.Count)
	assert.Nil(t, env.Trace, "Explain leaves no trace behind")
}

// The fake behaves like the store where the language relies on it.
func TestFakeFleet(t *testing.T) {
	f := smallFleet()
	p := f.Snapshot().Current()
	assert.Equal(t, int64(2), p.ID())
	assert.Contains(t, p.SetNames(), "hadoop_exclude")
	assert.Contains(t, p.SetNames(), "all")
	hx, ok, err := p.Set("hadoop_exclude")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, []string{"h1"}, f.Names(hx))
	a, _, err := p.Attr("hadoop_exclude")
	require.NoError(t, err)
	assert.Len(t, a.Groups(), 2)
	up, _, err := p.Attr("up")
	require.NoError(t, err)
	assert.True(t, up.Sampled())
	prev, err := f.Snapshot().Resolve(fleet.PassRef{Rel: -1})
	require.NoError(t, err)
	_, ok, err = prev.Set("a")
	require.NoError(t, err)
	assert.False(t, ok, "names resolve per pass")
	at, err := f.Snapshot().Resolve(fleet.PassRef{At: querytest.Base})
	require.NoError(t, err)
	assert.Equal(t, int64(1), at.ID())
	ids, missing := f.Lookup([]string{"h1", "nope"})
	assert.Equal(t, []string{"h1"}, f.Names(ids))
	assert.Equal(t, []string{"nope"}, missing)
}

package store_test

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

// diffSeed is a random seed, printed; FLEETQ_DIFF_SEED=N replays one.
func diffSeed(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("FLEETQ_DIFF_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (FLEETQ_DIFF_SEED=%d replays it)", seed, seed)
	return rand.New(rand.NewPCG(seed, 11))
}

// diffColumns are the attributes the random passes draw from: strings of
// few and of many distinct values (the dictionary with and without value
// bitmaps), numbers with NaN and -0, bools.
var diffColumns = []struct {
	name     string
	typ      fleet.Type
	distinct int
}{
	{"dc", fleet.String, 3}, {"serial", fleet.String, 1 << 20}, {"rack", fleet.String, 5000},
	{"pos", fleet.Number, 4}, {"load", fleet.Number, 1 << 20}, {"ok", fleet.Bool, 2},
}

// randomDiffSource is an inventory of a random subset of n host names with
// random values; each column is left out of the pass now and then.
func randomDiffSource(r *rand.Rand, n int, hold float64) *store.SourceData {
	src := newSource("inventory", "inventory")
	for i := range n {
		if r.Float64() < hold {
			src.Hosts = append(src.Hosts, fmt.Sprintf("h%05d", i))
		}
	}
	r.Shuffle(len(src.Hosts), func(i, j int) { src.Hosts[i], src.Hosts[j] = src.Hosts[j], src.Hosts[i] })
	src.Records = len(src.Hosts)
	for _, c := range diffColumns {
		if r.IntN(8) == 0 {
			continue
		}
		col := store.NewColumn(c.name, c.typ, len(src.Hosts))
		for i := range src.Hosts {
			if r.IntN(10) == 0 {
				continue // no value
			}
			col.Has[i] = true
			k := r.IntN(c.distinct)
			switch c.typ {
			case fleet.String:
				col.Str[i] = c.name + "-" + strconv.Itoa(k)
			case fleet.Number:
				col.Num[i] = randomNumber(r, k)
			case fleet.Bool:
				col.Bool[i] = k == 1
			}
		}
		src.Attrs = append(src.Attrs, col)
	}
	return src
}

func randomNumber(r *rand.Rand, k int) float64 {
	switch r.IntN(20) {
	case 0:
		return math.NaN()
	case 1:
		return math.Copysign(0, -1)
	case 2:
		return 0
	}
	return float64(k) / 4
}

// naiveAttrDiff is the reference: every attribute of every host of both
// passes, read one host at a time, sorted by host then attribute.
func naiveAttrDiff(t *testing.T, tx *store.Tx, a, b *store.PassView) []store.AttrChange {
	names := slices.Sorted(slices.Values(append(a.AttrNames(), b.AttrNames()...)))
	names = slices.Compact(names)
	var out []store.AttrChange
	it := a.All().Iterator()
	for it.HasNext() {
		id := it.Next()
		if !b.All().Contains(id) {
			continue
		}
		for _, name := range names {
			c := store.AttrChange{Host: tx.Hosts().Name(id), Attr: name}
			c.Old, c.Had = oneValue(t, a, name, id)
			c.New, c.Has = oneValue(t, b, name, id)
			if c.Had != c.Has || c.Had && (c.Old.Type != c.New.Type || fleet.CompareValues(c.Old, c.New) != 0) {
				out = append(out, c)
			}
		}
	}
	slices.SortStableFunc(out, func(x, y store.AttrChange) int { return cmp.Compare(x.Host, y.Host) })
	return out
}

func oneValue(t *testing.T, p *store.PassView, name string, id uint32) (fleet.Value, bool) {
	a, ok, err := p.Attr(name)
	require.NoError(t, err)
	if !ok {
		return fleet.Value{}, false
	}
	return a.Value(id)
}

// TestDiffAttrsAgainstNaive compares Diff's attribute changes with the
// per-host reference on random pairs of passes: hosts entering and
// leaving, values changing, columns missing from one pass.
func TestDiffAttrsAgainstNaive(t *testing.T) {
	r := diffSeed(t)
	for round := range 6 {
		db := storetest.Open(t)
		n := 300 + r.IntN(6000)
		first := randomDiffSource(r, n, 0.9)
		create(t, db, store.NewPass{Sources: []*store.SourceData{first}})
		second := first
		if round > 0 {
			second = mutate(r, first, n)
		}
		create(t, db, store.NewPass{Sources: []*store.SourceData{second}})
		require.NoError(t, db.View(func(tx *store.Tx) error {
			d, err := tx.Diff(1, 2, store.DiffOptions{Attrs: true})
			require.NoError(t, err)
			pa, err := tx.Pass(1)
			require.NoError(t, err)
			pb, err := tx.Pass(2)
			require.NoError(t, err)
			want := naiveAttrDiff(t, tx, pa, pb)
			require.Equal(t, len(want), len(d.Attrs), "round %d (%d hosts)", round, n)
			for i := range want {
				require.Equal(t, fmt.Sprint(want[i]), fmt.Sprint(d.Attrs[i]), "round %d change %d", round, i)
			}
			return nil
		}))
	}
}

// mutate is src with some hosts gone, some new, a share of values changed
// and now and then a column dropped or a new random one in its place.
func mutate(r *rand.Rand, src *store.SourceData, n int) *store.SourceData {
	fresh := randomDiffSource(r, n, 0.9)
	rate := []float64{0, 0.001, 0.05, 0.5, 1}[r.IntN(5)]
	byName := map[string]int{}
	for i, h := range src.Hosts {
		byName[h] = i
	}
	for _, col := range fresh.Attrs {
		old := findColumn(src, col.Name)
		if old == nil || r.IntN(6) == 0 {
			continue // a column drawn anew
		}
		for i, h := range fresh.Hosts {
			j, ok := byName[h]
			if !ok || r.Float64() < rate {
				continue
			}
			col.Has[i] = old.Has[j]
			switch col.Type {
			case fleet.String:
				col.Str[i] = old.Str[j]
			case fleet.Number:
				col.Num[i] = old.Num[j]
			case fleet.Bool:
				col.Bool[i] = old.Bool[j]
			}
		}
	}
	fresh.Hash = "sha-mutated"
	return fresh
}

func findColumn(src *store.SourceData, name string) *store.Column {
	for _, c := range src.Attrs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestNamesOfAgreesWithName reads random increasing ids, some past the
// last name, in bulk and one at a time, in fresh transactions (no chunk
// decoded yet) and after some chunks were.
func TestNamesOfAgreesWithName(t *testing.T) {
	r := diffSeed(t)
	db := storetest.Open(t)
	var hosts []string
	for i := range 3000 + r.IntN(3000) {
		hosts = append(hosts, fmt.Sprintf("n%05d.example.com", i))
	}
	create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("inventory", "inventory", hosts...)}})
	for round := range 20 {
		var ids []uint32
		for id := range uint32(len(hosts) + 1500) {
			if r.IntN(1+round*10) == 0 {
				ids = append(ids, id)
			}
		}
		require.NoError(t, db.View(func(tx *store.Tx) error {
			h := tx.Hosts()
			if round%2 == 1 {
				h.Name(uint32(r.IntN(len(hosts)))) // one chunk decoded first
			}
			got := store.NamesOf(h, ids)
			require.Len(t, got, len(ids))
			for i, id := range ids {
				require.Equal(t, h.Name(id), got[i], "round %d id %d", round, id)
			}
			return tx.Err()
		}))
	}
}

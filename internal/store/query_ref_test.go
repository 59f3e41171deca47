package store_test

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/query/querytest"
	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

var queryRefSeed = flag.Uint64("store.queryseed", 0, "seed for TestQueriesOnStoredStrings (0: from the clock, printed)")

// refFleet is one random pass both as a store pass (dictionary-encoded
// strings, through the code paths of the query layer) and as the
// in-memory querytest fleet (plain values, through the generic paths).
type refFleet struct {
	src   *store.SourceData
	fake  *querytest.Fleet
	pools map[string][]string
}

// randomRefFleet draws hosts with three string attributes of random
// cardinality (rack up to 8000 values: past the bitmap threshold; tag
// with "<none>" and NUL-holding values among them) and one number.
func randomRefFleet(rng *rand.Rand) refFleet {
	n := 500 + rng.IntN(8500)
	f := refFleet{src: newSource("inventory", "inventory"), fake: querytest.NewFleet(), pools: map[string][]string{}}
	fp := f.fake.NewPass()
	for i := range n {
		f.src.Hosts = append(f.src.Hosts, fmt.Sprintf("h%05d", i))
	}
	fp.AddHosts(f.src.Hosts...)
	f.pools["rack"] = names("r", 1+int(math.Exp(rng.Float64()*math.Log(8000))))
	f.pools["role"] = names("role", 1+rng.IntN(9))
	f.pools["tag"] = append(names("t", 1+rng.IntN(40)), "<none>", "a")
	if rng.IntN(2) == 0 {
		f.pools["tag"] = append(f.pools["tag"], "a\x00b") // stratify over several attributes then keys by string
	}
	for _, name := range []string{"rack", "role", "tag"} {
		col := store.NewColumn(name, fleet.String, n)
		vals := map[string]string{}
		share := []float64{0.3, 0.9, 1}[rng.IntN(3)]
		for i, h := range f.src.Hosts {
			if rng.Float64() < share {
				v := f.pools[name][rng.IntN(len(f.pools[name]))]
				col.Str[i], col.Has[i], vals[h] = v, true, v
			}
		}
		f.src.Attrs = append(f.src.Attrs, col)
		fp.SetString(name, vals)
	}
	num := store.NewColumn("n", fleet.Number, n)
	nums := map[string]float64{}
	for i, h := range f.src.Hosts {
		if rng.IntN(2) == 0 {
			v := float64(rng.IntN(4))
			num.Num[i], num.Has[i], nums[h] = v, true, v
		}
	}
	f.src.Attrs = append(f.src.Attrs, num)
	fp.SetNumber("n", nums)
	return f
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%04d", prefix, i)
	}
	return out
}

// queries are statements over the random fleet: string predicates,
// by, spread, stratify and split.
func (f refFleet) queries(rng *rand.Rand) []string {
	pick := func(attr string) string { p := f.pools[attr]; return p[rng.IntN(len(p))] }
	return []string{
		fmt.Sprintf(`rack = %q`, pick("rack")),
		fmt.Sprintf(`rack != %q`, pick("rack")),
		fmt.Sprintf(`rack ~ "^r0%d"`, rng.IntN(10)),
		fmt.Sprintf(`rack !~ "%d$"`, rng.IntN(10)),
		fmt.Sprintf(`rack ~ "(?i)^R0%d"`, rng.IntN(10)),
		fmt.Sprintf(`rack ~ "^r00%d|^r01"`, rng.IntN(10)),
		`rack = "nosuch" | count`,
		fmt.Sprintf(`rack in (%q, %q)`, pick("rack"), pick("rack")),
		fmt.Sprintf(`role = %q | count`, pick("role")),
		`tag ~ "^a"`,
		`tag = "<none>"`,
		`all | by rack`,
		`all | by tag`,
		fmt.Sprintf(`role = %q | by rack`, pick("role")),
		`all | spread rack 1`,
		fmt.Sprintf(`all | spread tag %d`, 1+rng.IntN(30)),
		fmt.Sprintf(`role != %q | spread rack 2`, pick("role")),
		`all | stratify role,tag 1`,
		`all | stratify tag,role 2`,
		`all | stratify rack 1`,
		`all | stratify rack,tag 1`,
		`all | stratify role,n 1`,
		`all | split 3`,
		fmt.Sprintf(`rack = %q | split 2`, pick("rack")),
	}
}

// TestQueriesOnStoredStrings runs the same statements with the same seed
// on a stored pass and on its in-memory twin: the code paths over
// dictionary-encoded strings must answer exactly as the generic paths.
func TestQueriesOnStoredStrings(t *testing.T) {
	seed := *queryRefSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -store.queryseed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for round := range 8 {
		f := randomRefFleet(rng)
		db := storetest.Open(t)
		create(t, db, store.NewPass{Sources: []*store.SourceData{f.src}})
		require.NoError(t, db.View(func(tx *store.Tx) error {
			snap, err := tx.Snapshot(0)
			require.NoError(t, err)
			for _, q := range f.queries(rng) {
				got := runNamed(t, snap, tx.Hosts().Names, q, seed)
				want := runNamed(t, f.fake.Snapshot(), f.fake.Names, q, seed)
				require.Equal(t, want, got, "round %d, seed %d: %s", round, seed, q)
			}
			return nil
		}))
	}
}

// namedResult is a query result with host names for ids.
type namedResult struct {
	Kind    query.ResultKind
	Hosts   []string
	Count   uint64
	Groups  []query.GroupCount
	Batches [][]string
}

func runNamed(t *testing.T, snap fleet.Snapshot, name func(*roaring.Bitmap) []string, q string, seed uint64) namedResult {
	t.Helper()
	st, err := query.Parse(q)
	require.NoError(t, err, q)
	r, err := query.Run(&query.Env{Snap: snap, Seed: seed}, st)
	require.NoError(t, err, q)
	out := namedResult{Kind: r.Kind, Count: r.Count, Groups: r.Groups}
	if r.Hosts != nil {
		out.Hosts = name(r.Hosts)
		sort.Strings(out.Hosts)
	}
	for _, b := range r.Batches {
		out.Batches = append(out.Batches, name(b))
	}
	return out
}

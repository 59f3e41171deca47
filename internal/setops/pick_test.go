package setops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"
)

func TestPercentCount(t *testing.T) {
	tests := []struct {
		card uint64
		pct  float64
		want int
	}{
		{100, 7, 7}, // 0.07*100 is 7.000000000000001 in floating point
		{1000, 1.1, 11},
		{1000, 10, 100},
		{3, 50, 2},
		{10, 0.01, 1},
		{10, 0, 0},
		{10, -5, 0},
		{10, 100, 10},
		{10, 250, 10},
		{0, 50, 0},
		{10, math.NaN(), 0},
		{1_000_000, 33.3, 333_000},
		{7, 100.0 / 7, 1},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, PercentCount(tt.card, tt.pct), "PercentCount(%d, %v)", tt.card, tt.pct)
	}
}

func TestSampleProperties(t *testing.T) {
	rng := testRNG(t)
	for range 300 {
		s, _ := randomSet(rng)
		card := int(s.GetCardinality())
		n := rng.IntN(card + 10)
		if rng.IntN(4) == 0 {
			n = 5000 + rng.IntN(10) // exercise the walking path
		}
		seed := rng.Uint64()
		got := Sample(s, n, rand.New(rand.NewPCG(seed, 0)))
		require.EqualValues(t, min(n, card), got.GetCardinality())
		require.True(t, Difference(got, s).IsEmpty(), "sample is not a subset")
		again := Sample(s, n, rand.New(rand.NewPCG(seed, 0)))
		require.True(t, got.Equals(again), "same seed, different sample")
	}
	require.True(t, Sample(roaring.BitmapOf(1, 2), 0, rng).IsEmpty())
	require.True(t, Sample(roaring.BitmapOf(1, 2), -1, rng).IsEmpty())
	require.True(t, Sample(nil, 3, rng).IsEmpty())
}

// TestSampleUniform checks with a fixed seed that every member is picked about
// equally often, by a chi-square test over both the Select and walk paths.
func TestSampleUniform(t *testing.T) {
	for _, tc := range []struct{ card, n, trials int }{{40, 5, 20_000}, {2 * selectLimit, selectLimit + 1, 200}} {
		t.Run(fmt.Sprintf("%d_of_%d", tc.n, tc.card), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			s := roaring.New()
			for i := range tc.card {
				s.Add(uint32(i*3 + 1<<16 - 10)) // straddle a container boundary
			}
			counts := map[uint32]int{}
			for range tc.trials {
				it := Sample(s, tc.n, rng).Iterator()
				for it.HasNext() {
					counts[it.Next()]++
				}
			}
			expected := float64(tc.trials*tc.n) / float64(tc.card)
			chi2 := 0.0
			for _, x := range s.ToArray() {
				d := float64(counts[x]) - expected
				chi2 += d * d / expected
			}
			// Mean card-1, sd sqrt(2(card-1)); allow six sd.
			df := float64(tc.card - 1)
			require.Less(t, chi2, df+6*math.Sqrt(2*df), "chi-square %.1f with %v degrees of freedom", chi2, df)
		})
	}
}

func TestSampleStable(t *testing.T) {
	rng := testRNG(t)
	hash := func(id uint32) uint64 { return uint64(id%97) * 0x9e3779b97f4a7c15 } // many ties
	for range 200 {
		s, ref := randomSet(rng)
		pct := rng.Float64() * 100
		got := SampleStable(s, pct, hash)
		require.EqualValues(t, PercentCount(uint64(len(ref)), pct), got.GetCardinality())
		require.True(t, Difference(got, s).IsEmpty(), "not a subset")
		require.True(t, got.Equals(SampleStable(s.Clone(), pct, hash)), "picks changed between calls")
		// Every kept member sorts before every dropped one.
		kept, dropped := keyed{0, 0}, keyed{math.MaxUint64, math.MaxUint32}
		it := s.Iterator()
		for it.HasNext() {
			id := it.Next()
			e := keyed{hash(id), id}
			if got.Contains(id) && kept.less(e) {
				kept = e
			} else if !got.Contains(id) && e.less(dropped) {
				dropped = e
			}
		}
		if !got.IsEmpty() && !got.Equals(s) {
			require.True(t, kept.less(dropped), "kept %v sorts after dropped %v", kept, dropped)
		}
	}
}

// TestSampleStableGrows checks that a larger percentage keeps what a smaller
// one kept, so widening a rollout never drops hosts already picked.
func TestSampleStableGrows(t *testing.T) {
	s := roaring.New()
	s.AddRange(0, 10_000)
	hash := func(id uint32) uint64 { return uint64(id) * 0x9e3779b97f4a7c15 }
	prev := roaring.New()
	for pct := 0.0; pct <= 100; pct += 5 {
		got := SampleStable(s, pct, hash)
		require.True(t, Difference(prev, got).IsEmpty(), "%v%% dropped hosts kept at a lower percentage", pct)
		prev = got
	}
}

// groupSizes counts the members of s per group.
func groupSizes[K comparable](s *roaring.Bitmap, key func(uint32) K) map[K]int {
	sizes := map[K]int{}
	it := s.Iterator()
	for it.HasNext() {
		sizes[key(it.Next())]++
	}
	return sizes
}

// randomRack returns a group function over a few racks, some hosts absent.
func randomRack(rng *rand.Rand) func(uint32) (uint32, bool) {
	racks, salt := uint32(1+rng.IntN(40)), rng.Uint32()
	return func(id uint32) (uint32, bool) {
		h := (id ^ salt) * 2654435761
		return h % racks, h%11 != 0
	}
}

func TestSpread(t *testing.T) {
	rng := testRNG(t)
	for range 300 {
		s, _ := randomSet(rng)
		rack := randomRack(rng)
		key := groupKeyOf(rack)
		n := rng.IntN(20)
		seed := rng.Uint64()
		got := Spread(s, n, rack, rand.New(rand.NewPCG(seed, 0)))
		require.True(t, Difference(got, s).IsEmpty(), "not a subset")
		want := 0
		for _, size := range groupSizes(s, key) {
			want += min(n, size)
		}
		require.EqualValues(t, want, got.GetCardinality(), "not maximal")
		for g, size := range groupSizes(got, key) {
			require.LessOrEqual(t, size, n, "group %v", g)
		}
		require.True(t, got.Equals(Spread(s, n, rack, rand.New(rand.NewPCG(seed, 0)))), "not deterministic")
	}
}

// TestSpreadAbsentGroup pins that hosts without the attribute form one group.
func TestSpreadAbsentGroup(t *testing.T) {
	s := roaring.New()
	s.AddRange(0, 100)
	none := func(uint32) (uint32, bool) { return 0, false }
	require.EqualValues(t, 3, Spread(s, 3, none, rand.New(rand.NewPCG(1, 1))).GetCardinality())
	odd := func(id uint32) (uint32, bool) { return id, id%2 == 1 } // 50 groups of one, plus absent
	require.EqualValues(t, 51, Spread(s, 1, odd, rand.New(rand.NewPCG(1, 1))).GetCardinality())
}

func TestStratify(t *testing.T) {
	rng := testRNG(t)
	for range 300 {
		s, _ := randomSet(rng)
		skus, roles := uint32(1+rng.IntN(4)), uint32(1+rng.IntN(5))
		key := func(id uint32) string { return fmt.Sprintf("%d×%d", id%skus, id/7%roles) }
		n := rng.IntN(4)
		seed := rng.Uint64()
		got := Stratify(s, n, key, rand.New(rand.NewPCG(seed, 0)))
		require.True(t, Difference(got, s).IsEmpty(), "not a subset")
		sizes, gotSizes := groupSizes(s, key), groupSizes(got, key)
		for k, size := range sizes {
			require.Equal(t, min(n, size), gotSizes[k], "group %s", k)
		}
		require.True(t, got.Equals(Stratify(s, n, key, rand.New(rand.NewPCG(seed, 0)))), "not deterministic")
	}
}

func TestSplit(t *testing.T) {
	rng := testRNG(t)
	for range 300 {
		s, _ := randomSet(rng)
		rack := randomRack(rng)
		n := 1 + rng.IntN(12)
		seed := rng.Uint64()
		batches := Split(s, n, rack, rand.New(rand.NewPCG(seed, 0)))
		require.Len(t, batches, n)

		union, total := roaring.New(), uint64(0)
		lo, hi := uint64(math.MaxUint64), uint64(0)
		for _, b := range batches {
			union.Or(b)
			total += b.GetCardinality()
			lo, hi = min(lo, b.GetCardinality()), max(hi, b.GetCardinality())
		}
		require.True(t, union.Equals(s), "batches do not cover s")
		require.Equal(t, s.GetCardinality(), total, "batches overlap")
		require.LessOrEqual(t, hi-lo, uint64(1), "batch sizes %d..%d", lo, hi)

		per := make([]map[groupKey]int, n)
		for i, b := range batches {
			per[i] = groupSizes(b, groupKeyOf(rack))
		}
		for g := range groupSizes(s, groupKeyOf(rack)) {
			glo, ghi := math.MaxInt, 0
			for i := range per {
				glo, ghi = min(glo, per[i][g]), max(ghi, per[i][g])
			}
			require.LessOrEqual(t, ghi-glo, 1, "group %v spread %d..%d over batches", g, glo, ghi)
		}

		again := Split(s, n, rack, rand.New(rand.NewPCG(seed, 0)))
		for i := range batches {
			require.True(t, batches[i].Equals(again[i]), "not deterministic")
		}
	}
	require.Nil(t, Split(roaring.BitmapOf(1), 0, randomRack(rng), rng))
}

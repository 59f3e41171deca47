package setops

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// fleet is a realistic 1,000,000-host pass: every set both as a roaring
// bitmap and as a sorted []uint32, the representation roaring was chosen over.
type fleet struct {
	all, excl, resp, puppet     *roaring.Bitmap
	allA, exclA, respA, puppetA []uint32
	chain                       *roaring.Bitmap
}

const fleetSize = 1_000_000

var benchFleet = sync.OnceValue(func() *fleet {
	rng := rand.New(rand.NewPCG(2026, 11))
	f := &fleet{all: roaring.New()}
	f.all.AddRange(0, fleetSize)
	f.excl, f.resp, f.puppet = randomFraction(rng, 0.03), randomFraction(rng, 0.95), randomFraction(rng, 0.92)
	for _, bm := range []*roaring.Bitmap{f.all, f.excl, f.resp, f.puppet} {
		bm.RunOptimize() // as a sealed pass stores them
	}
	f.allA, f.exclA, f.respA, f.puppetA = f.all.ToArray(), f.excl.ToArray(), f.resp.ToArray(), f.puppet.ToArray()
	f.chain = Intersection(Intersection(Difference(f.all, f.excl), f.resp), f.puppet)
	return f
})

// randomFraction returns each host id of the fleet with probability p.
func randomFraction(rng *rand.Rand, p float64) *roaring.Bitmap {
	ids := make([]uint32, 0, int(p*fleetSize)+1000)
	for id := range uint32(fleetSize) {
		if rng.Float64() < p {
			ids = append(ids, id)
		}
	}
	return roaring.BitmapOf(ids...)
}

// sink keeps results alive so the compiler cannot drop the work.
var sink any

func BenchmarkUnion(b *testing.B) {
	f := benchFleet()
	b.ReportAllocs()
	for b.Loop() {
		sink = Union(f.excl, f.resp)
	}
}

func BenchmarkDifference(b *testing.B) {
	f := benchFleet()
	b.Run("roaring", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink = Difference(f.all, f.excl)
		}
	})
	b.Run("sorted", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink = sortedDifference(f.allA, f.exclA)
		}
	})
}

func BenchmarkIntersection(b *testing.B) {
	f := benchFleet()
	b.Run("roaring", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink = Intersection(f.resp, f.puppet)
		}
	})
	b.Run("sorted", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink = sortedIntersection(f.respA, f.puppetA)
		}
	})
}

func BenchmarkSymDiff(b *testing.B) {
	f := benchFleet()
	b.ReportAllocs()
	for b.Loop() {
		sink = SymDiff(f.resp, f.puppet)
	}
}

// BenchmarkChain is all - hadoop_exclude & responsive & puppet_ok, the
// query of docs/performance.md, without the process around it.
func BenchmarkChain(b *testing.B) {
	f := benchFleet()
	b.Run("roaring", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink = Intersection(Intersection(Difference(f.all, f.excl), f.resp), f.puppet)
		}
	})
	b.Run("sorted", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink = sortedIntersection(sortedIntersection(sortedDifference(f.allA, f.exclA), f.respA), f.puppetA)
		}
	})
}

func BenchmarkSample5(b *testing.B) {
	f := benchFleet()
	rng := rand.New(rand.NewPCG(1, 1))
	b.ReportAllocs()
	for b.Loop() {
		sink = Sample(f.chain, 5, rng)
	}
}

func BenchmarkSpread(b *testing.B) {
	f := benchFleet()
	rng := rand.New(rand.NewPCG(1, 1))
	rack := func(id uint32) (uint32, bool) { return id / 40, true } // 25,000 racks
	b.ReportAllocs()
	for b.Loop() {
		sink = Spread(f.chain, 2, rack, rng)
	}
}

// BenchmarkSerialize measures writing each set out and reports the bytes it
// takes in each representation (a sorted array costs 4 bytes a host).
func BenchmarkSerialize(b *testing.B) {
	f := benchFleet()
	sets := []struct {
		name string
		bm   *roaring.Bitmap
	}{{"all", f.all}, {"hadoop_exclude", f.excl}, {"responsive", f.resp}, {"puppet_ok", f.puppet}, {"chain", f.chain}}
	for _, s := range sets {
		b.Run(s.name+"/roaring", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf, err := s.bm.ToBytes()
				if err != nil {
					b.Fatal(err)
				}
				sink = buf
			}
			b.ReportMetric(float64(s.bm.GetSerializedSizeInBytes()), "bytes")
		})
		b.Run(s.name+"/sorted", func(b *testing.B) {
			ids := s.bm.ToArray()
			b.ReportAllocs()
			for b.Loop() {
				sink = encodeSorted(ids)
			}
			b.ReportMetric(float64(4*len(ids)), "bytes")
		})
	}
}

// rackCodes gives every host of the fleet one of 29,787 racks, the
// cardinality of rack in the generated 1M-host fleet.
const benchRacks = 29787

var rackCodes = sync.OnceValue(func() []uint32 {
	rng := rand.New(rand.NewPCG(2026, 12))
	codes := make([]uint32, fleetSize)
	for i := range codes {
		codes[i] = rng.Uint32N(benchRacks)
	}
	return codes
})

// BenchmarkSpreadFloor is the least work `spread rack 1` can do: walk 1M
// ids with their codes in two plain arrays and keep one uniform pick per
// code (reservoir of one). docs/performance.md compares the query with it.
func BenchmarkSpreadFloor(b *testing.B) {
	ids, codes := benchFleet().allA, rackCodes()
	b.ReportAllocs()
	for range b.N {
		rng := rand.New(rand.NewPCG(1, 2))
		seen := make([]uint32, benchRacks)
		pick := make([]uint32, benchRacks)
		for i, id := range ids {
			k := codes[i]
			seen[k]++
			if seen[k] == 1 || rng.Uint32N(seen[k]) == 0 {
				pick[k] = id
			}
		}
		sink = pick
	}
}

// BenchmarkSpreadCodes is SpreadCodes on the same input, from a bitmap.
func BenchmarkSpreadCodes(b *testing.B) {
	all, codes := benchFleet().all, rackCodes()
	b.ReportAllocs()
	for range b.N {
		sink = SpreadCodes(all, 1, codes, benchRacks, rand.New(rand.NewPCG(1, 2)))
	}
}

// BenchmarkSpreadFunc is Spread with a func group lookup over the same
// codes, the path of attributes that are not dictionary-encoded.
func BenchmarkSpreadFunc(b *testing.B) {
	all, codes := benchFleet().all, rackCodes()
	b.ReportAllocs()
	for range b.N {
		sink = Spread(all, 1, func(id uint32) (uint32, bool) { return codes[id], true }, rand.New(rand.NewPCG(1, 2)))
	}
}

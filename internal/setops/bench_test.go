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

package query_test

import (
	"fmt"
	"testing"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

// chainSizes are the chain lengths (terms) the explain and why benchmarks
// run at: before explain was linear, 3,000 terms took 61 s.
var chainSizes = []int{1_000, 3_000, 10_000}

// BenchmarkExplainChain is explain of a flat chain `all + s0 - s1 & …`.
func BenchmarkExplainChain(b *testing.B) {
	f := querytest.ChainFleet(1_000)
	for _, n := range chainSizes {
		st := querytest.Chain(n)
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, _, err := query.Explain(&query.Env{Snap: f.Snapshot()}, st); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWhyChain is why of one host in a flat chain.
func BenchmarkWhyChain(b *testing.B) {
	f := querytest.ChainFleet(1_000)
	id := f.ID("host0006")
	for _, n := range chainSizes {
		st := querytest.Chain(n)
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := query.Why(&query.Env{Snap: f.Snapshot()}, st, "host0006", id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRunChain is the query alone, for comparison.
func BenchmarkRunChain(b *testing.B) {
	f := querytest.ChainFleet(1_000)
	for _, n := range chainSizes {
		st := querytest.Chain(n)
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := query.Run(&query.Env{Snap: f.Snapshot()}, st); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

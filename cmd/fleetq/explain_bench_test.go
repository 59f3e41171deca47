package main

import (
	"fmt"
	"io"
	"testing"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

// BenchmarkExplainOutput is explain of a flat chain, rendered as text: the
// work of `fleetq explain` less the database.
func BenchmarkExplainOutput(b *testing.B) {
	f := querytest.ChainFleet(1_000)
	for _, n := range []int{1_000, 3_000, 10_000} {
		st := querytest.Chain(n)
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				steps, _, err := query.Explain(&query.Env{Snap: f.Snapshot()}, st)
				if err != nil {
					b.Fatal(err)
				}
				writeSteps(io.Discard, steps)
			}
		})
	}
}

// BenchmarkWhyOutput is why of one host in a flat chain, rendered as text.
func BenchmarkWhyOutput(b *testing.B) {
	f := querytest.ChainFleet(1_000)
	id := f.ID("host0006")
	for _, n := range []int{1_000, 3_000, 10_000} {
		st := querytest.Chain(n)
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				rep, err := query.Why(&query.Env{Snap: f.Snapshot()}, st, "host0006", id)
				if err != nil {
					b.Fatal(err)
				}
				writeWhy(io.Discard, rep)
			}
		})
	}
}

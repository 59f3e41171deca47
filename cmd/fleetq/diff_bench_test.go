package main

import (
	"context"
	"io"
	"os"
	"testing"
)

// BenchmarkDiffAttrs is fleetq diff --attrs 1 2 as a whole command against
// the database FLEETQ_DIFF_DB names (a real fleet of two passes built with
// fleetq ingest), its output discarded: the profile of the diff row of make
// bench (go test -run X -bench DiffAttrs -cpuprofile …).
func BenchmarkDiffAttrs(b *testing.B) {
	path := os.Getenv("FLEETQ_DIFF_DB")
	if path == "" {
		b.Skip("FLEETQ_DIFF_DB not set")
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if code := run(context.Background(), []string{"--db", path, "diff", "--attrs", "1", "2"}, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

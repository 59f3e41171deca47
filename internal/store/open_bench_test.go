package store_test

import (
	"os"
	"testing"

	"github.com/fleetq/fleetq/internal/store"
)

// The phases of opening a database read-only, as every query process
// does: fleetq's check of the file (meta pages and the page walk), bbolt's
// open, and the whole Open (both, plus the schema checks). BENCH_DB names
// another file to open (a database make bench built from a generated
// fleet) instead of the benchmarks' own.

func openBenchPath(b *testing.B) string {
	if p := os.Getenv("BENCH_DB"); p != "" {
		return p
	}
	return benchDB(b)
}

func BenchmarkOpenCheckFile(b *testing.B) {
	path := openBenchPath(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := store.CheckFileOnOpen(path, true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenBoltOnly(b *testing.B) {
	path := openBenchPath(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := store.OpenBoltOnly(path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenReadOnly(b *testing.B) {
	path := openBenchPath(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db, err := store.Open(path, store.Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

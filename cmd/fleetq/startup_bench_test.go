package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

// The parts of a fleetq process after package init, in-process: building
// the command tree, and a whole `fleetq version` and (with BENCH_DB set
// to a database) the flagship query through run, as main calls it.

func BenchmarkStartupCommandTree(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		newRootCommand(&app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard})
	}
}

func BenchmarkStartupVersion(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if code := run(context.Background(), []string{"version"}, strings.NewReader(""), io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

func BenchmarkStartupFlagship(b *testing.B) {
	db := os.Getenv("BENCH_DB")
	if db == "" {
		b.Skip("BENCH_DB names the database to query")
	}
	args := []string{"--db", db, "query", "all - hadoop_exclude & responsive & puppet_ok | sample 5"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if code := run(context.Background(), args, strings.NewReader(""), io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

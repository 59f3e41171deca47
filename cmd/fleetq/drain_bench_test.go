package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkDrainDryRun is a whole `fleetq drain` dry run through run, as
// main calls it, on a fresh copy of the database BENCH_DB each time (so
// audit entries do not pile up), with the policy BENCH_POLICY and the
// expression BENCH_EXPR (default: the classic query's candidates): the
// profile of a decision with its audit record and its output
// (go test -run X -bench DrainDryRun -cpuprofile …).
func BenchmarkDrainDryRun(b *testing.B) {
	src, pol := os.Getenv("BENCH_DB"), os.Getenv("BENCH_POLICY")
	if src == "" || pol == "" {
		b.Skip("BENCH_DB and BENCH_POLICY name a database and a policy")
	}
	expr := os.Getenv("BENCH_EXPR")
	if expr == "" {
		expr = "all - hadoop_exclude & responsive & puppet_ok"
	}
	data, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	db := filepath.Join(b.TempDir(), "drain.db")
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if err := os.WriteFile(db, data, 0o600); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		args := []string{"--db", db, "--policy", pol, "drain", expr, "--reason", "bench"}
		if code := run(context.Background(), args, strings.NewReader(""), io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkIngest is fleetq ingest of the sources FLEETQ_INGEST_ARGS names
// (space-separated), into a copy of FLEETQ_INGEST_DB when set (a second
// pass) or else a fresh database: the profile of a whole ingest
// (go test -run X -bench Ingest -memprofile …).
func BenchmarkIngest(b *testing.B) {
	args := strings.Fields(os.Getenv("FLEETQ_INGEST_ARGS"))
	if len(args) == 0 {
		b.Skip("FLEETQ_INGEST_ARGS not set")
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := filepath.Join(b.TempDir(), "f.db")
		if from := os.Getenv("FLEETQ_INGEST_DB"); from != "" {
			copyDB(b, from, db)
		}
		b.StartTimer()
		code := run(context.Background(), append([]string{"--db", db, "ingest", "--fresh"}, args...), strings.NewReader(""), io.Discard, io.Discard)
		if code != 0 {
			b.Fatalf("ingest exited %d", code)
		}
	}
}

func copyDB(b *testing.B, from, to string) {
	data, err := os.ReadFile(from)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		b.Fatal(err)
	}
}

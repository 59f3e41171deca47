package ingest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkReadBounded reads a BENCH_HOSTS-line host list from standard
// input through the bounds (the boundedReader), for the cost of the
// checks on the way in.
func BenchmarkReadBounded(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_HOSTS")); err == nil && v > 0 {
		n = v
	}
	var sb strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "dn%07d.smf1\n", i)
	}
	data := sb.String()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := newBoundedReader(strings.NewReader(data), "bench", DefaultLimits(), "hosts")
		if _, err := readAll(r); err != nil {
			b.Fatal(err)
		}
	}
}

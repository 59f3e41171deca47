package inventory

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkParseCSV parses a BENCH_HOSTS-host (default
// 1,000,000) inventory CSV shaped like the demo fleet's.
func BenchmarkParseCSV(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_HOSTS")); err == nil && v > 0 {
		n = v
	}
	var sb strings.Builder
	sb.WriteString("host,dc,cluster,rack,role,lifecycle,ip,hadoop_exclude,puppet_ok,rack_position\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "dn%07d.smf1,smf1,smf1-hadoop-%02d,smf1-r%04d,hadoop-worker,active,10.%d.%d.%d,%t,%t,%d\n",
			i, i/40000, i/40, i>>16&255, i>>8&255, i&255, i%33 == 0, i%12 != 0, i%42+1)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Parse("bench.csv", data); err != nil {
			b.Fatal(err)
		}
	}
}

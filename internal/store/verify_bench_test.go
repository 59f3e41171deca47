package store_test

import (
	"crypto/sha256"
	"hash/crc32"
	"math/rand/v2"
	"testing"

	"github.com/fleetq/fleetq/internal/store"
)

// BenchmarkBlobVerify measures what read-time blob verification costs: a
// whole query at BENCH_HOSTS hosts with and without it, and the raw
// throughput of sha256 (the content address, needs no stored checksum)
// against crc32c (would need a checksum stored beside each blob).
func BenchmarkBlobVerify(b *testing.B) {
	for _, q := range []struct{ name, text string }{
		{"count", "all - hadoop_exclude & responsive & puppet_ok | count"},
		{"regex", `ip ~ "^10\.1\." | count`},
		{"bycluster", "responsive | by cluster"},
	} {
		for _, on := range []bool{false, true} {
			name := q.name + "/off"
			if on {
				name = q.name + "/sha256"
			}
			b.Run(name, func(b *testing.B) {
				old := store.SetVerifyBlobs(on)
				defer store.SetVerifyBlobs(old)
				benchQuery(b, q.text)
			})
		}
	}
	data := make([]byte, 8<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	b.Run("raw/sha256", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			sha256.Sum256(data)
		}
	})
	table := crc32.MakeTable(crc32.Castagnoli)
	b.Run("raw/crc32c", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			crc32.Checksum(data, table)
		}
	})
}

package main

import (
	"context"
	"os"
	"testing"

	"github.com/fleetq/fleetq/internal/store"
)

// BenchmarkLookup is fleetq host and fleetq why of one host against the
// database FLEETQ_LOOKUP_DB names (a real fleet built with fleetq ingest),
// opening the file each time as the commands do: the profile of a
// one-host lookup (go test -run X -bench Lookup -cpuprofile …).
// FLEETQ_LOOKUP_HOST names the host (default ci000001.ams1).
func BenchmarkLookup(b *testing.B) {
	path := os.Getenv("FLEETQ_LOOKUP_DB")
	if path == "" {
		b.Skip("FLEETQ_LOOKUP_DB not set")
	}
	host := os.Getenv("FLEETQ_LOOKUP_HOST")
	if host == "" {
		host = "ci000001.ams1"
	}
	run := func(b *testing.B, fn func(tx *store.Tx) error) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			db, err := store.Open(path, store.Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			if err := db.View(fn); err != nil {
				b.Fatal(err)
			}
			db.Close()
		}
	}
	b.Run("host", func(b *testing.B) {
		run(b, func(tx *store.Tx) error {
			p, err := tx.Pass(0)
			if err != nil {
				return err
			}
			_, err = lookupHost(tx, p, host)
			return err
		})
	})
	b.Run("why", func(b *testing.B) {
		run(b, func(tx *store.Tx) error {
			env, err := newEnv(context.Background(), tx, &queryOptions{})
			if err != nil {
				return err
			}
			_, err = whyIn(tx, env, host, "all - hadoop_exclude & responsive & puppet_ok")
			return err
		})
	})
}

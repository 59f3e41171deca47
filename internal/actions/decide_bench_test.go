package actions

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
)

// BenchmarkDecideStored decides FLEETQ_BENCH_EXPR (default: 100 hosts of
// one cluster) on the database FLEETQ_BENCH_DB with the policy
// FLEETQ_BENCH_POLICY, for profiles of a decision on a real-sized fleet:
//
//	FLEETQ_BENCH_DB=.bench/f1m.db FLEETQ_BENCH_POLICY=examples/policy.toml \
//	  go test ./internal/actions -run '^$' -bench DecideStored -cpuprofile cpu.out
func BenchmarkDecideStored(b *testing.B) {
	path, polPath := os.Getenv("FLEETQ_BENCH_DB"), os.Getenv("FLEETQ_BENCH_POLICY")
	if path == "" || polPath == "" {
		b.Skip("FLEETQ_BENCH_DB and FLEETQ_BENCH_POLICY name a database and a policy")
	}
	expr := os.Getenv("FLEETQ_BENCH_EXPR")
	if expr == "" {
		expr = `cluster = "ams1-ci-01" | head 100`
	}
	text, err := os.ReadFile(polPath)
	require.NoError(b, err)
	pol := mustPolicy(b, string(text))
	db, err := store.Open(path, store.Options{ReadOnly: true})
	require.NoError(b, err)
	defer db.Close()
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		require.NoError(b, db.View(func(tx *store.Tx) error {
			e := &store.AuditEntry{}
			d, err := WhatIf(context.Background(), tx, pol, Request{Verb: "drain", Expr: expr, Reason: "bench", Seed: 7, Now: now})
			if err == nil {
				e = d.AuditEntry(false)
			}
			_ = e
			return err
		}))
	}
}

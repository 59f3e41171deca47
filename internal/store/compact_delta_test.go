package store

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"time"

	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/stretchr/testify/require"
)

// mutate returns a copy of b with about n random edits: changed bytes,
// insertions and deletions.
func mutate(r *rand.Rand, b []byte, n int) []byte {
	out := append([]byte(nil), b...)
	for range n {
		if len(out) == 0 {
			out = append(out, byte(r.IntN(256)))
			continue
		}
		i := r.IntN(len(out))
		switch r.IntN(3) {
		case 0:
			out[i] = byte(r.IntN(256))
		case 1:
			out = append(out[:i], append([]byte{byte(r.IntN(256)), byte(r.IntN(256))}, out[i:]...)...)
		default:
			out = append(out[:i], out[min(len(out), i+3):]...)
		}
	}
	return out
}

func TestDeltaRoundTrip(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range 200 {
		n := r.IntN(20000)
		base := make([]byte, n)
		for j := range base {
			base[j] = byte(r.IntN(4)) // repetitive, like bitmaps and small values
		}
		target := mutate(r, base, r.IntN(50))
		if i%10 == 0 {
			target = mutate(r, nil, r.IntN(100))
		}
		d := makeDelta(base, target, len(target)+64)
		got, err := applyDelta(base, d)
		require.NoError(t, err)
		require.True(t, bytes.Equal(target, got), "case %d: %d-byte base, %d-byte target", i, len(base), len(target))
	}
}

func TestDeltaIsSmallForSmallChanges(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	base := make([]byte, 1<<20)
	for i := range base {
		base[i] = byte(r.IntN(256))
	}
	target := mutate(r, base, 100)
	d := makeDelta(base, target, len(target)+64)
	require.Less(t, len(d), 100*40, "about 100 edits cost a few bytes each")
}

func TestApplyDeltaRejectsGarbage(t *testing.T) {
	base := []byte("0123456789abcdef0123456789abcdef")
	for _, d := range [][]byte{nil, {5}, {10, 3, 40}, {4, 0xff}, {2, 5, 100}} {
		_, err := applyDelta(base, d)
		require.ErrorIs(t, err, ErrCorrupt, "%x", d)
	}
}

// TestDeltaSizesOf re-deltifies every delta of the database named by
// $FLEETQ_DELTA_DB with the current makeDelta and logs the sizes: a tool
// for tuning, skipped otherwise.
func TestDeltaSizesOf(t *testing.T) {
	path := os.Getenv("FLEETQ_DELTA_DB")
	if path == "" {
		t.Skip("set FLEETQ_DELTA_DB to a database file")
	}
	db, err := Open(path, Options{ReadOnly: true})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDeltas).ForEach(func(k, v []byte) error {
			old, ok, err := rebuildDelta(tx, k)
			require.True(t, ok)
			require.NoError(t, err)
			base, err := getBlob(tx, hex.EncodeToString(v[:32]))
			require.NoError(t, err)
			start := time.Now()
			d := makeDelta(base, old, len(old))
			t.Logf("%x: %d bytes, stored delta %d, new delta %d (%.1f%%) in %s", k[:6], len(old), len(v)-32, len(d), 100*float64(len(d))/float64(len(old)), time.Since(start))
			return nil
		})
	}))
}

package store

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// fenceLookups compares lookups of a few names (through the fence, or a
// scan of every chunk without one) with the name → id map, for names in
// the dictionary and names that are not (some inside chunk ranges).
func fenceLookups(t *testing.T, db *DB, names []string, seedName string) {
	r := blobSeed(t)
	require.NoError(t, db.View(func(tx *Tx) error {
		idx := newDict(tx.btx)
		idx.index()
		for i := 0; i < 300; i++ {
			q := make([]string, 1+r.IntN(scanLookupMax))
			for j := range q {
				q[j] = names[r.IntN(len(names))]
				if r.IntN(3) == 0 {
					q[j] += "x" // absent, next to a present name
				}
			}
			got, gotMissing := tx.dict.scanLookup(q)
			want, wantMissing := idx.Lookup(q)
			require.True(t, want.Equals(got), "%s: %v: %v, want %v", seedName, q, got, want)
			require.Equal(t, wantMissing, gotMissing, "%s: %v", seedName, q)
		}
		return tx.Err()
	}))
}

// TestFenceLookupMatchesTheIndex: a dictionary built by passes that each
// add names out of order (so chunk ranges overlap) is looked up through
// its fence; the fence is what check recomputes; a fence an older fleetq
// left behind (another host count) or none at all still answers right; a
// damaged fence is an error.
func TestFenceLookupMatchesTheIndex(t *testing.T) {
	db, _ := newTestDB(t)
	r := blobSeed(t)
	var all []string
	for p := 0; p < 4; p++ {
		batch := make([]string, 500+r.IntN(2*chunkSize))
		for i := range batch {
			batch[i] = fmt.Sprintf("h%06d.p%d", r.IntN(1_000_000), p)
		}
		all = append(all, batch...)
		_, err := db.CreatePass(hostsPass(dedupe(batch)...))
		require.NoError(t, err)
	}
	require.NoError(t, db.View(func(tx *Tx) error {
		f, err := readFence(tx.btx.Bucket(bucketMeta), tx.dict.n)
		require.NoError(t, err)
		require.NotNil(t, f, "the writer keeps the fence")
		return checkFence(tx.btx, tx.dict.n, tx.dict.chunk)
	}))
	fenceLookups(t, db, all, "with the fence")

	require.NoError(t, db.bolt.Update(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keyHostFence)
		f, err := decodeFence(v)
		require.NoError(t, err)
		lo, hi := make([]string, len(f.lo)-1), make([]string, len(f.lo)-1)
		for c := range lo {
			lo[c], hi[c] = string(f.lo[c]), string(f.hi[c])
		}
		return tx.Bucket(bucketMeta).Put(keyHostFence, encodeFence(f.n-chunkSize, lo, hi))
	}))
	fenceLookups(t, db, all, "a fence of another count")
	_, err := db.CreatePass(hostsPass("zz.new", "aa.new"))
	require.NoError(t, err, "a writer replaces a fence of another count")
	all = append(all, "zz.new", "aa.new")
	fenceLookups(t, db, all, "the fence rebuilt")
	require.NoError(t, db.Check())

	require.NoError(t, db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyHostFence) }))
	fenceLookups(t, db, all, "no fence")
	require.NoError(t, db.bolt.Update(func(tx *bolt.Tx) error {
		d := newDictWriter(tx)
		return d.writeFence(tx, d.n, d.n)
	}))
	require.NoError(t, db.bolt.Update(func(tx *bolt.Tx) error {
		v := append([]byte(nil), tx.Bucket(bucketMeta).Get(keyHostFence)...)
		v[len(v)/2] ^= 1
		return tx.Bucket(bucketMeta).Put(keyHostFence, v)
	}))
	err = db.View(func(tx *Tx) error {
		tx.Hosts().Lookup([]string{all[0]})
		return nil
	})
	require.ErrorIs(t, err, ErrCorrupt, "a damaged fence is an error")
	require.ErrorIs(t, db.Check(), ErrCorrupt)
}

func dedupe(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

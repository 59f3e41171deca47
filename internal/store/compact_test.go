package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/fleetq/fleetq/internal/fleet"
)

// cmpFleet builds inventory sources of n hosts where every pass changes a
// few values, and remembers what each pass should read back.
type cmpFleet struct {
	r     *rand.Rand
	life  []string
	rank  []float64
	ip    []string
	flag  []bool
	hosts []string
}

func newCmpFleet(seed uint64, n int) *cmpFleet {
	f := &cmpFleet{r: rand.New(rand.NewPCG(seed, 9))}
	for i := range n {
		f.hosts = append(f.hosts, fmt.Sprintf("n%06d.dc", i))
		f.life = append(f.life, []string{"active", "dead", "repair"}[f.r.IntN(3)])
		f.rank = append(f.rank, float64(f.r.IntN(40)))
		f.ip = append(f.ip, fmt.Sprintf("10.0.%d.%d", i>>8, i&255))
		f.flag = append(f.flag, f.r.IntN(2) == 0)
	}
	return f
}

func (f *cmpFleet) churn(k int) {
	for range k {
		i := f.r.IntN(len(f.hosts))
		switch f.r.IntN(3) {
		case 0:
			f.life[i] = []string{"active", "dead", "repair"}[f.r.IntN(3)]
		case 1:
			f.rank[i] = float64(f.r.IntN(40))
		default:
			f.flag[i] = !f.flag[i]
		}
	}
}

func (f *cmpFleet) source(at time.Time) *SourceData {
	n := len(f.hosts)
	life, rank := NewColumn("lifecycle", fleet.String, n), NewColumn("rank", fleet.Number, n)
	ip, flag := NewColumn("ip", fleet.String, n), NewColumn("flag", fleet.Bool, n)
	for i := range n {
		life.Str[i], life.Has[i] = f.life[i], true
		rank.Num[i], rank.Has[i] = f.rank[i], true
		ip.Str[i], ip.Has[i] = f.ip[i], true
		flag.Bool[i], flag.Has[i] = f.flag[i], true
	}
	return &SourceData{Name: "inventory", Kind: "inventory", Path: "inv.csv", ReadAt: at,
		Hosts: append([]string(nil), f.hosts...), Attrs: []*Column{life, rank, ip, flag}}
}

// snapshot is what a pass reads back: every attribute value of every host.
func (f *cmpFleet) snapshot() map[string]string {
	out := map[string]string{}
	for i, h := range f.hosts {
		out[h] = fmt.Sprintf("%s %g %s %t", f.life[i], f.rank[i], f.ip[i], f.flag[i])
	}
	return out
}

func readSnapshot(t *testing.T, db *DB, id int64) map[string]string {
	out, err := readSnapshotErr(db, id)
	require.NoError(t, err)
	return out
}

// readSnapshotErr is readSnapshot for reads that may fail.
func readSnapshotErr(db *DB, id int64) (map[string]string, error) {
	out := map[string]string{}
	err := db.View(func(tx *Tx) error {
		p, err := tx.Pass(id)
		if err != nil {
			return err
		}
		attrs := map[string]func(uint32) string{}
		for _, name := range []string{"lifecycle", "rank", "ip", "flag"} {
			a, ok, err := p.Attr(name)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("pass %d: no attribute %s", id, name)
			}
			attrs[name] = func(h uint32) string { v, _ := a.Value(h); return v.String() }
		}
		it := p.All().Iterator()
		for it.HasNext() {
			h := it.Next()
			out[tx.dict.Name(h)] = attrs["lifecycle"](h) + " " + attrs["rank"](h) + " " + attrs["ip"](h) + " " + attrs["flag"](h)
		}
		return nil
	})
	return out, err
}

func openCmpDB(t *testing.T) (*DB, string) {
	path := filepath.Join(t.TempDir(), "fleetq.db")
	db, err := Open(path, Options{Create: true})
	require.NoError(t, err)
	return db, path
}

// TestDeltifiedPassesReadBack: after every pass deltifies its parent, each
// earlier pass still reads exactly what it was given, and old versions
// are stored as deltas much smaller than whole blobs.
func TestDeltifiedPassesReadBack(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	db, path := openCmpDB(t)
	f := newCmpFleet(seed, 5000)
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var want []map[string]string
	for i := range 12 {
		at := t0.Add(time.Duration(i) * time.Hour)
		if i == 7 { // a pass identical to an earlier one: the blobs come back whole
			f = newCmpFleet(seed, 5000)
		}
		p, err := db.CreatePass(NewPass{Created: at, Sources: []*SourceData{f.source(at)}})
		require.NoError(t, err)
		require.NoError(t, db.Update(func(tx *Tx) error { return tx.Deltify(p.ID) }))
		want = append(want, f.snapshot())
		f.churn(30)
	}
	for i, w := range want {
		require.Equal(t, w, readSnapshot(t, db, int64(i+1)), "pass %d", i+1)
	}
	u, err := db.Usage()
	require.NoError(t, err)
	t.Logf("usage %+v", u)
	require.Greater(t, u.Deltas, 10)
	require.Less(t, u.DeltaBytes, u.WholeBytes/2, "deltas of a 1%% change are small")
	require.NoError(t, db.Check())
	require.NoError(t, db.Close())

	r, err := GC(context.Background(), path, Options{}, GCOptions{KeepLast: 5})
	require.NoError(t, err)
	require.Equal(t, []int64{1, 2, 3, 4, 5, 6, 7}, r.Removed)
	// The file is rewritten in bbolt's growth steps, so a small one can
	// keep its size (524288 before and after, for some seeds): what the
	// removed passes held is the pages in use and the blobs' bytes.
	require.LessOrEqual(t, r.After.FileBytes, r.Before.FileBytes)
	require.Less(t, r.After.UsedBytes, r.Before.UsedBytes)
	require.Less(t, r.After.WholeBytes+r.After.DeltaBytes, r.Before.WholeBytes+r.Before.DeltaBytes)
	ro, err := Open(path, Options{ReadOnly: true})
	require.NoError(t, err)
	defer ro.Close()
	require.NoError(t, ro.Check())
	for i := 7; i < 12; i++ {
		require.Equal(t, want[i], readSnapshot(t, ro, int64(i+1)), "pass %d after gc", i+1)
	}
}

// TestDeltaChainsAreBounded: no read applies more than maxChain deltas.
func TestDeltaChainsAreBounded(t *testing.T) {
	shortenChains(t, 128)
	db, _ := openCmpDB(t)
	defer db.Close()
	var hashes []string
	require.NoError(t, db.bolt.Update(func(tx *boltTx) error {
		data := make([]byte, 4096)
		for i := range maxChain + 20 {
			data = append([]byte(nil), data...) // bbolt keeps the value until commit
			data[i%len(data)]++
			h, err := putBlob(tx, data)
			if err != nil {
				return err
			}
			if len(hashes) > 0 {
				if err := deltify(tx, hashes[len(hashes)-1], h); err != nil {
					return err
				}
			}
			hashes = append(hashes, h)
		}
		return nil
	}))
	require.NoError(t, db.bolt.View(func(tx *boltTx) error {
		for _, h := range hashes {
			key := mustHex(h)
			n := 0
			for d := tx.Bucket(bucketDeltas).Get(key); d != nil; d = tx.Bucket(bucketDeltas).Get(key) {
				key, n = d[:32], n+1
			}
			require.LessOrEqual(t, n, maxChain)
			_, err := getBlob(tx, h)
			require.NoError(t, err)
		}
		return nil
	}))
}

type boltTx = bolt.Tx

// shortenChains sets maxChain to n for the test: a test of what happens at
// the bound then needs n versions, not the default 1024.
func shortenChains(t *testing.T, n int) {
	old := maxChain
	maxChain = n
	t.Cleanup(func() { maxChain = old })
}

func mustHex(h string) []byte {
	b, err := hex.DecodeString(h)
	if err != nil {
		panic(err)
	}
	return b
}

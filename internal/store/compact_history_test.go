package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// longHistory ingests passes of a fleet of hosts, each changing about 1%
// of the hosts, and returns what each pass should read back.
func longHistory(t *testing.T, db *DB, f *cmpFleet, passes int, t0 time.Time) []map[string]string {
	var want []map[string]string
	for i := range passes {
		at := t0.Add(time.Duration(i) * time.Hour)
		_, err := db.CreatePass(NewPass{Created: at, Sources: []*SourceData{f.source(at)}})
		require.NoError(t, err)
		want = append(want, f.snapshot())
		f.churn(len(f.hosts) / 100)
	}
	return want
}

func requireReadsBack(t *testing.T, db *DB, want []map[string]string, first int64) {
	t.Helper()
	for i, w := range want {
		id := first + int64(i)
		got, err := readGroups(db, id)
		require.NoError(t, err)
		require.Equal(t, w, got, "pass %d", id)
	}
}

// readGroups is readSnapshot through each attribute's value groups, which
// is much cheaper than a lookup per host and reads the same blobs.
func readGroups(db *DB, id int64) (map[string]string, error) {
	out := map[string]string{}
	err := db.View(func(tx *Tx) error {
		p, err := tx.Pass(id)
		if err != nil {
			return err
		}
		vals := map[uint32][]string{}
		for _, name := range []string{"lifecycle", "rank", "ip", "flag"} {
			a, ok, err := p.Attr(name)
			if err != nil || !ok {
				return fmt.Errorf("pass %d: attribute %s: %v", id, name, err)
			}
			for _, g := range a.Groups() {
				it := g.Hosts.Iterator()
				for it.HasNext() {
					h := it.Next()
					vals[h] = append(vals[h], g.Value.String())
				}
			}
		}
		it := p.All().Iterator()
		for it.HasNext() {
			h := it.Next()
			out[tx.dict.Name(h)] = strings.Join(vals[h], " ")
		}
		return nil
	})
	return out, err
}

func dataBytes(t *testing.T, db *DB) int64 {
	u, err := db.Usage()
	require.NoError(t, err)
	return u.WholeBytes + u.DeltaBytes
}

// TestLongHistoryStaysSmallAndBounded: 300 passes at 1% churn all read back
// exactly what was ingested; each pass's deltas take under 2% of a pass;
// no chain is longer than maxChain deltas or holds more delta bytes than
// chainBytes times the version it rebuilds; gc keeps those bounds. (In a
// fleet this small a manifest delta weighs as much as the attributes',
// and a bool attribute's bitmaps sometimes change past what a delta pays
// for, so the blobs end at 3.2-4.8x one pass's by seed; the 100,000-host
// figures are in docs/performance.md.)
func TestLongHistoryStaysSmallAndBounded(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	db, path := openCmpDB(t)
	f := newCmpFleet(seed, 2000)
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	want := longHistory(t, db, f, 1, t0)
	one := dataBytes(t, db)
	want = append(want, longHistory(t, db, f, 299, t0.Add(time.Hour))...)
	all := dataBytes(t, db)
	u, err := db.Usage()
	require.NoError(t, err)
	kf := keyframeBytes(t, db)
	t.Logf("blob bytes: one pass %d, 300 passes %d (%.2fx): %d in keyframes, %d in %d deltas", one, all, float64(all)/float64(one), kf, u.DeltaBytes, u.Deltas)
	require.Less(t, u.DeltaBytes, 299*one/50, "the deltas of 1%% churn take under 2%% of a pass each")
	requireReadsBack(t, db, want, 1)
	st := chainStats(t, db, true)
	t.Logf("chains: %+v", st)
	require.LessOrEqual(t, st.maxDepth, maxChain)
	require.Positive(t, st.deltas)
	require.NoError(t, db.Check())
	require.NoError(t, db.Close())

	_, err = GC(t.Context(), path, Options{}, GCOptions{KeepLast: 150})
	require.NoError(t, err)
	ro, err := Open(path, Options{ReadOnly: true})
	require.NoError(t, err)
	defer ro.Close()
	requireReadsBack(t, ro, want[150:], 151)
	chainStats(t, ro, true)
	require.NoError(t, ro.Check())
}

// keyframeBytes is the size of the whole blobs the newest pass does not
// hold: the versions kept whole inside the history.
func keyframeBytes(t *testing.T, db *DB) int64 {
	var n int64
	require.NoError(t, db.bolt.View(func(tx *bolt.Tx) error {
		p, err := getPass(tx, latestID(tx))
		if err != nil {
			return err
		}
		newest := map[string]bool{p.All: true}
		for _, h := range p.Sets {
			newest[h] = true
		}
		for _, s := range p.Sources {
			m, err := getManifest(tx, s.Manifest)
			if err != nil {
				return err
			}
			newest[s.Manifest], newest[m.Hosts] = true, true
			for _, a := range m.Attrs {
				newest[a.Blob] = true
			}
			for _, h := range m.Sets {
				newest[h] = true
			}
		}
		return tx.Bucket(bucketBlobs).ForEach(func(k, v []byte) error {
			if !newest[hex.EncodeToString(k)] {
				n += int64(len(v))
			}
			return nil
		})
	}))
	return n
}

type chainSummary struct {
	deltas, maxDepth int
	maxBytesRatio    float64
}

// chainStats walks every delta's chain to its whole blob and checks the
// bounds deltify keeps: at most maxChain deltas, and (with bytes, for
// chains made under the byte bound) at most chainBytes times the size of
// the last delta's version in delta bytes. (That version was deltified
// last, with a bound covering every chain through it.)
func chainStats(t *testing.T, db *DB, bytes bool) chainSummary {
	t.Helper()
	var s chainSummary
	require.NoError(t, db.bolt.View(func(tx *bolt.Tx) error {
		deltas := tx.Bucket(bucketDeltas)
		return deltas.ForEach(func(k, v []byte) error {
			s.deltas++
			depth, n := 0, 0
			last := k
			for key := k; ; {
				d := deltas.Get(key)
				if d == nil {
					break
				}
				depth, n, last = depth+1, n+len(d)-sha256.Size, key
				key = d[:sha256.Size]
			}
			lv, err := getBlob(tx, hex.EncodeToString(last))
			require.NoError(t, err)
			ratio := float64(n) / float64(len(lv))
			require.LessOrEqual(t, depth, maxChain, "chain of %x", k[:6])
			require.True(t, !bytes || ratio <= float64(chainBytesNum)/chainBytesDen, "chain of %x: %d delta bytes, last version %d bytes", k[:6], n, len(lv))
			s.maxDepth = max(s.maxDepth, depth)
			s.maxBytesRatio = max(s.maxBytesRatio, ratio)
			return nil
		})
	}))
	return s
}

// TestLegacyDeltasStillRead: a file whose deltas are in the format before
// the format byte, with chain bounds of depth alone (as fleetq wrote
// them), reads back every pass, and later passes extend its chains.
func TestLegacyDeltasStillRead(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	db, _ := openCmpDB(t)
	defer db.Close()
	f := newCmpFleet(seed, 1000)
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	want := longHistory(t, db, f, 40, t0)
	require.NoError(t, db.bolt.Update(toLegacyDeltas))
	requireReadsBack(t, db, want, 1)
	want = append(want, longHistory(t, db, f, 40, t0.Add(40*time.Hour))...)
	requireReadsBack(t, db, want, 1)
	chainStats(t, db, false)
	require.NoError(t, db.Check())
}

// toLegacyDeltas rewrites every delta in the legacy format and every
// chain bound as a depth alone.
func toLegacyDeltas(tx *bolt.Tx) error {
	deltas := tx.Bucket(bucketDeltas)
	rewritten := map[string][]byte{}
	err := deltas.ForEach(func(k, v []byte) error {
		target, _, err := rebuildDelta(tx, k)
		if err != nil {
			return err
		}
		base, err := getBlob(tx, hex.EncodeToString(v[:sha256.Size]))
		if err != nil {
			return err
		}
		ops, _ := matchOps(base, target, len(target))
		d := append(append([]byte(nil), v[:sha256.Size]...), legacyDelta(target, ops)...)
		rewritten[string(k)] = d
		return nil
	})
	if err != nil {
		return err
	}
	for k, v := range rewritten {
		if err := deltas.Put([]byte(k), v); err != nil {
			return err
		}
	}
	chains := tx.Bucket(bucketChains)
	legacy := map[string]uint64{}
	_ = chains.ForEach(func(k, _ []byte) error {
		legacy[string(k)] = getChain(tx, k).depth
		return nil
	})
	for k, depth := range legacy {
		if err := chains.Put([]byte(k), binary.AppendUvarint(nil, depth)); err != nil {
			return err
		}
	}
	return nil
}

func legacyDelta(target []byte, ops []copyOp) []byte {
	d := binary.AppendUvarint(nil, uint64(len(target)))
	for _, op := range ops {
		d = appendInsert(d, op.lit)
		if op.n > 0 {
			d = appendCopy(d, op.off, op.n)
		}
	}
	return d
}

// TestDamagedDeltaNamesThePass: a byte flipped anywhere in a stored delta
// fails the read of every pass that needs it with ErrCorrupt and the
// pass's number, never a wrong value or a panic.
func TestDamagedDeltaNamesThePass(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 3))
	db, _ := openCmpDB(t)
	defer db.Close()
	f := newCmpFleet(seed, 1000)
	want := longHistory(t, db, f, 6, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	var keys [][]byte
	require.NoError(t, db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDeltas).ForEach(func(k, _ []byte) error {
			keys = append(keys, append([]byte(nil), k...))
			return nil
		})
	}))
	require.NotEmpty(t, keys)
	for range 30 {
		k := keys[r.IntN(len(keys))]
		var orig []byte
		require.NoError(t, db.bolt.Update(func(tx *bolt.Tx) error {
			v := tx.Bucket(bucketDeltas).Get(k)
			orig = append([]byte(nil), v...)
			bad := append([]byte(nil), v...)
			bad[r.IntN(len(bad))] ^= byte(1 + r.IntN(255))
			return tx.Bucket(bucketDeltas).Put(k, bad)
		}))
		failed := 0
		for i := range want {
			id := int64(i + 1)
			got, err := readSnapshotErr(db, id)
			if err != nil {
				require.ErrorIs(t, err, ErrCorrupt)
				require.Contains(t, err.Error(), fmt.Sprintf("pass %d:", id))
				failed++
				continue
			}
			require.Equal(t, want[i], got, "pass %d read a wrong answer", id)
		}
		require.Positive(t, failed, "a damaged delta of %x read as intact", k[:6])
		require.NoError(t, db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketDeltas).Put(k, orig) }))
	}
}

package store

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/fleetq/fleetq/internal/fleet"
)

// blobSeed is a random seed, printed; FLEETQ_BLOB_SEED=N replays one.
func blobSeed(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("FLEETQ_BLOB_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (FLEETQ_BLOB_SEED=%d replays it)", seed, seed)
	return rand.New(rand.NewPCG(seed, 7))
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	if n > len(frameMagic) && r.IntN(4) == 0 {
		copy(b, frameMagic) // bytes that start like a frame
	}
	return b
}

// TestChunkedBlobRoundTrip frames random blobs of random sizes and chunk
// sizes and reads them back whole and in random spans.
func TestChunkedBlobRoundTrip(t *testing.T) {
	r := blobSeed(t)
	for trial := 0; trial < 300; trial++ {
		shift := uint8(minChunkShift + r.IntN(3))
		data := randomBytes(r, r.IntN(6<<shift))
		key, value := frameBlob(data, shift)
		b, ok := parseFrame(key, value, true)
		require.True(t, ok, "trial %d: %d bytes", trial, len(data))
		require.Equal(t, len(data) > 1<<shift, b.sums != nil, "trial %d: chunked iff more than one chunk", trial)
		if b.sums == nil {
			require.Equal(t, sumOf(data), key)
		}
		require.True(t, blobMatches(key, value))
		for i := 0; i < 20 && len(data) > 0; i++ {
			off := r.IntN(len(data))
			n := r.IntN(len(data) - off + 1)
			got, err := b.span(uint64(off), uint64(n))
			require.NoError(t, err)
			require.Equal(t, data[off:off+n], got)
		}
		all, err := b.all()
		require.NoError(t, err)
		require.True(t, bytes.Equal(data, all))
		_, err = b.span(uint64(len(data)), 1)
		require.ErrorIs(t, err, ErrCorrupt)
	}
}

// TestChunkedBlobFindsAFlippedByte flips one byte anywhere in a chunked
// blob: a flip in the header fails the open; a flip in a chunk fails
// every read that touches that chunk and no other.
func TestChunkedBlobFindsAFlippedByte(t *testing.T) {
	r := blobSeed(t)
	for trial := 0; trial < 300; trial++ {
		shift := uint8(minChunkShift + r.IntN(2))
		data := randomBytes(r, 1<<shift+1+r.IntN(8<<shift))
		key, value := frameBlob(data, shift)
		hdr := len(value) - len(data)
		pos := r.IntN(len(value))
		damaged := append([]byte(nil), value...)
		damaged[pos] ^= byte(1 + r.IntN(255))
		require.False(t, blobMatches(key, damaged), "trial %d: flip at %d", trial, pos)
		b, ok := parseFrame(key, damaged, true)
		if pos < hdr {
			require.False(t, ok, "trial %d: a flip in the header at %d opens", trial, pos)
			continue
		}
		require.True(t, ok)
		bad := (pos - hdr) >> shift
		for c := 0; c<<shift < len(data); c++ {
			off := c<<shift + r.IntN(min(1<<shift, len(data)-c<<shift))
			got, err := b.span(uint64(off), 1)
			if c == bad {
				require.ErrorIs(t, err, ErrCorrupt, "trial %d: chunk %d", trial, c)
			} else {
				require.NoError(t, err, "trial %d: chunk %d", trial, c)
				require.Equal(t, data[off], got[0])
			}
		}
	}
}

// TestWholeBlobThatLooksFramed: a blob an older fleetq stored whole whose
// bytes happen to be a valid frame still reads as its own bytes.
func TestWholeBlobThatLooksFramed(t *testing.T) {
	r := blobSeed(t)
	_, value := frameBlob(randomBytes(r, 3<<minChunkShift), minChunkShift)
	b, ok := parseFrame(sumOf(value), value, true)
	require.True(t, ok)
	all, err := b.all()
	require.NoError(t, err)
	require.Equal(t, value, all)
}

func blobTestDB(t *testing.T) *bolt.DB {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "b.db"), 0o600, nil)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket(bucketBlobs)
		return err
	}))
	return db
}

// TestBlobsInTheFile: putBlob frames large blobs, getBlob reads them and
// the whole blobs an older fleetq wrote, and a chunked blob kept as a
// delta rebuilds and verifies.
func TestBlobsInTheFile(t *testing.T) {
	r := blobSeed(t)
	db := blobTestDB(t)
	old := randomBytes(r, 5<<blobChunkShift)
	cur := append([]byte(nil), old...)
	cur[r.IntN(len(cur))] ^= 1
	legacy := randomBytes(r, 3<<blobChunkShift)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		oh, err := putBlob(tx, old)
		require.NoError(t, err)
		ch, err := putBlob(tx, cur)
		require.NoError(t, err)
		require.NoError(t, tx.Bucket(bucketBlobs).Put(sumOf(legacy), legacy))
		require.NoError(t, deltify(tx, oh, ch))
		require.Nil(t, tx.Bucket(bucketBlobs).Get(mustHex(oh)), "the old version is kept as a delta")
		for h, want := range map[string][]byte{oh: old, ch: cur, fmt.Sprintf("%x", sumOf(legacy)): legacy} {
			got, err := getBlob(tx, h)
			require.NoError(t, err)
			require.True(t, bytes.Equal(want, got))
		}
		return nil
	}))
}

// hostValueColumns are random columns of every encoding over n hosts with
// global ids ids (some hosts without a value).
func hostValueColumns(r *rand.Rand, n int) []*Column {
	var cols []*Column
	for _, c := range []struct {
		name string
		t    fleet.Type
		card int
	}{{"b", fleet.Bool, 2}, {"few", fleet.String, 7}, {"many", fleet.String, n}, {"num", fleet.Number, n}, {"sampled", fleet.Number, n}, {"t", fleet.Time, n}} {
		col := NewColumn(c.name, c.t, n)
		if c.name == "sampled" {
			col.TS = make([]int64, n)
		}
		for i := 0; i < n; i++ {
			if r.IntN(10) == 0 {
				continue
			}
			col.Has[i] = true
			v := r.IntN(c.card)
			switch c.t {
			case fleet.Bool:
				col.Bool[i] = v == 1
			case fleet.String:
				col.Str[i] = "v" + strconv.Itoa(v) + string(make([]byte, r.IntN(3)))
			case fleet.Number:
				col.Num[i] = r.NormFloat64() * 1e3
				if col.TS != nil {
					col.TS[i] = r.Int64()
				}
			case fleet.Time:
				col.Time[i] = r.Int64N(1 << 40)
			}
		}
		cols = append(cols, col)
	}
	return cols
}

// TestHostValueMatchesDecode checks the in-place read of one host's value
// against the whole decode, for every host of random columns of every
// encoding, and, with one byte of the blob flipped, that every read is the
// intact value or ErrCorrupt.
func TestHostValueMatchesDecode(t *testing.T) {
	r := blobSeed(t)
	const n = 20_000
	ids := make([]uint32, n)
	for i, id := range r.Perm(2 * n)[:n] {
		ids[i] = uint32(id)
	}
	order := idOrder(ids)
	for _, col := range hostValueColumns(r, n) {
		data, err := encodeColumn(col, ids, order)
		require.NoError(t, err)
		key, value := frameBlob(data, minChunkShift)
		ref, err := decodeAttr(data)
		require.NoError(t, err)
		b, ok := parseFrame(key, value, true)
		require.True(t, ok)
		for i := 0; i < 1500; i++ {
			id := uint32(r.IntN(2*n + 3)) // past the last id too
			if i < len(ids) && i < 20 {
				id = ids[order[len(order)-1-i]] // the last hosts: the longest walks
			}
			want, wok := ref.Value(id)
			got, gok, known, err := blobHostValue(b, id)
			if err != nil || !known || wok != gok || want != got {
				t.Fatalf("%s: host %d: in place %v %v %v %v, decoded %v %v", col.Name, id, got, gok, known, err, want, wok)
			}
		}
		damaged := append([]byte(nil), value...)
		damaged[len(value)-len(data)+r.IntN(len(data))] ^= byte(1 + r.IntN(255))
		b, ok = parseFrame(key, damaged, true)
		require.True(t, ok)
		failed := 0
		for i := 0; i < 400; i++ {
			id := uint32(r.IntN(2 * n))
			want, wok := ref.Value(id)
			got, gok, _, err := blobHostValue(b, id)
			if err != nil {
				require.True(t, errors.Is(err, ErrCorrupt), "%s: %v", col.Name, err)
				failed++
				continue
			}
			require.Equal(t, wok, gok, "%s: host %d read from a damaged blob", col.Name, id)
			require.Equal(t, want, got, "%s: host %d read from a damaged blob", col.Name, id)
		}
		t.Logf("%s: %d bytes, %d of 400 reads met the damaged chunk", col.Name, len(data), failed)
	}
}

// TestPassViewHostReads: through a pass written by CreatePass (chunked
// blobs), HostValue answers what Attr(…).Value answers and SetContains
// what Set(…).Contains answers, for hosts of every attribute and set.
func TestPassViewHostReads(t *testing.T) {
	r := blobSeed(t)
	db, _ := newTestDB(t)
	const n = 12_000
	src := &SourceData{Kind: "inventory", Name: "inventory", Path: "inv.csv", ReadAt: time.Unix(1795132800, 0), Records: n}
	for i := 0; i < n; i++ {
		src.Hosts = append(src.Hosts, fmt.Sprintf("h%05d.x", (i*7919)%n))
	}
	src.Attrs = hostValueColumns(r, n)
	_, err := db.CreatePass(NewPass{Created: time.Unix(1795132800, 0), Sources: []*SourceData{src}})
	require.NoError(t, err)
	require.NoError(t, db.View(func(tx *Tx) error {
		p, err := tx.Pass(0)
		require.NoError(t, err)
		for i := 0; i < 300; i++ {
			id := uint32(r.IntN(n + 2))
			for _, name := range p.AttrNames() {
				got, gok, err := p.HostValue(name, id)
				require.NoError(t, err)
				a, _, err := p.Attr(name)
				require.NoError(t, err)
				want, wok := a.Value(id)
				require.Equal(t, wok, gok, "%s: host %d", name, id)
				require.Equal(t, want, got, "%s: host %d", name, id)
				delete(p.acache, name) // the next host reads in place again
			}
			for _, name := range p.SetNames() {
				in, err := p.SetContains(name, id)
				require.NoError(t, err)
				bm, _, err := p.Set(name)
				require.NoError(t, err)
				require.Equal(t, bm.Contains(id), in, "set %s: host %d", name, id)
				delete(p.cache, name)
			}
		}
		return nil
	}))
}

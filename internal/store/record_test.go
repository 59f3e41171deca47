package store

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRecordChecksum: every single-byte flip of a sealed record is
// ErrCorrupt, and a record written before the trailer still reads.
func TestRecordChecksum(t *testing.T) {
	v, err := encodeRecord(keyDefinitions, storedDefs{Text: "ok = up == 1", From: "fleet.defs"})
	require.NoError(t, err)
	var d storedDefs
	require.NoError(t, decodeRecord(keyDefinitions, v, &d))
	assert.Equal(t, storedDefs{Text: "ok = up == 1", From: "fleet.defs"}, d)
	for i := range v {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			bad := append([]byte(nil), v...)
			bad[i] ^= x
			assert.ErrorIs(t, decodeRecord(keyDefinitions, bad, &d), ErrCorrupt, "byte %d ^ %#x", i, x)
		}
	}
	assert.ErrorIs(t, decodeRecord([]byte("definitionz"), v, &d), ErrCorrupt, "a flipped key")
	old, err := json.Marshal(storedDefs{Text: "a = b", From: "old.defs"})
	require.NoError(t, err)
	require.NoError(t, decodeRecord(keyDefinitions, old, &d))
	assert.Equal(t, "old.defs", d.From)
}

// TestCounterChecksum: a sealed counter reads back, an old 8-byte one
// reads as it is, and a flip or a wrong length is ErrCorrupt.
func TestCounterChecksum(t *testing.T) {
	v := sealCounter(41)
	n, err := openCounter(v)
	require.NoError(t, err)
	assert.EqualValues(t, 41, n)
	n, err = openCounter(u64(7))
	require.NoError(t, err)
	assert.EqualValues(t, 7, n)
	v[7] ^= 2
	_, err = openCounter(v)
	assert.ErrorIs(t, err, ErrCorrupt)
	_, err = openCounter(v[:5])
	assert.ErrorIs(t, err, ErrCorrupt)
}

// TestDamagedMetaPageIsCorrupt: with one of bbolt's two meta pages
// invalid, readers and writers refuse the file instead of answering from
// the older transaction.
func TestDamagedMetaPageIsCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := Open(path, Options{Create: true})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[metaOffset+metaTxid] ^= 4 // page 0's txid: its checksum fails
	require.NoError(t, os.WriteFile(path, data, 0o644))
	for _, ro := range []bool{true, false} {
		_, err := Open(path, Options{ReadOnly: ro, Timeout: time.Second})
		assert.ErrorIs(t, err, ErrCorrupt, "read-only %v", ro)
		assert.ErrorContains(t, err, "bbolt meta page 0 is damaged")
	}
}

// TestMissingDictionaryChunkIsCorrupt: a host id below the host count
// whose chunk is gone (a damaged key or page) fails the read, never an
// empty host name.
func TestMissingDictionaryChunkIsCorrupt(t *testing.T) {
	db, _ := newTestDB(t)
	_, err := db.CreatePass(hostsPass("a1.x", "a2.x"))
	require.NoError(t, err)
	require.NoError(t, db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketHosts).Delete(u32(0)) }))
	err = db.View(func(tx *Tx) error {
		p, err := tx.Pass(0)
		if err != nil {
			return err
		}
		assert.Equal(t, []string{"", ""}, tx.Hosts().Names(p.All()), "what the damage reads as")
		return nil
	})
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.ErrorContains(t, err, "host dictionary chunk 0: corrupt data: missing (the dictionary holds 2 names)")
}

// TestLegacyDictionaryIsSealedOnFirstWrite: chunks an older fleetq wrote
// without a checksum (beside an unsealed 4-byte host count) read as they
// are; the first write that adds a host seals them with the count, and
// from then on a chunk without a valid checksum is damage.
func TestLegacyDictionaryIsSealedOnFirstWrite(t *testing.T) {
	db, _ := newTestDB(t)
	_, err := db.CreatePass(hostsPass("a1.x", "a2.x"))
	require.NoError(t, err)
	legacy := []byte("\x04a1.x\x04a2.x")
	setLegacy := func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketHosts).Put(u32(0), legacy); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyNHosts, []byte{0, 0, 0, 2})
	}
	names := func() ([]string, error) {
		var out []string
		err := db.View(func(tx *Tx) error {
			p, err := tx.Pass(0)
			if err == nil {
				out = tx.Hosts().Names(p.All())
			}
			return err
		})
		return out, err
	}
	require.NoError(t, db.bolt.Update(setLegacy))
	got, err := names()
	require.NoError(t, err, "an older fleetq's dictionary reads")
	assert.Equal(t, []string{"a1.x", "a2.x"}, got)

	_, err = db.CreatePass(hostsPass("a1.x", "a2.x", "a3.x"))
	require.NoError(t, err)
	require.NoError(t, db.bolt.View(func(tx *bolt.Tx) error {
		assert.Len(t, tx.Bucket(bucketMeta).Get(keyNHosts), 12, "the count is sealed")
		_, err := openChunk(tx.Bucket(bucketHosts).Get(u32(0)), true)
		return err
	}), "the old chunk was sealed with it")
	require.NoError(t, db.Check())

	require.NoError(t, db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketHosts).Put(u32(0), []byte("\x04a1.x\x04a2.x\x04a3.x")) }))
	_, err = names()
	assert.ErrorIs(t, err, ErrCorrupt, "beside a sealed count, a chunk without its checksum is damage")
}

// TestIngestOnADamagedDictionaryChunkFails: a writer that meets a chunk
// failing its checksum writes nothing (the chunk's hosts would otherwise
// get second ids).
func TestIngestOnADamagedDictionaryChunkFails(t *testing.T) {
	db, path := newTestDB(t)
	_, err := db.CreatePass(hostsPass("a1.x", "a2.x"))
	require.NoError(t, err)
	require.NoError(t, db.bolt.Update(func(tx *bolt.Tx) error {
		v := append([]byte(nil), tx.Bucket(bucketHosts).Get(u32(0))...)
		v[1] ^= 0x20 // "a1.x" → "A1.x", the checksum no longer matches
		return tx.Bucket(bucketHosts).Put(u32(0), v)
	}))
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	_, err = db.CreatePass(hostsPass("a1.x", "a2.x", "a3.x"))
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.ErrorContains(t, err, "host dictionary chunk 0: corrupt data: checksum mismatch")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "nothing written")
}

// TestScanLookupMatchesTheIndex: a lookup of a few names (a scan of the
// chunks in place) finds what the name → id map finds, across chunks,
// with the same missing names.
func TestScanLookupMatchesTheIndex(t *testing.T) {
	db, _ := newTestDB(t)
	hosts := make([]string, 3*chunkSize+17)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("h%05d.x", i)
	}
	_, err := db.CreatePass(hostsPass(hosts...))
	require.NoError(t, err)
	queries := [][]string{
		{"h00000.x"}, {hosts[len(hosts)-1]}, {"h01024.x", "h02048.x", "nope.x"},
		{"nope.x", "nope.x"}, {"h00007.x", "h00007.x"}, {},
	}
	require.NoError(t, db.View(func(tx *Tx) error {
		for _, q := range queries {
			got, gotMissing := tx.dict.scanLookup(q)
			idx := newDict(tx.btx)
			idx.index()
			want, wantMissing := idx.Lookup(q)
			assert.True(t, want.Equals(got), "%v: %v, want %v", q, got, want)
			assert.Equal(t, wantMissing, gotMissing, "%v", q)
		}
		return tx.Err()
	}))
}

// newTestDB is a new database in a temp directory, closed at cleanup.
func newTestDB(t *testing.T) (*DB, string) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := Open(path, Options{Create: true})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db, path
}

// hostsPass is a pass of one host list named up.
func hostsPass(names ...string) NewPass {
	return NewPass{Created: time.Unix(1795132800, 0), Sources: []*SourceData{{Kind: "hosts", Name: "up", Path: "up", Hosts: names}}}
}

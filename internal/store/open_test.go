package store_test

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

func TestOpenMissingCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "typo.db")
	for _, opts := range []store.Options{{}, {ReadOnly: true}, {ReadOnly: true, Create: true}} {
		_, err := store.Open(path, opts)
		assert.ErrorIs(t, err, store.ErrNoDatabase, "%+v", opts)
		assert.EqualError(t, err, path+": no such database")
		assert.NoFileExists(t, path)
		assert.NoFileExists(t, path+".writer")
	}
	_, err := store.Open(filepath.Join(dir, "no", "such", "dir.db"), store.Options{Create: true})
	assert.Error(t, err)
	assert.NotErrorIs(t, err, store.ErrNoDatabase, "a missing directory is not a missing database")
	notDir := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(notDir, nil, 0o644))
	_, err = store.Open(filepath.Join(notDir, "x.db"), store.Options{ReadOnly: true})
	assert.NotErrorIs(t, err, store.ErrNoDatabase, "a path through a file is not a missing database")
	assert.ErrorContains(t, err, "not a directory")
}

func TestOpenNotFleetq(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return p
	}
	otherBolt := filepath.Join(dir, "other.bolt")
	b, err := bolt.Open(otherBolt, 0o644, nil)
	require.NoError(t, err)
	require.NoError(t, b.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("widgets"))
		return err
	}))
	require.NoError(t, b.Close())
	emptyBolt := filepath.Join(dir, "empty.bolt")
	b, err = bolt.Open(emptyBolt, 0o644, nil)
	require.NoError(t, err)
	require.NoError(t, b.Close())

	files := map[string]string{
		"short text":    write("notes.txt", []byte("host\nweb1\n")),
		"long text":     write("big.csv", []byte(strings.Repeat("host,role\nweb1,web\n", 4000))),
		"zeros":         write("zeros.bin", make([]byte, 64<<10)),
		"other bolt":    otherBolt,
		"bolt, no meta": emptyBolt,
	}
	for name, path := range files {
		for _, ro := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/ro=%v", name, ro), func(t *testing.T) {
				if name == "bolt, no meta" && !ro {
					t.Skip("a writer turns an empty bbolt file into a fleetq database")
				}
				storetest.RequireNoChange(t, path, func() {
					db, err := store.Open(path, store.Options{ReadOnly: ro, Timeout: time.Second})
					if db != nil {
						db.Close()
					}
					assert.ErrorIs(t, err, store.ErrNotFleetq)
					if err != nil {
						assert.True(t, strings.HasPrefix(err.Error(), path+": "), "error names the file: %v", err)
					}
				})
				assert.NoFileExists(t, path+".writer")
			})
		}
	}
}

func TestOpenCreatesAndReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	db, err := store.Open(path, store.Options{Create: true, Owner: "test"})
	require.NoError(t, err)
	assert.Equal(t, path, db.Path())
	note, err := os.ReadFile(path + ".writer")
	require.NoError(t, err)
	assert.Contains(t, string(note), fmt.Sprintf(`{"pid":%d,"start":"`, os.Getpid()))
	assert.Contains(t, string(note), `"command":"test","since":"`)
	size, err := db.Size()
	require.NoError(t, err)
	assert.Positive(t, size)
	require.NoError(t, db.Close())
	assert.NoFileExists(t, path+".writer", "the lock note goes with the lock")

	ro, err := store.Open(path, store.Options{ReadOnly: true})
	require.NoError(t, err)
	require.NoError(t, ro.View(func(tx *store.Tx) error {
		ps, err := tx.Passes()
		assert.Empty(t, ps)
		return err
	}))
	require.NoError(t, ro.Check())
	require.NoError(t, ro.Close())
}

// TestHelperHoldLock is not a test: TestSecondWriterLocked runs it in a
// child process to hold the write lock until its stdin closes.
func TestHelperHoldLock(t *testing.T) {
	path := os.Getenv("FLEETQ_TEST_HOLD_LOCK")
	if path == "" {
		t.Skip("helper process")
	}
	db, err := store.Open(path, store.Options{Owner: "lock holder"})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	fmt.Println("locked")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	db.Close()
	os.Exit(0)
}

func TestSecondWriterLocked(t *testing.T) {
	db := storetest.Open(t)
	create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("inventory", "inventory", "a")}})
	path := db.Path()
	require.NoError(t, db.Close())

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$")
	cmd.Env = append(os.Environ(), "FLEETQ_TEST_HOLD_LOCK="+path)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Wait() }()
	defer stdin.Close()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)

	for _, ro := range []bool{false, true} {
		_, err = store.Open(path, store.Options{ReadOnly: ro, Timeout: 200 * time.Millisecond})
		require.ErrorIs(t, err, store.ErrLocked, "read-only=%v", ro)
		assert.Contains(t, err.Error(), path+": database is locked: held by pid "+fmt.Sprint(cmd.Process.Pid)+" (lock holder, user ")
	}

	// Within one process a second handle is refused the same way (flock
	// locks belong to the open file, not the process).
	stdin.Close()
	require.NoError(t, cmd.Wait())
	first, err := store.Open(path, store.Options{Owner: "first"})
	require.NoError(t, err)
	_, err = store.Open(path, store.Options{Timeout: 100 * time.Millisecond})
	assert.ErrorIs(t, err, store.ErrLocked)
	assert.Contains(t, err.Error(), fmt.Sprintf("held by pid %d (first, user ", os.Getpid()))
	require.NoError(t, first.Close())

	// Readers share the lock with each other.
	r1, err := store.Open(path, store.Options{ReadOnly: true, Timeout: 100 * time.Millisecond})
	require.NoError(t, err)
	r2, err := store.Open(path, store.Options{ReadOnly: true, Timeout: 100 * time.Millisecond})
	require.NoError(t, err)
	_, err = store.Open(path, store.Options{Timeout: 100 * time.Millisecond})
	assert.ErrorIs(t, err, store.ErrLocked)
	assert.Contains(t, err.Error(), "held by a reader or a writer that left no note")
	r1.Close()
	r2.Close()
}

// TestReadOnlyLeavesFileIdentical opens the file read-only and reads
// everything a query, `passes`, `sets`, `host` or `diff` would.
func TestReadOnlyLeavesFileIdentical(t *testing.T) {
	db := storetest.Open(t)
	inv := newSource("inventory", "inventory", "a", "b", "c")
	inv.Attrs = []*store.Column{
		{Name: "role", Type: fleet.String, Str: []string{"x", "y", "x"}},
		{Name: "ok", Type: fleet.Bool, Bool: []bool{true, false, true}},
	}
	create(t, db, store.NewPass{Sources: []*store.SourceData{inv}})
	create(t, db, store.NewPass{Created: t0.Add(time.Hour), Sources: []*store.SourceData{newSource("hdfs", "hdfs", "b", "q")}})
	path := db.Path()
	require.NoError(t, db.Close())

	storetest.RequireNoChange(t, path, func() {
		ro, err := store.Open(path, store.Options{ReadOnly: true})
		require.NoError(t, err)
		defer ro.Close()
		require.NoError(t, ro.View(func(tx *store.Tx) error {
			ps, err := tx.Passes()
			require.NoError(t, err)
			require.Len(t, ps, 2)
			for _, p := range ps {
				v, err := tx.Pass(p.ID)
				require.NoError(t, err)
				for _, name := range v.SetNames() {
					bm, ok, err := v.Set(name)
					require.NoError(t, err)
					require.True(t, ok, name)
					tx.Hosts().Names(bm)
				}
				for _, name := range v.AttrNames() {
					a, ok, err := v.Attr(name)
					require.NoError(t, err)
					require.True(t, ok)
					a.Groups()
				}
			}
			_, err = tx.Resolve(2, fleet.PassRef{Rel: -1})
			require.NoError(t, err)
			tx.Hosts().Lookup([]string{"a", "zz"})
			return nil
		}))
		require.NoError(t, ro.Check())
		_, err = ro.CreatePass(store.NewPass{Sources: []*store.SourceData{newSource("inventory", "inventory", "a")}})
		assert.Error(t, err, "a read-only handle cannot write")
	})
}

// TestFailedCreatePassChangesNothing: every refused pass leaves the pass
// list and the file byte-identical, and the next pass gets the next id.
func TestFailedCreatePassChangesNothing(t *testing.T) {
	db := storetest.Open(t)
	create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("inventory", "inventory", "a.x", "b.x")}})
	toShort := func(_ *store.Inventory, src *store.SourceData) []string {
		for i := range src.Hosts {
			src.Hosts[i] = "a.x"
		}
		return nil
	}
	badType := newSource("inventory", "inventory", "n1")
	badType.Attrs = []*store.Column{{Name: "weird", Type: fleet.Type(99)}}
	for _, tc := range []struct {
		name string
		np   store.NewPass
		msg  string
	}{
		{"duplicate after mapping", store.NewPass{Sources: []*store.SourceData{newSource("hdfs", "hdfs", "a", "b")}, MapHosts: toShort},
			"hdfs.src: host a.x listed twice after mapping"},
		{"source named all", store.NewPass{Sources: []*store.SourceData{newSource("hosts", "all", "a")}},
			`all.src: the set name "all" is reserved`},
		{"duplicate host", store.NewPass{Sources: []*store.SourceData{newSource("hosts", "dead", "a", "a")}},
			"dead.src: host a listed twice after mapping"},
		{"empty host", store.NewPass{Sources: []*store.SourceData{newSource("hosts", "dead", "a", "")}},
			"dead.src: empty host key"},
		{"source twice", store.NewPass{Sources: []*store.SourceData{newSource("hosts", "dead", "a"), newSource("hosts", "dead", "b")}},
			"source hosts:dead given twice (name one of them: hosts:NAME=PATH)"},
		{"bad attribute type", store.NewPass{Sources: []*store.SourceData{newSource("hosts", "new", "brand-new-host"), badType}},
			"inventory.src: attribute weird: unknown type Type(99)"},
		{"column length", store.NewPass{Sources: []*store.SourceData{{Kind: "inventory", Name: "inventory", Path: "inv.csv",
			Hosts: []string{"p", "q"}, Attrs: []*store.Column{{Name: "role", Type: fleet.String, Str: []string{"x"}}}}}},
			"inv.csv: attribute role has 1 values for 2 hosts"},
		{"set index", store.NewPass{Sources: []*store.SourceData{{Kind: "inventory", Name: "inventory", Path: "inv.csv",
			Hosts: []string{"p"}, Sets: map[string][]uint32{"s": {3}}}}},
			"inv.csv: set s names host 3 of 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.RequireNoChange(t, db.Path(), func() {
				_, err := db.CreatePass(tc.np)
				assert.EqualError(t, err, tc.msg)
			})
			require.NoError(t, db.View(func(tx *store.Tx) error {
				ps, err := tx.Passes()
				assert.Len(t, ps, 1)
				assert.Equal(t, uint32(2), tx.Hosts().Len())
				return err
			}))
		})
	}
	p := create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("hosts", "dead", "a.x")}})
	assert.Equal(t, int64(2), p.ID, "refused passes use no ids")
}

// TestCheckFindsDamage: the invariants DB.Check adds to bbolt's own.
func TestCheckFindsDamage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(tx *bolt.Tx, p *store.PassInfo) error
		msg    string
	}{
		{"missing blob", func(tx *bolt.Tx, p *store.PassInfo) error {
			return tx.Bucket(store.BucketBlobs).Delete(store.BlobKey(p.All))
		}, "missing blob"},
		{"all not the union", func(tx *bolt.Tx, p *store.PassInfo) error {
			return tx.Bucket(store.BucketBlobs).Put(store.BlobKey(p.All), bitmapBytes(0, 1))
		}, "pass 1: all: blob "}, // read-time verification finds it first

		{"id beyond dictionary", func(tx *bolt.Tx, p *store.PassInfo) error {
			return tx.Bucket(store.BucketBlobs).Put(store.BlobKey(p.All), bitmapBytes(0, 1, 2, 7))
		}, "checksum mismatch"},
		{"upper-case host", func(tx *bolt.Tx, p *store.PassInfo) error {
			return tx.Bucket(store.BucketHosts).Put([]byte{0, 0, 0, 0}, store.SealChunk([]byte("\x01a\x01B\x01c")))
		}, `host key "B" is not trimmed and lower-cased`},
		{"host with a blank", func(tx *bolt.Tx, p *store.PassInfo) error {
			return tx.Bucket(store.BucketHosts).Put([]byte{0, 0, 0, 0}, store.SealChunk([]byte("\x01a\x03b c\x01d")))
		}, `id 1: host "b c": contains a blank`},
		{"duplicate host", func(tx *bolt.Tx, p *store.PassInfo) error {
			return tx.Bucket(store.BucketHosts).Put([]byte{0, 0, 0, 0}, store.SealChunk([]byte("\x01a\x01a\x01c")))
		}, `"a" has ids 0 and 1`},
		{"pass record flipped", func(tx *bolt.Tx, p *store.PassInfo) error {
			return flipLast(tx.Bucket(store.BucketPasses), []byte{0, 0, 0, 0, 0, 0, 0, 1})
		}, "pass 1: record: corrupt data: checksum mismatch"},
		{"pass key flipped", func(tx *bolt.Tx, p *store.PassInfo) error {
			b := tx.Bucket(store.BucketPasses)
			v := append([]byte(nil), b.Get([]byte{0, 0, 0, 0, 0, 0, 0, 1})...)
			return b.Put([]byte{0, 0, 0, 0, 0, 0, 0, 3}, v)
		}, "pass 3: record: corrupt data: checksum mismatch"}, // the checksum covers the key
		{"blob bytes not its hash", func(tx *bolt.Tx, p *store.PassInfo) error {
			sum := sha256.Sum256([]byte("what was written"))
			return tx.Bucket(store.BucketBlobs).Put(sum[:], []byte("what is read back"))
		}, "blob 96f699e082ac: its 17 bytes do not match its hash (damaged on disk)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.db")
			db, err := store.Open(path, store.Options{Create: true})
			require.NoError(t, err)
			defer db.Close()
			p, err := db.CreatePass(store.NewPass{Created: t0, Sources: []*store.SourceData{
				newSource("inventory", "inventory", "a", "b"), newSource("hdfs", "hdfs", "b", "c")}})
			require.NoError(t, err)
			require.NoError(t, db.Check())
			require.NoError(t, store.Corrupt(db, func(tx *bolt.Tx) error { return tc.damage(tx, p) }))
			err = db.Check()
			assert.ErrorIs(t, err, store.ErrCorrupt)
			assert.ErrorContains(t, err, tc.msg)
		})
	}
}

// flipLast flips a bit of the last byte of b's value at key.
func flipLast(b *bolt.Bucket, key []byte) error {
	v := append([]byte(nil), b.Get(key)...)
	v[len(v)-1] ^= 1
	return b.Put(key, v)
}

func bitmapBytes(ids ...uint32) []byte {
	b, err := roaring.BitmapOf(ids...).ToBytes()
	if err != nil {
		panic(err)
	}
	return b
}

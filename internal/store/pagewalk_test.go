package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// pageWalkFixture is a real bbolt file with what fleetq's files hold:
// nested buckets deep enough for branch pages, inline buckets, values
// spanning overflow pages, and freed pages from a deletion.
func pageWalkFixture(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "walk.db")
	b, err := bolt.Open(path, 0o644, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	require.NoError(t, err)
	require.NoError(t, b.Update(func(tx *bolt.Tx) error {
		top, err := tx.CreateBucket([]byte("top"))
		if err != nil {
			return err
		}
		for i := 0; i < 2000; i++ {
			if err := top.Put([]byte(fmt.Sprintf("key%05d", i)), bytes.Repeat([]byte{byte(i)}, 40)); err != nil {
				return err
			}
		}
		for i := 0; i < 5; i++ {
			sub, err := top.CreateBucket([]byte(fmt.Sprintf("sub%d", i)))
			if err != nil {
				return err
			}
			if err := sub.Put([]byte("small"), []byte("inline")); err != nil {
				return err
			}
			if i%2 == 0 {
				if err := sub.Put([]byte("blob"), bytes.Repeat([]byte("x"), 20000)); err != nil {
					return err
				}
			}
		}
		_, err = tx.CreateBucket([]byte("gone"))
		return err
	}))
	require.NoError(t, b.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("gone")) }))
	require.NoError(t, b.Close())
	return path
}

func fileMeta(t *testing.T, path string) meta {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	m, err := newestMeta(f, path)
	require.NoError(t, err)
	return m
}

func TestPageWalkPassesAnIntactFile(t *testing.T) {
	path := pageWalkFixture(t)
	m := fileMeta(t, path)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	n, err := walkPages(readerSource{f}, m.psz, m.hwm, m.root)
	require.NoError(t, err)
	assert.Greater(t, n, 10, "the fixture should have branch, leaf and overflow pages")
}

// TestPageWalkRefusesACycle: a branch page pointing at itself would make
// bbolt's rebuild recurse until the stack is exhausted.
func TestPageWalkRefusesACycle(t *testing.T) {
	path := pageWalkFixture(t)
	m := fileMeta(t, path)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	branch := -1
	for id := 2; id < int(m.hwm); id++ {
		p := data[id*int(m.psz):]
		if binary.LittleEndian.Uint64(p) == uint64(id) && binary.LittleEndian.Uint16(p[8:]) == branchPageFlag {
			branch = id
			break
		}
	}
	require.NotEqual(t, -1, branch, "no branch page in the fixture")
	binary.LittleEndian.PutUint64(data[branch*int(m.psz)+pageHeaderLen+8:], uint64(branch))
	_, err = walkPages(readerSource{bytes.NewReader(data)}, m.psz, m.hwm, m.root)
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.ErrorContains(t, err, "referenced twice")
}

// TestPageWalkGuardsTheFreelistRebuild flips random bytes of the pages in
// use: whenever the walk passes, a writable open (bbolt rebuilds its
// freelist in a goroutine fleetq cannot guard) in a child process neither
// crashes nor hangs.
func TestPageWalkGuardsTheFreelistRebuild(t *testing.T) {
	if os.Getenv("FLEETQ_PAGEWALK_CHILD") != "" {
		return
	}
	path := pageWalkFixture(t)
	m := fileMeta(t, path)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	dir := t.TempDir()
	passed, refused := 0, 0
	for i := 0; i < 300; i++ {
		d := bytes.Clone(data)
		page := 2 + r.IntN(int(m.hwm)-2)
		off := r.IntN(256) // headers, elements and the first keys
		if r.IntN(4) == 0 {
			off = r.IntN(int(m.psz))
		}
		d[page*int(m.psz)+off] ^= byte(1 + r.IntN(255))
		if _, err := walkPages(bytesSource(d), m.psz, m.hwm, m.root); err != nil {
			assert.ErrorIs(t, err, ErrCorrupt)
			refused++
			continue
		}
		passed++
		copyPath := filepath.Join(dir, fmt.Sprintf("t%d.db", i))
		require.NoError(t, os.WriteFile(copyPath, d, 0o644))
		cmd := exec.Command(os.Args[0], "-test.run=^TestPageWalkChild$")
		cmd.Env = append(os.Environ(), "FLEETQ_PAGEWALK_CHILD="+copyPath)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "seed %d trial %d: the child failed:\n%s", seed, i, out)
		require.Contains(t, string(out), "pagewalk-child: ", "seed %d trial %d: the child did not open the copy", seed, i)
		for _, sign := range []string{"fatal error", "goroutine ", "unexpected fault", "SIGSEGV", "SIGBUS"} {
			require.NotContains(t, string(out), sign, "seed %d trial %d (page %d byte %d): the writable open crashed", seed, i, page, off)
		}
		os.Remove(copyPath)
	}
	t.Logf("seed %d: %d flips refused by the walk, %d passed it and opened without a crash", seed, refused, passed)
}

// TestPageWalkChild is the child process: a writable open under guard.
func TestPageWalkChild(t *testing.T) {
	path := os.Getenv("FLEETQ_PAGEWALK_CHILD")
	if path == "" {
		t.Skip("the child of TestPageWalkGuardsTheFreelistRebuild")
	}
	err := guard("opening", func() error {
		b, err := bolt.Open(path, 0o644, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType, Timeout: time.Second})
		if err != nil {
			return err
		}
		defer b.Close()
		return b.Update(func(tx *bolt.Tx) error {
			_, err := tx.CreateBucketIfNotExists([]byte("new"))
			return err
		})
	})
	// Refused cleanly or opened: both are fine; a crash never prints this.
	fmt.Printf("pagewalk-child: %v\n", err)
}

// TestPageWalkUnderConcurrentWriters: readers opening while a writer
// commits never see damage. Each writer session commits many times, so
// bbolt reuses pages the tree of a few commits before used; a walk that
// read without the lock bbolt takes would see them change under it.
func TestPageWalkUnderConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := Open(path, Options{Create: true})
	require.NoError(t, err)
	_, err = db.CreatePass(NewPass{Created: time.Unix(1795132800, 0), Sources: []*SourceData{{Kind: "hosts", Name: "up", Path: "up", Hosts: []string{"a1.x"}}}})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	const sessions, commits = 40, 20
	done := make(chan error, 1)
	go func() { done <- churn(path, sessions, commits) }()
	reads := 0
	for {
		select {
		case err := <-done:
			require.NoError(t, err)
			t.Logf("%d reads while %d sessions made %d commits each", reads, sessions, commits)
			require.Positive(t, reads)
			return
		default:
		}
		// The check alone, as every open makes it: without bbolt's open
		// after it, which would wait for the writer anyway.
		require.NoError(t, checkFile(context.Background(), path, Options{ReadOnly: true}, time.Now().Add(time.Minute)), "read %d", reads)
		reads++
	}
}

// churn opens path for writing sessions times and commits commits times
// in each, rewriting a few hundred keys of a bucket.
func churn(path string, sessions, commits int) error {
	for s := 0; s < sessions; s++ {
		w, err := Open(path, Options{Timeout: time.Minute})
		if err != nil {
			return err
		}
		for c := 0; c < commits; c++ {
			err = w.bolt.Update(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists(bucketLeases)
				if err != nil {
					return err
				}
				for k := 0; k < 300; k++ {
					key := []byte(fmt.Sprintf("h%04d.x", (s*commits+c)*7+k))
					if err := b.Put(key, sealRecord(key, bytes.Repeat([]byte("v"), 60))); err != nil {
						return err
					}
					if err := b.Delete([]byte(fmt.Sprintf("h%04d.x", (s*commits+c)*7+k-150))); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				break
			}
		}
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// GCOptions choose the passes gc keeps. A pass is kept when either rule
// keeps it; the newest pass is always kept.
type GCOptions struct {
	KeepLast  int           // keep the newest KeepLast passes (0: rule off)
	KeepSince time.Duration // keep passes created at or after Now-KeepSince (0: rule off)
	Now       time.Time     // the clock for KeepSince
	DryRun    bool          // plan only: change nothing
}

// GCReport says what gc removed and what the file weighed before and after.
type GCReport struct {
	Removed       []int64 `json:"removed"`
	Kept          []int64 `json:"kept"`
	BlobsRemoved  int     `json:"blobs_removed"`
	DeltasRemoved int     `json:"deltas_removed"`
	Before        Usage   `json:"before"`
	After         Usage   `json:"after"`
	DryRun        bool    `json:"dry_run,omitempty"`
}

// GC removes the passes o does not keep, then every blob no remaining pass
// references (mark and sweep: a blob stays when a remaining pass, one of
// its source manifests, a carried source or a delta chain of a kept blob
// needs it), keeps replaced versions as deltas, and compacts the file:
// bbolt's Compact into a temporary file that atomically replaces path, all
// under the write lock. A crash at any moment leaves either the old file or
// the compacted one. When the removal is committed but compaction fails,
// GC returns the report of what it did and an error wrapping ErrCompact.
func GC(ctx context.Context, path string, opts Options, o GCOptions) (*GCReport, error) {
	if o.KeepLast <= 0 && o.KeepSince <= 0 {
		return nil, errors.New("gc: give --keep-last N or --keep-since DURATION")
	}
	opts.ReadOnly = o.DryRun
	db, err := OpenContext(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	r := &GCReport{DryRun: o.DryRun}
	if r.Before, err = db.Usage(); err != nil {
		return nil, err
	}
	if o.DryRun {
		err = db.View(func(t *Tx) error { return planGC(t.btx, o, r) })
		r.After = r.Before
		return r, err
	}
	if err := db.guard("collecting", func() error {
		return db.bolt.Update(func(tx *bolt.Tx) error { return collect(tx, o, r) })
	}); err != nil {
		return nil, err
	}
	cerr := compactFile(db)
	db = nil
	after, err := OpenContext(ctx, path, Options{ReadOnly: true, Timeout: opts.Timeout})
	if err != nil {
		return nil, errors.Join(cerr, err)
	}
	defer after.Close()
	r.After, err = after.Usage()
	if cerr != nil {
		return r, cerr
	}
	return r, err
}

// planGC fills r.Removed and r.Kept.
func planGC(tx *bolt.Tx, o GCOptions, r *GCReport) error {
	ps, err := allPasses(tx)
	if err != nil {
		return err
	}
	for i, p := range ps {
		keep := i == len(ps)-1 ||
			o.KeepLast > 0 && i >= len(ps)-o.KeepLast ||
			o.KeepSince > 0 && !p.Created.Before(o.Now.Add(-o.KeepSince))
		if keep {
			r.Kept = append(r.Kept, p.ID)
		} else {
			r.Removed = append(r.Removed, p.ID)
		}
	}
	return nil
}

// collect removes passes, re-deltifies what remains and sweeps blobs, in
// one write transaction.
func collect(tx *bolt.Tx, o GCOptions, r *GCReport) error {
	if err := planGC(tx, o, r); err != nil {
		return err
	}
	for _, id := range r.Removed {
		if err := tx.Bucket(bucketPasses).Delete(passKey(id)); err != nil {
			return err
		}
	}
	if err := deltifyKept(tx, r.Kept); err != nil {
		return err
	}
	live, err := markBlobs(tx)
	if err != nil {
		return err
	}
	if r.BlobsRemoved, err = sweep(tx.Bucket(bucketBlobs), live); err != nil {
		return err
	}
	if r.DeltasRemoved, err = sweep(tx.Bucket(bucketDeltas), live); err != nil {
		return err
	}
	_, err = sweep(tx.Bucket(bucketChains), live)
	return err
}

// deltifyKept pairs each remaining pass with the one before it, oldest
// first, so each step deltifies against a version that is still whole.
func deltifyKept(tx *bolt.Tx, kept []int64) error {
	for i := 1; i < len(kept); i++ {
		older, err := getPass(tx, kept[i-1])
		if err != nil {
			return err
		}
		newer, err := getPass(tx, kept[i])
		if err != nil {
			return err
		}
		if err := deltifyPair(tx, older, newer); err != nil {
			return err
		}
	}
	return nil
}

// markBlobs returns the keys of every blob a remaining pass needs.
func markBlobs(tx *bolt.Tx) (map[string]bool, error) {
	live := map[string]bool{}
	ps, err := allPasses(tx)
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, p := range ps {
		refs = append(refs, p.All)
		for _, h := range p.Sets {
			refs = append(refs, h)
		}
		for _, s := range p.Sources {
			if live[s.Manifest] {
				continue
			}
			m, err := getManifest(tx, s.Manifest)
			if err != nil {
				return nil, err
			}
			refs = append(refs, s.Manifest, m.Hosts)
			for _, a := range m.Attrs {
				refs = append(refs, a.Blob)
			}
			for _, h := range m.Sets {
				refs = append(refs, h)
			}
			live[s.Manifest] = true
		}
	}
	for _, h := range refs {
		markChain(tx, h, live)
	}
	return live, nil
}

// markChain marks a blob and every blob its delta chain needs.
func markChain(tx *bolt.Tx, hash string, live map[string]bool) {
	live[hash] = true
	deltas := tx.Bucket(bucketDeltas)
	if deltas == nil {
		return
	}
	key, err := hex.DecodeString(hash)
	for i := 0; err == nil && i <= 2*maxChain; i++ {
		d := deltas.Get(key)
		if len(d) < 32 {
			return
		}
		key = d[:32]
		live[hex.EncodeToString(key)] = true
	}
}

// sweep deletes every key of b that live does not name.
func sweep(b *bolt.Bucket, live map[string]bool) (int, error) {
	if b == nil {
		return 0, nil
	}
	var dead [][]byte
	err := b.ForEach(func(k, _ []byte) error {
		if !live[hex.EncodeToString(k)] {
			dead = append(dead, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	sort.Slice(dead, func(i, j int) bool { return string(dead[i]) < string(dead[j]) })
	for _, k := range dead {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(dead), nil
}

// CompactIfSparse compacts the file as gc does, and closes db, when the
// file is larger than minBytes and more than ratio times the data it
// holds. bbolt never shrinks a file and cannot reuse pages freed in the
// transaction that frees them, so an ingest that replaces blobs leaves
// free pages behind; compacting now and then keeps the file near its
// data (docs/performance.md: 100 passes at 1% churn under 3x one pass). It reports
// whether it compacted; when it did not, db stays open.
func (db *DB) CompactIfSparse(ratio float64, minBytes int64) (bool, error) {
	u, err := db.Usage()
	if err != nil {
		return false, err
	}
	data := u.WholeBytes + u.DeltaBytes + u.HostBytes + u.PassBytes
	if u.FileBytes < minBytes || float64(u.FileBytes) <= ratio*float64(data) {
		return false, nil
	}
	return true, compactFile(db)
}

// compactFile rewrites db's file without free pages and closes db. The
// compacted copy is written beside the file, synced, and renamed over it
// while db still holds the write lock. The old file is then marked as
// moved, so a process that was waiting for its lock fails cleanly instead
// of writing to a file no longer at path.
func compactFile(db *DB) error {
	tmp := db.path + ".compact"
	_ = os.Remove(tmp)
	mode := os.FileMode(0o644)
	if st, err := os.Stat(db.path); err == nil {
		mode = st.Mode().Perm()
	}
	dst, err := bolt.Open(tmp, mode, &bolt.Options{NoSync: true, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		db.Close()
		return fmt.Errorf("%w: %w", ErrCompact, err)
	}
	err = bolt.Compact(dst, db.bolt, 64<<20)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, db.path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		db.Close()
		return fmt.Errorf("%w: %w", ErrCompact, err)
	}
	syncDir(filepath.Dir(db.path))
	_ = db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyVersion, u64(0))
	})
	return db.Close()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

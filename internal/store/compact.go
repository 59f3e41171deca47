package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Storage that grows with change, not with time (docs/performance.md).
//
// A blob is content-addressed, so an unchanged set or attribute is shared
// by every pass that holds it. A changed one is a new blob; the version it
// replaced is then kept as a reverse delta against the new version
// (deltify): the newest pass always reads whole blobs in place, and an
// older pass rebuilds a blob by applying the deltas from the nearest whole
// newer version back to it.
//
// Buckets (created on first use, so older files need no migration):
//
//	deltas  blob sha256 → base sha256 (32 bytes) + delta (compact_delta_fmt.go)
//	chains  whole blob sha256 → uvarint(depth) uvarint(bytes): upper bounds
//	        on the deltas, and their bytes, applied to rebuild any blob
//	        whose chain ends at it (files written before the byte bound
//	        hold the depth alone)
//
// A delta is only ever made against a whole blob, and a whole blob never
// points anywhere, so chains cannot form cycles. A version that would make
// a chain too long or too heavy stays whole (a keyframe, see chainBytes).
var (
	bucketDeltas = []byte("deltas")
	bucketChains = []byte("chains")
)

// Keyframes: a version is kept whole rather than as one more delta when
// its chain would hold more than maxChain deltas, or more delta bytes than
// chainBytes (3/2) times the version's size: the rule of Mercurial's
// revlog, which stores a full text when the chain to read exceeds a small
// multiple of it. Rebuilding a version then reads at most 1.5 times its
// size in deltas, and keyframes cost at most 2/3 of the deltas they cut
// off. A small busy blob (a bitmap of 16 KB where 1% of the hosts flip each
// pass makes deltas of 1-2 KB) is a keyframe every 10-40 versions; a large
// quiet one (the 1.2 MB ip column, deltas of 0.1%) reaches maxChain first.
// docs/storage.md explains the trade.
const (
	chainBytesNum, chainBytesDen = 3, 2
)

// maxChain is a variable only so that tests can shorten it.
var maxChain = 1024

// minDeltaBlob is the smallest blob worth keeping as a delta.
const minDeltaBlob = 128

// rebuildDelta rebuilds a blob kept as a delta. ok is false when no delta
// of that key exists. Each step writes into the buffer the step before
// last wrote, so a chain of any length allocates two blobs.
func rebuildDelta(tx *bolt.Tx, key []byte) (out []byte, ok bool, err error) {
	deltas := tx.Bucket(bucketDeltas)
	if deltas == nil || deltas.Get(key) == nil {
		return nil, false, nil
	}
	var chain [][]byte
	var base []byte
	for k := key; base == nil; {
		d := deltas.Get(k)
		if d == nil || len(d) < sha256.Size || len(chain) > 2*maxChain {
			return nil, true, fmt.Errorf("%w: broken delta chain at %x", ErrCorrupt, k[:6])
		}
		chain = append(chain, d[sha256.Size:])
		k = d[:sha256.Size]
		base = tx.Bucket(bucketBlobs).Get(k)
	}
	if out, err = applyChain(base, chain); err != nil {
		return nil, true, err
	}
	if !blobMatches(key, out) {
		return nil, true, fmt.Errorf("%w: delta rebuilds the wrong bytes", ErrCorrupt)
	}
	return out, true, nil
}

// applyChain applies chain, newest delta last, to base. Each step writes
// into the buffer the step before last wrote, so a chain of any length
// allocates two blobs (a code-space delta, compact_dictdelta.go, makes
// its own).
func applyChain(base []byte, chain [][]byte) (out []byte, err error) {
	out = base
	var bufs [2][]byte
	var scratch []byte
	for i := len(chain) - 1; i >= 0; i-- {
		b := &bufs[i&1]
		if *b, err = applyDeltaTo(*b, out, chain[i], &scratch); err != nil {
			return nil, err
		}
		out = *b
	}
	return out, nil
}

// promoteDelta drops the delta of key, if any, before the blob is written
// whole again (a value that came back). Deltas against key stay valid. A
// chain through key was at most the old end's bounds long and key is hops
// deltas (of n bytes) from that end, so chains now ending at key are at
// most the bounds less those. (Carrying the whole bound over made a value
// that came back after a long history refuse every delta: each version
// after it stayed whole.)
func promoteDelta(tx *bolt.Tx, key []byte) error {
	deltas := tx.Bucket(bucketDeltas)
	if deltas == nil || deltas.Get(key) == nil {
		return nil
	}
	end, path := chainEnd(tx, key)
	c := getChain(tx, end)
	c.depth -= min(c.depth, path.depth)
	c.bytes -= min(c.bytes, path.bytes)
	if err := deltas.Delete(key); err != nil {
		return err
	}
	return setChain(tx, key, c)
}

// chainEnd follows key's deltas to the whole blob they end at, and says
// how many deltas of how many bytes it followed.
func chainEnd(tx *bolt.Tx, key []byte) ([]byte, chain) {
	deltas := tx.Bucket(bucketDeltas)
	var path chain
	for ; path.depth <= 2*uint64(maxChain); path.depth++ {
		d := deltas.Get(key)
		if d == nil || len(d) < sha256.Size {
			return key, path
		}
		key = d[:sha256.Size]
		path.bytes += uint64(len(d) - sha256.Size)
	}
	return key, path
}

// chain bounds the chains that end at a whole blob: no chain holds more
// than depth deltas or more than bytes delta bytes. The chains bucket
// keeps uvarint(depth) uvarint(bytes); a file written before the byte
// bound keeps uvarint(depth) alone, and known is then false.
type chain struct {
	depth, bytes uint64
	known        bool
}

func getChain(tx *bolt.Tx, key []byte) chain {
	b := tx.Bucket(bucketChains)
	if b == nil {
		return chain{known: true}
	}
	v := b.Get(key)
	if v == nil {
		return chain{known: true}
	}
	depth, n := binary.Uvarint(v)
	if n <= 0 {
		return chain{}
	}
	bytes, m := binary.Uvarint(v[n:])
	if m <= 0 {
		return chain{depth: depth}
	}
	return chain{depth: depth, bytes: bytes, known: true}
}

func setChain(tx *bolt.Tx, key []byte, c chain) error {
	b, err := tx.CreateBucketIfNotExists(bucketChains)
	if err != nil {
		return err
	}
	if c.depth == 0 {
		return b.Delete(key)
	}
	return b.Put(key, binary.AppendUvarint(binary.AppendUvarint(nil, c.depth), c.bytes))
}

// extend is c with one more delta of n bytes at its end. A bound written
// before the byte bound counts every earlier delta as n bytes.
func (c chain) extend(n int) chain {
	if !c.known {
		c.bytes = c.depth * uint64(n)
	}
	return chain{depth: c.depth + 1, bytes: c.bytes + uint64(n), known: true}
}

// keyframe reports whether a version of size bytes is better kept whole
// than made the newest delta of chain c: when rebuilding the oldest
// version of the chain would apply more than maxChain deltas, or read more
// delta bytes than chainBytes times the version's size.
func (c chain) keyframe(size int) bool {
	return c.depth > uint64(maxChain) || c.bytes*chainBytesDen > chainBytesNum*uint64(size)
}

// deltify keeps the blob old as a delta against the whole blob cur (its
// newer version), when that is smaller and keeps chains bounded. Anything
// else leaves both as they are: deltify is an optimisation, never needed
// for correctness.
func deltify(tx *bolt.Tx, old, cur string) error {
	if old == cur || old == "" || cur == "" {
		return nil
	}
	ok, _ := hex.DecodeString(old)
	ck, _ := hex.DecodeString(cur)
	blobs := tx.Bucket(bucketBlobs)
	ov, cv := blobs.Get(ok), blobs.Get(ck)
	if len(ok) != sha256.Size || len(ov) < minDeltaBlob || cv == nil {
		return nil
	}
	c := getChain(tx, ok)
	if c.depth+1 > uint64(maxChain) {
		return nil
	}
	d := makeDelta(cv, ov, len(ov)/2)
	limit := len(ov) / 2
	if d != nil {
		limit = len(d) - 1
	}
	if dd := makeDictDelta(cv, ov, limit); dd != nil {
		d = dd
	}
	if d == nil {
		return nil
	}
	if c = c.extend(len(d)); c.keyframe(len(ov)) {
		return nil
	}
	deltas, err := tx.CreateBucketIfNotExists(bucketDeltas)
	if err != nil {
		return err
	}
	if err := deltas.Put(ok, append(append(make([]byte, 0, sha256.Size+len(d)), ck...), d...)); err != nil {
		return err
	}
	if err := blobs.Delete(ok); err != nil {
		return err
	}
	if err := setChain(tx, ok, chain{}); err != nil {
		return err
	}
	return setChain(tx, ck, c.merge(getChain(tx, ck)))
}

// merge is the bound of two sets of chains that end at one blob.
func (c chain) merge(o chain) chain {
	if !o.known {
		o.bytes = o.depth * (c.bytes / max(c.depth, 1))
	}
	return chain{depth: max(c.depth, o.depth), bytes: max(c.bytes, o.bytes), known: true}
}

// Deltify keeps the blobs of pass id's parent that pass id replaced as
// deltas against pass id's versions. CreatePass calls it for every new pass;
// gc calls it for each pair of remaining passes.
func (t *Tx) Deltify(id int64) error {
	p, err := getPass(t.btx, id)
	if err != nil || p.Parent == 0 {
		return err
	}
	parent, err := getPass(t.btx, p.Parent)
	if err != nil {
		return nil // the parent was collected: nothing to shrink
	}
	return deltifyPair(t.btx, parent, p)
}

// deltifyPair turns every blob of older that newer holds a newer version
// of (same source, same attribute or set name) into a delta.
func deltifyPair(tx *bolt.Tx, older, newer *PassInfo) error {
	pairs := [][2]string{{older.All, newer.All}}
	for name, h := range newer.Sets {
		pairs = append(pairs, [2]string{older.Sets[name], h})
	}
	for _, s := range newer.Sources {
		o, ok := sameSource(older, s)
		if !ok || o.Manifest == s.Manifest {
			continue
		}
		ps, err := manifestPairs(tx, o.Manifest, s.Manifest)
		if err != nil {
			return err
		}
		pairs = append(append(pairs, ps...), [2]string{o.Manifest, s.Manifest})
	}
	for _, p := range pairs {
		if err := deltify(tx, p[0], p[1]); err != nil {
			return fmt.Errorf("deltify: %w", err)
		}
	}
	return nil
}

func sameSource(p *PassInfo, s SourceInfo) (SourceInfo, bool) {
	for _, o := range p.Sources {
		if o.Kind == s.Kind && o.Name == s.Name {
			return o, true
		}
	}
	return SourceInfo{}, false
}

// manifestPairs pairs the blobs of two versions of one source by role.
func manifestPairs(tx *bolt.Tx, older, newer string) ([][2]string, error) {
	om, err := getManifest(tx, older)
	if err != nil {
		return nil, err
	}
	nm, err := getManifest(tx, newer)
	if err != nil {
		return nil, err
	}
	pairs := [][2]string{{om.Hosts, nm.Hosts}}
	oa := map[string]string{}
	for _, a := range om.Attrs {
		oa[a.Name] = a.Blob
	}
	for _, a := range nm.Attrs {
		pairs = append(pairs, [2]string{oa[a.Name], a.Blob})
	}
	for _, name := range slices.Sorted(maps.Keys(nm.Sets)) {
		pairs = append(pairs, [2]string{om.Sets[name], nm.Sets[name]})
	}
	return pairs, nil
}

// Usage is how the file's bytes are spent.
type Usage struct {
	FileBytes  int64 `json:"file_bytes"`  // size of the file on disk
	UsedBytes  int64 `json:"used_bytes"`  // pages in use (file minus free pages)
	WholeBlobs int   `json:"whole_blobs"` // blobs stored whole
	WholeBytes int64 `json:"whole_bytes"`
	Deltas     int   `json:"deltas"` // older blob versions stored as deltas
	DeltaBytes int64 `json:"delta_bytes"`
	HostBytes  int64 `json:"host_bytes"` // the host dictionary
	PassBytes  int64 `json:"pass_bytes"` // pass records
	Passes     int   `json:"passes"`
}

// Usage measures the file.
func (db *DB) Usage() (Usage, error) {
	var u Usage
	err := db.guard("measuring", func() error {
		return db.bolt.View(func(tx *bolt.Tx) error {
			if st, err := os.Stat(db.path); err == nil {
				u.FileBytes = st.Size()
			}
			u.UsedBytes = tx.Size() - int64(db.bolt.Stats().FreePageN)*int64(db.bolt.Info().PageSize)
			u.WholeBlobs, u.WholeBytes = bucketBytes(tx.Bucket(bucketBlobs))
			u.Deltas, u.DeltaBytes = bucketBytes(tx.Bucket(bucketDeltas))
			_, u.HostBytes = bucketBytes(tx.Bucket(bucketHosts))
			u.Passes, u.PassBytes = bucketBytes(tx.Bucket(bucketPasses))
			return nil
		})
	})
	return u, err
}

func bucketBytes(b *bolt.Bucket) (n int, size int64) {
	if b == nil {
		return 0, 0
	}
	_ = b.ForEach(func(k, v []byte) error {
		n++
		size += int64(len(k) + len(v))
		return nil
	})
	return n, size
}

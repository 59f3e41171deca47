package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
	bolt "go.etcd.io/bbolt"
)

// putBlob stores data under its sha256 and returns the hex hash. A blob
// that already exists is not written again: that is how unchanged sets and
// attributes are shared between passes. A blob kept as a delta (an older
// version, see compact.go) that is written again becomes whole again, so
// the newest pass always reads whole blobs.
func putBlob(tx *bolt.Tx, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	b := tx.Bucket(bucketBlobs)
	if b.Get(sum[:]) == nil {
		if err := promoteDelta(tx, sum[:]); err != nil {
			return "", err
		}
		if err := b.Put(sum[:], data); err != nil {
			return "", fmt.Errorf("write blob: %w", err)
		}
	}
	return hex.EncodeToString(sum[:]), nil
}

// getBlob returns a blob's bytes, valid until the transaction ends. A whole
// blob is read in place; a delta is rebuilt from its chain.
func getBlob(tx *bolt.Tx, hash string) ([]byte, error) {
	key, err := hex.DecodeString(hash)
	if err != nil || len(key) != sha256.Size {
		return nil, fmt.Errorf("%w: bad blob reference %q", ErrCorrupt, hash)
	}
	v := tx.Bucket(bucketBlobs).Get(key)
	if v == nil {
		var ok bool
		v, ok, err = rebuildDelta(tx, key)
		switch {
		case err != nil:
			return nil, fmt.Errorf("blob %s: %w", hash[:12], err)
		case !ok:
			return nil, fmt.Errorf("%w: missing blob %s", ErrCorrupt, hash[:12])
		}
	}
	if verifyBlobs && !blobMatches(key, v) {
		return nil, fmt.Errorf("blob %s…: checksum mismatch (%w: its %d bytes do not hash to its key)", hash[:12], ErrCorrupt, len(v))
	}
	return v, nil
}

// verifyBlobs is off only in the benchmark that measures its cost.
var verifyBlobs = true

// blobMatches reports whether data hashes to its content address. Every
// read verifies: sha256 (hardware-accelerated where the CPU has SHA
// extensions) costs a few percent of a query at 1M hosts, see
// BenchmarkBlobVerify, so no second per-blob checksum is stored.
func blobMatches(key, data []byte) bool {
	sum := sha256.Sum256(data)
	return bytes.Equal(sum[:], key)
}

func putBitmap(tx *bolt.Tx, bm *roaring.Bitmap) (string, error) {
	bm.RunOptimize()
	var buf bytes.Buffer
	if _, err := bm.WriteTo(&buf); err != nil {
		return "", err
	}
	return putBlob(tx, buf.Bytes())
}

// viewBitmap decodes a bitmap over the stored bytes without copying them.
func viewBitmap(data []byte) (*roaring.Bitmap, error) {
	bm := roaring.New()
	if _, err := bm.FromBuffer(data); err != nil {
		return nil, fmt.Errorf("%w: bitmap: %v", ErrCorrupt, err)
	}
	return bm, nil
}

func getBitmap(tx *bolt.Tx, hash string) (*roaring.Bitmap, error) {
	data, err := getBlob(tx, hash)
	if err != nil {
		return nil, err
	}
	return viewBitmap(data)
}

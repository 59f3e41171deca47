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
// attributes are shared between passes.
func putBlob(tx *bolt.Tx, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	b := tx.Bucket(bucketBlobs)
	if b.Get(sum[:]) == nil {
		if err := b.Put(sum[:], data); err != nil {
			return "", fmt.Errorf("write blob: %w", err)
		}
	}
	return hex.EncodeToString(sum[:]), nil
}

// getBlob returns a blob's bytes, valid until the transaction ends.
func getBlob(tx *bolt.Tx, hash string) ([]byte, error) {
	key, err := hex.DecodeString(hash)
	if err != nil || len(key) != sha256.Size {
		return nil, fmt.Errorf("%w: bad blob reference %q", ErrCorrupt, hash)
	}
	v := tx.Bucket(bucketBlobs).Get(key)
	if v == nil {
		return nil, fmt.Errorf("%w: missing blob %s", ErrCorrupt, hash[:12])
	}
	return v, nil
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

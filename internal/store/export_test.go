package store

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"

	bolt "go.etcd.io/bbolt"

	"github.com/fleetq/fleetq/internal/fleet"
)

// AttrEncoding names how a decoded attribute is stored, for tests that pin
// the index/column switch: a dictionary with a bitmap per value is an
// "index", one with codes only a "column", as are the older encodings.
func AttrEncoding(a fleet.Attr) string {
	switch a.(type) {
	case dictIndex:
		return "index"
	case *dictAttr:
		return "column"
	case *boolAttr:
		return "bool"
	case *indexAttr:
		return "index"
	case *strColumn:
		return "column"
	case *numColumn:
		return "number"
	}
	return fmt.Sprintf("%T", a)
}

// BlobStats counts the blobs bucket: keys and value bytes.
func BlobStats(db *DB) (n int, bytes int64, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBlobs).ForEach(func(_, v []byte) error {
			n++
			bytes += int64(len(v))
			return nil
		})
	})
	return n, bytes, err
}

// PassBytes is the size of pass id's stored record.
func PassBytes(db *DB, id int64) (n int, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		n = len(tx.Bucket(bucketPasses).Get(passKey(id)))
		return nil
	})
	return n, err
}

// Corrupt runs fn in a raw bolt write transaction so tests can damage a
// database and see DB.Check catch it.
func Corrupt(db *DB, fn func(tx *bolt.Tx) error) error { return db.bolt.Update(fn) }

// BlobKey is the bucket key of a blob reference.
var BlobKey = func(hash string) []byte {
	b, err := hex.DecodeString(hash)
	if err != nil {
		panic(err)
	}
	return b
}

var BucketBlobs, BucketHosts, BucketMeta, BucketPasses = bucketBlobs, bucketHosts, bucketMeta, bucketPasses

// SetVerifyBlobs turns read-time blob verification on or off, for the
// benchmark that measures its cost; it returns the previous setting.
func SetVerifyBlobs(on bool) bool { old := verifyBlobs; verifyBlobs = on; return old }

// SealChunk is a host-dictionary chunk of raw length-prefixed names with
// its checksum, for tests that store a chunk breaking another invariant.
func SealChunk(raw []byte) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), raw...), crc32.Checksum(raw, castagnoli))
}

// SetMaxNameRuns sets how many runs EachName merges, for the tests of its
// fallback; it returns the old value.
func SetMaxNameRuns(n int) int {
	old := maxNameRuns
	maxNameRuns = n
	return old
}

// NamesOf is the host dictionary's bulk name read (namesOf).
func NamesOf(h *HostDict, ids []uint32) []string { return h.namesOf(ids) }

package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
	bolt "go.etcd.io/bbolt"
)

// A blob is stored in one of two framings (docs/storage.md):
//
//	whole   the bytes themselves; key = sha256(bytes). Every blob an older
//	        fleetq wrote, and every blob of at most one chunk.
//	chunked a header, then the bytes. header = frameMagic, frameVersion,
//	        the chunk shift, uvarint(length), then the sha256 of each
//	        1<<shift-byte chunk of the bytes in order; key = sha256(header).
//
// Opening a chunked blob hashes its header only; each chunk is hashed the
// first time a read touches it, so reading one host's value of a column
// hashes the chunks that lead to it, not the column. The key still names
// the content: it commits to every chunk's hash.
const (
	frameMagic   = "\x00FQc"
	frameVersion = 1
	// blobChunkShift sets the chunk size writers use: 32 KiB, so a
	// one-value read hashes a few dozen microseconds of bytes and the
	// header costs 0.1% of the blob.
	blobChunkShift = 15
	// Chunk shifts a reader accepts.
	minChunkShift, maxChunkShift = 10, 24
)

// putBlob stores data under its content address and returns it in hex. A
// blob that already exists is not written again: that is how unchanged
// sets and attributes are shared between passes. A blob kept as a delta
// (an older version, see compact.go) that is written again becomes whole
// again, so the newest pass always reads whole blobs.
func putBlob(tx *bolt.Tx, data []byte) (string, error) {
	key, value := frameBlob(data, blobChunkShift)
	b := tx.Bucket(bucketBlobs)
	if b.Get(key) == nil {
		if err := promoteDelta(tx, key); err != nil {
			return "", err
		}
		if err := b.Put(key, value); err != nil {
			return "", fmt.Errorf("write blob: %w", err)
		}
	}
	return hex.EncodeToString(key), nil
}

// frameBlob returns the key and stored value of data: whole when it fits
// one chunk of 1<<shift bytes, chunked otherwise.
func frameBlob(data []byte, shift uint8) (key, value []byte) {
	size := 1 << shift
	if len(data) <= size {
		sum := sha256.Sum256(data)
		return sum[:], data
	}
	n := (len(data) + size - 1) / size
	hdr := make([]byte, 0, len(frameMagic)+2+binary.MaxVarintLen64+n*sha256.Size+len(data))
	hdr = append(hdr, frameMagic...)
	hdr = append(hdr, frameVersion, shift)
	hdr = binary.AppendUvarint(hdr, uint64(len(data)))
	for off := 0; off < len(data); off += size {
		sum := sha256.Sum256(data[off:min(off+size, len(data))])
		hdr = append(hdr, sum[:]...)
	}
	sum := sha256.Sum256(hdr)
	return sum[:], append(hdr, data...)
}

// blob is a stored blob's bytes, valid until the transaction ends, with
// what of them has been verified against the key.
type blob struct {
	data  []byte   // the blob's bytes (after the header of a chunked blob)
	sums  []byte   // chunked: each chunk's sha256; nil when data is verified
	shift uint8    // chunked: chunk size is 1<<shift
	done  []uint64 // chunked: bitset of the chunks verified so far
	name  string   // the key's first hex digits, for errors
}

// openBlob finds a blob and verifies what a read needs first: a whole
// blob's bytes, a chunked blob's header. A delta is rebuilt from its chain
// and verified whole.
func openBlob(tx *bolt.Tx, hash string) (*blob, error) {
	key, err := hex.DecodeString(hash)
	if err != nil || len(key) != sha256.Size {
		return nil, fmt.Errorf("%w: bad blob reference %q", ErrCorrupt, hash)
	}
	name := hash[:12]
	v := tx.Bucket(bucketBlobs).Get(key)
	if v == nil {
		v, err = rebuilt(tx, key, name)
		if err != nil {
			return nil, err
		}
		b, _ := parseFrame(key, v, true)
		b.sums, b.name = nil, name // rebuildDelta verified every byte
		return b, nil
	}
	b, ok := parseFrame(key, v, verifyBlobs)
	if !ok {
		return nil, fmt.Errorf("blob %s…: checksum mismatch (%w: its %d bytes do not hash to its key)", name, ErrCorrupt, len(v))
	}
	b.name = name
	return b, nil
}

func rebuilt(tx *bolt.Tx, key []byte, name string) ([]byte, error) {
	v, ok, err := rebuildDelta(tx, key)
	switch {
	case err != nil:
		return nil, fmt.Errorf("blob %s: %w", name, err)
	case !ok:
		return nil, fmt.Errorf("%w: missing blob %s", ErrCorrupt, name)
	}
	return v, nil
}

// parseFrame reads a stored value under key: chunked when it starts with
// a header whose hash is the key (with verify off, a header that parses),
// otherwise whole, and then ok says whether its bytes hash to the key
// (always true with verify off). An older blob cannot pass for a chunked
// one: its key hashes all of its bytes, the header only a strict prefix.
func parseFrame(key, v []byte, verify bool) (*blob, bool) {
	if hdr, shift, size, ok := frameHeader(v); ok && (!verify || bytes.Equal(sumOf(v[:hdr]), key)) {
		n := chunkCount(size, shift)
		return &blob{data: v[hdr:], sums: v[hdr-n*sha256.Size : hdr], shift: shift, done: make([]uint64, (n+63)/64)}, true
	}
	return &blob{data: v}, !verify || bytes.Equal(sumOf(v), key)
}

func sumOf(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

func chunkCount(size uint64, shift uint8) int {
	return int((size + 1<<shift - 1) >> shift)
}

// frameHeader parses a chunked blob's header: its length, the chunk
// shift and the length of the bytes after it, which must be exactly the
// rest of v and more than one chunk.
func frameHeader(v []byte) (hdr int, shift uint8, size uint64, ok bool) {
	p := len(frameMagic) + 2
	if len(v) < p || string(v[:len(frameMagic)]) != frameMagic || v[len(frameMagic)] != frameVersion {
		return 0, 0, 0, false
	}
	shift = v[len(frameMagic)+1]
	size, k := binary.Uvarint(v[p:])
	if shift < minChunkShift || shift > maxChunkShift || k <= 0 || size <= 1<<shift || size > uint64(len(v)) {
		return 0, 0, 0, false
	}
	hdr = p + k + chunkCount(size, shift)*sha256.Size
	return hdr, shift, size, hdr <= len(v) && uint64(len(v)-hdr) == size
}

// Len is the number of the blob's bytes.
func (b *blob) Len() uint64 { return uint64(len(b.data)) }

// span returns bytes [off, off+n) of the blob, every chunk they touch
// verified; a range past the end is ErrCorrupt (a length read from the
// blob pointed outside it).
func (b *blob) span(off, n uint64) ([]byte, error) {
	if off > b.Len() || n > b.Len()-off {
		return nil, fmt.Errorf("blob %s…: %w: reading %d bytes at %d of %d", b.name, ErrCorrupt, n, off, b.Len())
	}
	if b.sums != nil && n > 0 {
		for c := off >> b.shift; c <= (off+n-1)>>b.shift; c++ {
			if err := b.verifyChunk(int(c)); err != nil {
				return nil, err
			}
		}
	}
	return b.data[off : off+n], nil
}

func (b *blob) verifyChunk(c int) error {
	if b.done[c/64]&(1<<(c%64)) != 0 {
		return nil
	}
	if verifyBlobs && !b.chunkMatches(c) {
		return fmt.Errorf("blob %s…: chunk %d: checksum mismatch (%w: its bytes do not hash to the hash its header holds)", b.name, c, ErrCorrupt)
	}
	b.done[c/64] |= 1 << (c % 64)
	return nil
}

// chunkEnd is where the chunk holding byte off ends (a whole blob is one
// chunk).
func (b *blob) chunkEnd(off uint64) uint64 {
	if b.sums == nil {
		return b.Len()
	}
	return min((off>>b.shift+1)<<b.shift, b.Len())
}

// all returns every byte of the blob, verified.
func (b *blob) all() ([]byte, error) { return b.span(0, b.Len()) }

// getBlob returns a blob's bytes, every one verified, valid until the
// transaction ends. A whole blob is read in place; a delta is rebuilt from
// its chain.
func getBlob(tx *bolt.Tx, hash string) ([]byte, error) {
	b, err := openBlob(tx, hash)
	if err != nil {
		return nil, err
	}
	return b.all()
}

// verifyBlobs is off only in the benchmark that measures its cost.
var verifyBlobs = true

// blobMatches reports whether a stored value (either framing) holds
// exactly the content its key names, hashing all of it. Every read
// verifies what it reads: sha256 (hardware-accelerated where the CPU has
// SHA extensions) costs a few percent of a query at 1M hosts, see
// BenchmarkBlobVerify, so no second per-blob checksum is stored.
func blobMatches(key, value []byte) bool {
	b, ok := parseFrame(key, value, true)
	for c := 0; ok && c < len(b.sums)/sha256.Size; c++ {
		ok = b.chunkMatches(c)
	}
	return ok
}

// chunkMatches reports whether chunk c hashes to its header's hash.
func (b *blob) chunkMatches(c int) bool {
	size := 1 << b.shift
	chunk := b.data[c*size : min((c+1)*size, len(b.data))]
	return bytes.Equal(sumOf(chunk), b.sums[c*sha256.Size:(c+1)*sha256.Size])
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

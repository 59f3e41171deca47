package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The host fence (meta key "hostfence") holds, for every chunk of the host
// dictionary, the least and the greatest name in it, so looking up one
// name reads the chunks whose range holds it (one, in a dictionary whose
// ids were assigned in byte order) instead of every chunk. A writer
// rewrites it in the transaction that adds names (flush); it names the
// host count it covers, and a fence that covers another count (an older
// fleetq added names without it) is not used, so it can never hide a name.
//
// Encoding: uvarint(host count), uvarint(chunks), then per chunk the least
// and the greatest name, each uvarint(length) and bytes; then a crc32c of
// the key and those bytes.
var keyHostFence = []byte("hostfence")

// fence is a decoded host fence; its names alias the stored bytes.
type fence struct {
	n      uint32
	lo, hi [][]byte
}

// readFence returns the fence of a dictionary of n names: nil when there
// is none or it covers another count, ErrCorrupt when it is damaged.
func readFence(meta *bolt.Bucket, n uint32) (*fence, error) {
	v := meta.Get(keyHostFence)
	if v == nil {
		return nil, nil
	}
	f, err := decodeFence(v)
	if err != nil {
		return nil, fmt.Errorf("host fence: %w", err)
	}
	if f.n != n {
		return nil, nil
	}
	return f, nil
}

func decodeFence(v []byte) (*fence, error) {
	if len(v) < 4 || recordSum(keyHostFence, v[:len(v)-4]) != binary.BigEndian.Uint32(v[len(v)-4:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	r := &reader{b: v[:len(v)-4]}
	n, chunks := r.uvarint(), r.uvarint()
	if r.err == nil && (n > 1<<32-1 || chunks != (n+chunkSize-1)>>chunkBits) {
		r.err = fmt.Errorf("%w: %d chunks for %d names", ErrCorrupt, chunks, n)
	}
	f := &fence{n: uint32(n)}
	for c := uint64(0); c < chunks && r.err == nil; c++ {
		f.lo = append(f.lo, r.bytes(r.uvarint()))
		f.hi = append(f.hi, r.bytes(r.uvarint()))
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d bytes after the last chunk", ErrCorrupt, len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	return f, nil
}

func encodeFence(n uint32, lo, hi []string) []byte {
	b := binary.AppendUvarint(nil, uint64(n))
	b = binary.AppendUvarint(b, uint64(len(lo)))
	for c := range lo {
		b = binary.AppendUvarint(b, uint64(len(lo[c])))
		b = append(b, lo[c]...)
		b = binary.AppendUvarint(b, uint64(len(hi[c])))
		b = append(b, hi[c]...)
	}
	return binary.BigEndian.AppendUint32(b, recordSum(keyHostFence, b))
}

// chunkRange is the least and the greatest of names.
func chunkRange(names []string) (lo, hi string) {
	for i, s := range names {
		if i == 0 || s < lo {
			lo = s
		}
		if i == 0 || s > hi {
			hi = s
		}
	}
	return lo, hi
}

// holdsAny reports whether chunk c's range holds a name not found yet.
func (f *fence) holdsAny(c int, names []string, found []bool) bool {
	for i, n := range names {
		if !found[i] && string(f.lo[c]) <= n && n <= string(f.hi[c]) {
			return true
		}
	}
	return false
}

// writeFence stores the fence of the dictionary after flush wrote chunks
// from chunk first on: the ranges of the chunks before it are kept from
// the fence of the old count when it has one, computed otherwise.
func (w *dictWriter) writeFence(tx *bolt.Tx, old, total uint32) error {
	prev, err := readFence(tx.Bucket(bucketMeta), old)
	if err != nil {
		return err
	}
	chunks := int((total + chunkSize - 1) >> chunkBits)
	lo, hi := make([]string, chunks), make([]string, chunks)
	for c := 0; c < chunks; c++ {
		if prev != nil && uint32(c+1)<<chunkBits <= old {
			lo[c], hi[c] = string(prev.lo[c]), string(prev.hi[c])
			continue
		}
		lo[c], hi[c] = chunkRange(w.chunk(uint32(c)))
		if w.err != nil {
			return w.err
		}
	}
	return tx.Bucket(bucketMeta).Put(keyHostFence, encodeFence(total, lo, hi))
}

// checkFence checks that a fence covering the dictionary's count holds
// exactly each chunk's least and greatest name.
func checkFence(tx *bolt.Tx, n uint32, chunk func(c uint32) []string) error {
	f, err := readFence(tx.Bucket(bucketMeta), n)
	if err != nil || f == nil {
		return err
	}
	for c := range f.lo {
		lo, hi := chunkRange(chunk(uint32(c)))
		if lo != string(f.lo[c]) || hi != string(f.hi[c]) {
			return fmt.Errorf("host fence: chunk %d: range %q..%q, the chunk holds %q..%q", c, f.lo[c], f.hi[c], lo, hi)
		}
	}
	return nil
}

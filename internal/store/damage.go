package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

// guard runs fn with memory faults turned into panics (a damaged page can
// point anywhere in the mapping) and any panic turned into ErrCorrupt, so
// a damaged file is an error naming what was being done, never a crash.
// bbolt rolls back a transaction that panics.
func guard(doing string, fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: %w: the file's pages are damaged (%v)", doing, ErrCorrupt, p)
		}
	}()
	return fn()
}

func openBolt(path string, opts Options) (b *bolt.DB, err error) {
	err = guard("opening "+path, func() error {
		b, err = bolt.Open(path, 0o644, &bolt.Options{
			ReadOnly:       opts.ReadOnly,
			Timeout:        opts.Timeout,
			NoFreelistSync: true,
			FreelistType:   bolt.FreelistMapType,
		})
		return err
	})
	return b, err
}

// checkFile looks at an existing file before bbolt maps it: an empty file
// or one that is not bbolt's is never initialised (ErrNotFleetq), a file
// shorter than its meta page says is truncated (ErrCorrupt, instead of a
// SIGBUS on first access), and a writer first walks every page in this
// goroutine, because bbolt's own walk when it opens for writing runs in a
// goroutine where a damaged page cannot be recovered from.
func checkFile(path string, opts Options) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if st.Size() == 0 {
		return fmt.Errorf("%s: %w (an empty file; fleetq creates only a missing path)", path, ErrNotFleetq)
	}
	need, err := neededSize(path)
	if err != nil {
		return err
	}
	if st.Size() < need {
		return fmt.Errorf("%s: truncated (%d bytes, the database needs %d): %w", path, st.Size(), need, ErrCorrupt)
	}
	if opts.ReadOnly {
		return nil
	}
	return walkFile(path, opts)
}

// bbolt's meta page: a 16-byte page header, then magic, version, page
// size, flags, root bucket (16 bytes), freelist, high water mark, txid
// and an FNV-64a checksum of the bytes before it.
const (
	metaOffset   = 16
	metaMagic    = 0xED0CDAED
	metaLen      = 64
	metaPageSize = 8
	metaPgid     = 40
	metaTxid     = 48
	metaSum      = 56
)

// neededSize is page size × high water mark of the newer valid meta page:
// the bytes bbolt will read. Neither meta valid is not a bbolt file; only
// one valid is damage, because bbolt would silently read the older
// transaction and a reader would answer from it as if it were the newest
// (bbolt writes its two meta pages whole, and a killed writer leaves both
// valid).
func neededSize(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	m0, ok0 := readMeta(f, 0)
	off := int64(os.Getpagesize())
	if ok0 {
		off = int64(binary.LittleEndian.Uint32(m0[metaPageSize:]))
	}
	m1, ok1 := readMeta(f, off)
	switch {
	case !ok0 && !ok1:
		return 0, fmt.Errorf("%s: %w (no valid bbolt meta page)", path, ErrNotFleetq)
	case !ok0 || !ok1:
		return 0, fmt.Errorf("%s: %w: bbolt meta page %d is damaged (the other holds an older transaction)", path, ErrCorrupt, damagedMeta(ok0))
	case !ok0 || ok1 && metaU64(m1, metaTxid) > metaU64(m0, metaTxid):
		m0 = m1
	}
	return int64(binary.LittleEndian.Uint32(m0[metaPageSize:])) * int64(metaU64(m0, metaPgid)), nil
}

// damagedMeta is the invalid one of the two meta pages.
func damagedMeta(ok0 bool) int {
	if ok0 {
		return 1
	}
	return 0
}

func readMeta(f *os.File, page int64) ([]byte, bool) {
	m := make([]byte, metaLen)
	if _, err := f.ReadAt(m, page+metaOffset); err != nil && !errors.Is(err, io.EOF) || binary.LittleEndian.Uint32(m) != metaMagic {
		return nil, false
	}
	h := fnv.New64a()
	h.Write(m[:metaSum])
	return m, h.Sum64() == metaU64(m, metaSum) && binary.LittleEndian.Uint32(m[metaPageSize:]) >= 512
}

func metaU64(m []byte, off int) uint64 { return binary.LittleEndian.Uint64(m[off:]) }

// walkFile opens the file read-only and visits every key of every bucket.
func walkFile(path string, opts Options) error {
	b, err := openBolt(path, Options{ReadOnly: true, Timeout: opts.Timeout})
	if err != nil {
		return openError(path, err)
	}
	defer b.Close()
	return guard("reading "+path, func() error { return b.View(walkTx) })
}

func walkTx(tx *bolt.Tx) error {
	return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walkBucket(b) })
}

func walkBucket(b *bolt.Bucket) error {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v != nil {
			continue
		}
		if sub := b.Bucket(k); sub != nil {
			if err := walkBucket(sub); err != nil {
				return err
			}
		}
	}
	return nil
}

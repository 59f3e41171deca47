package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"time"

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
			ReadOnly:        opts.ReadOnly,
			Timeout:         opts.Timeout,
			NoFreelistSync:  true,
			FreelistType:    bolt.FreelistMapType,
			InitialMmapSize: initialMapSize(path, opts),
		})
		return err
	})
	return b, err
}

// initialMapSize is how much address space a writer that expects a large
// transaction (opts.WriteHint) maps up front: the file's size plus twice
// the hint, so the pass does not outgrow the mapping. When it does, bbolt
// remaps and first copies every node the transaction touched onto the
// heap (node.dereference), which at 1,000,000 hosts was 375 MB of an
// ingest's allocations. It is address space only: pages not touched cost
// no memory. Below 64 MiB, and for a reader, it is 0 (bbolt's own sizes):
// bbolt grows a file mapped smaller than its 16 MiB allocation step to
// the whole mapping, so a larger mapping would make small files large.
func initialMapSize(path string, opts Options) int {
	if opts.ReadOnly || opts.WriteHint < 64<<20 {
		return 0
	}
	size := int64(0)
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	return int(size + 2*opts.WriteHint)
}

// checkFile looks at an existing file before bbolt maps it: an empty file
// or one that is not bbolt's is never initialised (ErrNotFleetq), a file
// shorter than its meta page says is truncated (ErrCorrupt, instead of a
// SIGBUS on first access), and every page of the tree is checked
// (pageWalk): a writer must, because bbolt's own walk when it opens for
// writing runs in a goroutine where a damaged page cannot be recovered
// from; a reader does too, because a damaged element offset makes bbolt's
// search miss a key, and an absent record reads as a valid state (no
// incident, no host name). About 1.5 ms at 1,000,000 hosts.
//
// It holds the lock bbolt will take (shared for a reader, exclusive for a
// writer) on its own descriptor while it reads, so no writer changes a
// page or a meta page under it; it waits for that lock as bbolt does (see
// lockWait). A writer that commits after the check and before bbolt's
// open writes pages fleetq's own bbolt made: the check is of damage at
// rest.
func checkFile(ctx context.Context, path string, opts Options, deadline time.Time) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close() // releases the lock
	if err := lockWait(ctx, f, !opts.ReadOnly, deadline, func() { opts.waiting(path) }); err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if st.Size() == 0 {
		return fmt.Errorf("%s: %w (an empty file; fleetq creates only a missing path)", path, ErrNotFleetq)
	}
	m, err := newestMeta(f, path)
	if err != nil {
		return err
	}
	if need := m.psz * int64(m.hwm); st.Size() < need {
		return fmt.Errorf("%s: truncated (%d bytes, the database needs %d): %w", path, st.Size(), need, ErrCorrupt)
	}
	return walkFile(f, path, m)
}

// bbolt's meta page: a 16-byte page header, then magic, version, page
// size, flags, root bucket (16 bytes), freelist, high water mark, txid
// and an FNV-64a checksum of the bytes before it.
const (
	metaOffset   = 16
	metaMagic    = 0xED0CDAED
	metaLen      = 64
	metaPageSize = 8
	metaRoot     = 16
	metaPgid     = 40
	metaTxid     = 48
	metaSum      = 56
)

// meta is what fleetq reads of a bbolt meta page.
type meta struct {
	psz       int64  // page size
	hwm, root uint64 // pages in use, the root bucket's page
}

// newestMeta reads the newer valid meta page; page size × high water mark
// is the bytes bbolt will read. Neither meta valid is not a bbolt file.
// Only one valid is refused too: bbolt writes one of the two per commit,
// after the commit's pages are synced, so an invalid one is a damaged page
// or a commit torn by a power loss, and bbolt would silently answer from
// the older transaction, as if it were the newest (a lease or an audit
// entry gone). A killed process cannot tear it: the kernel finishes the
// write. docs/storage.md says what to do.
func newestMeta(f *os.File, path string) (meta, error) {
	m0, ok0 := readMeta(f, 0)
	off := int64(os.Getpagesize())
	if ok0 {
		off = int64(binary.LittleEndian.Uint32(m0[metaPageSize:]))
	}
	m1, ok1 := readMeta(f, off)
	switch {
	case !ok0 && !ok1:
		return meta{}, fmt.Errorf("%s: %w (no valid bbolt meta page)", path, ErrNotFleetq)
	case !ok0 || !ok1:
		return meta{}, fmt.Errorf("%s: %w: bbolt meta page %d is damaged (the other holds an older transaction)", path, ErrCorrupt, damagedMeta(ok0))
	case !ok0 || ok1 && metaU64(m1, metaTxid) > metaU64(m0, metaTxid):
		m0 = m1
	}
	return meta{psz: int64(binary.LittleEndian.Uint32(m0[metaPageSize:])), hwm: metaU64(m0, metaPgid), root: metaU64(m0, metaRoot)}, nil
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

// walkFile checks the pages of the tree the meta page m roots, through a
// read-only mapping of the file where the platform has one (a range is a
// slice, not a read), under guard.
func walkFile(f *os.File, path string, m meta) error {
	return guard("checking the pages of "+path, func() error {
		src, unmap := mapFile(f, m.psz*int64(m.hwm))
		defer unmap()
		if _, err := walkPages(src, m.psz, m.hwm, m.root); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	})
}

// walkTx checks the pages of the tree a transaction reads.
func walkTx(tx *bolt.Tx) error {
	f, err := os.Open(tx.DB().Path())
	if err != nil {
		return err
	}
	defer f.Close()
	psz := int64(tx.DB().Info().PageSize)
	n := tx.Size()
	src, unmap := mapFile(f, n)
	defer unmap()
	_, err = walkPages(src, psz, uint64(n/psz), uint64(tx.Cursor().Bucket().RootPage()))
	return err
}

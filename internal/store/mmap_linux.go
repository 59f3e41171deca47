//go:build linux

package store

import (
	"os"
	"syscall"
)

// mapFile maps the first n bytes of f read-only for the page walk; unmap
// releases them.
func mapFile(f *os.File, n int64) (pageSource, func()) {
	if n == 0 {
		return bytesSource(nil), func() {}
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(n), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return readerSource{f}, func() {}
	}
	return &mappedSource{b: b}, func() { _ = syscall.Munmap(b) }
}

// dropEvery is how many ranges the walk reads between two releases of
// the pages it has mapped.
const dropEvery = 64

// mappedSource is a read-only mapping that releases its pages every
// dropEvery ranges. The kernel maps more than the page the walk faults in
// (16 pages around it, or the whole 2 MiB folio where the page cache
// holds large folios, as ext4 does on recent kernels; neither
// MADV_RANDOM nor MADV_NOHUGEPAGE turns that off), so a walk of 1,000
// page runs spread over an 85 MB file left 22 MB of the file counted in
// the process's peak RSS. MADV_DONTNEED on a shared file
// mapping only unmaps: the pages stay in the page cache, and a range read
// earlier that is used again faults back in with the same bytes.
type mappedSource struct {
	b     []byte
	reads int
}

func (m *mappedSource) at(off, n int64) ([]byte, error) {
	m.reads++
	if m.reads%dropEvery == 0 {
		_ = syscall.Madvise(m.b, syscall.MADV_DONTNEED)
	}
	return bytesSource(m.b).at(off, n)
}

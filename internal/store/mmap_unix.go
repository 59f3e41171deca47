//go:build unix

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
	return bytesSource(b), func() { _ = syscall.Munmap(b) }
}

//go:build linux

package store

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// releaseMapped unmaps the pages of the file that tx has mapped. A
// one-host read touches a few 32 KiB chunks of each of a pass's blobs, but
// where the page cache holds the file in large folios (ext4 on recent
// kernels) each touched chunk maps its whole 2 MiB folio: fleetq host of
// one host at 1,000,000 hosts counted 18 MiB of the file in its RSS for
// 26 chunks read. MADV_DONTNEED on bbolt's read-only shared mapping only
// unmaps: the pages stay in the page cache, and bytes read earlier that
// are used again fault back in unchanged.
func releaseMapped(tx *bolt.Tx) {
	if data := tx.DB().Info().Data; data != 0 {
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, data, uintptr(tx.Size()), syscall.MADV_DONTNEED)
	}
}

//go:build unix

package auth

import (
	"fmt"
	"os"
	"syscall"
)

// lockFile holds an exclusive flock on path (created 0600) until the
// returned function is called: two fleetq token commands at once each see
// the other's change.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	st := fileStamp{size: fi.Size(), mtime: fi.ModTime(), ok: true}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = sys.Ino
	}
	return st
}

// keepOwner gives tmp the owner and group of the file at path, when there
// is one: root running `fleetq token create` on the tokens file of a
// server that runs as its own user must not leave a root-owned 0600 file
// the server can no longer read.
func keepOwner(tmp *os.File, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil // a new file: the caller's
	}
	sys, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(sys.Uid) == os.Geteuid() && int(sys.Gid) == os.Getegid() {
		return nil
	}
	if err := tmp.Chown(int(sys.Uid), int(sys.Gid)); err != nil {
		return fmt.Errorf("keeping the owner (uid %d, gid %d) of %s: %w", sys.Uid, sys.Gid, path, err)
	}
	return nil
}

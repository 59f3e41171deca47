//go:build !unix

package auth

import "os"

// lockFile takes no lock where there is no flock: the in-process mutex
// still serialises one process's writers.
func lockFile(string) (func(), error) { return func() {}, nil }

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{size: fi.Size(), mtime: fi.ModTime(), ok: true}
}

// keepOwner does nothing where files have no Unix owner.
func keepOwner(*os.File, string) error { return nil }

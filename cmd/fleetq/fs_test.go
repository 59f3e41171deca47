package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// File-system hygiene (issue 12): the lock note, export's own files, gc
// and compaction failures, with the built binary.

// writeHosts writes a host-list file and returns its path.
func writeHosts(t *testing.T, dir, name, body string) string {
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return path
}

// TestWriterRefusesALinkedLockNote: DB.writer planted as a symbolic link
// to a user's file makes writers refuse, and the file stays as it was.
func TestWriterRefusesALinkedLockNote(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetq.db")
	fqBinOK(t, db, "ingest", writeHosts(t, dir, "dead", "a.dc\nb.dc\n"))
	victim := writeHosts(t, t.TempDir(), "victim", "precious\n")
	require.NoError(t, os.Symlink(victim, db+".writer"))

	_, errOut, code := fqBin(t, db, "ingest", "--label", "secret-token", filepath.Join(dir, "dead"))
	assert.Equal(t, 1, code)
	assert.Equal(t, "fleetq: "+db+".writer: lock note is not a regular file (a symbolic link); remove it\n", errOut)
	assert.Equal(t, "precious\n", mustRead(t, victim))
	assert.Contains(t, fqBinOK(t, db, "passes"), "1 ", "the read still works and no pass was added")
}

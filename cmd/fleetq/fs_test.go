package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store/storetest"
)

// File-system hygiene (docs/storage.md): the lock note, export's own files, gc
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

// TestExportRemovesOnlyWhatItWrote: a later export removes a set file an
// earlier export wrote and left unchanged, and nothing else: not a file
// someone changed since, not a user's file, not one a label forged into
// MANIFEST.
func TestExportRemovesOnlyWhatItWrote(t *testing.T) {
	dir, out := t.TempDir(), filepath.Join(t.TempDir(), "out")
	both, one := filepath.Join(dir, "both.db"), filepath.Join(dir, "one.db")
	dead, extra := writeHosts(t, dir, "dead", "a.dc\nb.dc\n"), writeHosts(t, dir, "extra", "c.dc\n")
	changed := writeHosts(t, dir, "changed", "d.dc\n")
	forged := "x\n# name\thosts\tsha256\torigin\nvictim\t1\t" + sha256hex("precious\n") + "\tforged\n"
	fqBinOK(t, both, "ingest", "--label", forged, dead, extra, changed)
	fqBinOK(t, one, "ingest", dead)

	fqBinOK(t, both, "export", out)
	manifest := mustRead(t, filepath.Join(out, "MANIFEST"))
	assert.Contains(t, manifest, "label\t\"x\\n# name\\thosts\\tsha256\\torigin\\nvictim\\t1\\t", "the label stays on its line, quoted")
	assert.NotRegexp(t, `(?m)^victim\t`, manifest)
	writeHosts(t, out, "victim", "precious\n")
	writeHosts(t, out, "changed", "edited by hand\n")

	fqBinOK(t, one, "export", out)
	assert.NoFileExists(t, filepath.Join(out, "extra"), "an unchanged file of the earlier export is removed")
	assert.Equal(t, "edited by hand\n", mustRead(t, filepath.Join(out, "changed")), "a file changed since is kept")
	assert.Equal(t, "precious\n", mustRead(t, filepath.Join(out, "victim")), "a file export never wrote is kept")
	assert.Equal(t, "a.dc\nb.dc\n", mustRead(t, filepath.Join(out, "dead")))
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestHostListNamedManifestRefused: a host list named MANIFEST would be a
// set export cannot write; ingest refuses it and says how to name it.
func TestHostListNamedManifestRefused(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetq.db")
	list := writeHosts(t, dir, "MANIFEST", "a.dc\n")
	_, errOut, code := fqBin(t, db, "ingest", list)
	assert.Equal(t, 1, code)
	assert.Equal(t, fmt.Sprintf("fleetq: %s: \"MANIFEST\" cannot be a set name (rename the file, or give hosts:NAME=%s)\n", list, list), errOut)
	assert.NoFileExists(t, db)
	fqBinOK(t, db, "ingest", "hosts:listed="+list)
	assert.Contains(t, fqBinOK(t, db, "export", filepath.Join(dir, "out")), "listed")
}

// TestExportRespectsUmask: export's files are 0666 less the umask.
func TestExportRespectsUmask(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetq.db")
	fqBinOK(t, db, "ingest", writeHosts(t, dir, "dead", "a.dc\n"))
	for umask, want := range map[string]os.FileMode{"022": 0o644, "027": 0o640, "002": 0o664} {
		out := filepath.Join(dir, "out"+umask)
		cmd := exec.Command("sh", "-c", `umask "$1"; exec "$2" --db "$3" export "$4"`, "sh", umask, fleetqBin, db, out)
		msg, err := cmd.CombinedOutput()
		require.NoError(t, err, string(msg))
		for _, name := range []string{"all", "dead", "MANIFEST", ".fleetq-export.json"} {
			fi, err := os.Stat(filepath.Join(out, name))
			require.NoError(t, err)
			assert.Equal(t, want, fi.Mode().Perm(), "umask %s: %s", umask, name)
		}
	}
}

// blockCompaction makes compaction fail as it does in a read-only
// directory, in a way that works as root too (root ignores a 0555
// directory): a non-empty directory where compaction writes its copy.
func blockCompaction(t *testing.T, db string) func() {
	require.NoError(t, os.MkdirAll(filepath.Join(db+".compact", "x"), 0o755))
	return func() { require.NoError(t, os.RemoveAll(db+".compact")) }
}

// TestGCReportsWhatItDidWhenCompactionFails: the removal is committed and
// said so; the file is intact, and a retry only compacts.
func TestGCReportsWhatItDidWhenCompactionFails(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetq.db")
	for i := range 4 {
		fqBinOK(t, db, "ingest", writeHosts(t, dir, "dead", fmt.Sprintf("h%d.dc\n", i)))
	}
	unblock := blockCompaction(t, db)
	out, errOut, code := fqBin(t, db, "gc", "--keep-last", "1", "--yes")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "removed 3 passes (1-3); kept 1 (4)\n")
	assert.Regexp(t, `^fleetq: removed passes 1-3 \(committed\); compaction failed: open .*fleetq\.db\.compact: is a directory; the file is intact, retry fleetq gc to compact\n$`, errOut)
	assert.Equal(t, "h3.dc\n", fqBinOK(t, db, "query", "dead"))
	storetest.MustCheck(t, db)

	unblock()
	out = fqBinOK(t, db, "gc", "--keep-last", "1", "--yes")
	assert.Contains(t, out, "removed 0 passes (none); kept 1 (4)")
	storetest.MustCheck(t, db)
}

// TestIngestSealedDespiteFailedCompaction: an ingest whose compaction
// fails has sealed its pass, so it exits 0 with a warning (a cron retry
// would otherwise seal a second pass). The sparse file that makes ingest
// compact is the one a gc leaves when its own compaction failed.
func TestIngestSealedDespiteFailedCompaction(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetq.db")
	inv := filepath.Join(dir, "inventory.csv")
	for v := range 3 {
		writeBigInventory(t, inv, 60000, v)
		fqBinOK(t, db, "ingest", inv)
	}
	unblock := blockCompaction(t, db)
	_, _, code := fqBin(t, db, "gc", "--keep-last", "1", "--yes")
	require.Equal(t, 1, code)
	writeBigInventory(t, inv, 60000, 7)
	out, errOut, code := fqBin(t, db, "ingest", inv)
	assert.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "pass 4 sealed: 60000 hosts")
	assert.Regexp(t, `^fleetq: warning: pass 4 is sealed, but compaction failed: open .*\.compact: is a directory; the file is intact, the next ingest or fleetq gc compacts it\n$`, errOut)
	unblock()
	assert.Contains(t, fqBinOK(t, db, "passes"), "\n4 ")
	storetest.MustCheck(t, db)
}

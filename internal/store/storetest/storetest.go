// Package storetest opens real temporary fleetq databases for tests and
// checks them when the test ends (after bbolt's internal/btesting).
package storetest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
)

// Open creates a fleetq database in a temporary directory and opens it for
// writing. When the test ends it is closed (if the test did not close it),
// reopened read-only and checked with DB.Check: bbolt's consistency check
// and fleetq's invariants. A failed check fails the test.
func Open(t testing.TB) *store.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fleetq.db")
	db, err := store.Open(path, store.Options{Create: true, Owner: "storetest " + t.Name()})
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, db.Close())
		MustCheck(t, path)
	})
	return db
}

// MustCheck opens path read-only and fails the test unless DB.Check passes.
func MustCheck(t testing.TB, path string) {
	t.Helper()
	ro, err := store.Open(path, store.Options{ReadOnly: true})
	require.NoError(t, err, "reopen %s read-only for the check", path)
	defer ro.Close()
	require.NoError(t, ro.Check(), "database check of %s", path)
}

// RequireNoChange runs fn and fails the test unless the file at path is
// byte-identical afterwards (bbolt's requireDBNoChange): for operations
// that must only read.
func RequireNoChange(t testing.TB, path string, fn func()) {
	t.Helper()
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	fn()
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	if !equalBytes(before, after) {
		t.Fatalf("%s changed: %d bytes before, %d after, first difference at byte %d",
			path, len(before), len(after), firstDiff(before, after))
	}
}

func equalBytes(a, b []byte) bool { return string(a) == string(b) }

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

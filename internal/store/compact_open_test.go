package store_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
)

// A reader that waits for the lock while ingest compacts the file (write
// a temp copy, rename it over the path) must end up on the new file, not
// fail on the old one, and see every pass.
func TestReaderWaitingDuringCompactionFollowsTheRename(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	w, err := store.Open(path, store.Options{Create: true})
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		src := newSource("inventory", "inventory", fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i))
		create(t, w, store.NewPass{Created: time.Unix(int64(i), 0), Sources: []*store.SourceData{src}})
	}
	opened := make(chan error, 1)
	var passes []store.PassInfo
	go func() {
		r, err := store.Open(path, store.Options{ReadOnly: true, Timeout: 10 * time.Second})
		if err == nil {
			err = r.View(func(tx *store.Tx) (err error) { passes, err = tx.Passes(); return err })
			r.Close()
		}
		opened <- err
	}()
	time.Sleep(100 * time.Millisecond) // the reader is now blocked on the writer's lock
	compacted, err := w.CompactIfSparse(0, 0)
	require.NoError(t, err)
	require.True(t, compacted)
	require.NoError(t, <-opened)
	assert.Len(t, passes, 3)

	db, err := store.Open(path, store.Options{ReadOnly: true})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Check())
}

// CompactIfSparse leaves a dense file alone and open.
func TestCompactIfSparseLeavesDenseFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	w, err := store.Open(path, store.Options{Create: true})
	require.NoError(t, err)
	create(t, w, store.NewPass{Created: time.Unix(1, 0), Sources: []*store.SourceData{newSource("inventory", "inventory", "a")}})
	compacted, err := w.CompactIfSparse(1000, 0)
	require.NoError(t, err)
	assert.False(t, compacted)
	require.NoError(t, w.Close())
}

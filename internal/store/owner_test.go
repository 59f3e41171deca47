package store_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

// newDBFile makes a fleetq database with one pass and closes it.
func newDBFile(t *testing.T) string {
	db := storetest.Open(t)
	create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("inventory", "inventory", "a")}})
	path := db.Path()
	require.NoError(t, db.Close())
	return path
}

// TestLockNoteNeverFollowsALink: a symbolic link planted at DB.writer
// (to an existing file or to a name that does not exist yet) is refused
// by writers, and its target is neither written nor created.
func TestLockNoteNeverFollowsALink(t *testing.T) {
	path := newDBFile(t)
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("precious\n"), 0o600))
	absent := filepath.Join(t.TempDir(), "absent")
	for _, target := range []string{victim, absent} {
		require.NoError(t, os.Symlink(target, path+".writer"))
		_, err := store.Open(path, store.Options{Owner: "fleetq ingest", Timeout: time.Second})
		require.ErrorIs(t, err, store.ErrBadLockNote)
		assert.EqualError(t, err, path+".writer: lock note is not a regular file (a symbolic link); remove it")
		got, err := os.ReadFile(victim)
		require.NoError(t, err)
		assert.Equal(t, "precious\n", string(got), "the link's target is untouched")
		assert.NoFileExists(t, absent, "no file is created through the link")
		ro, err := store.Open(path, store.Options{ReadOnly: true})
		require.NoError(t, err, "readers never touch the note")
		require.NoError(t, ro.Close())
		require.NoError(t, os.Remove(path+".writer"))
	}
	db, err := store.Open(path, store.Options{Owner: "fleetq ingest"})
	require.NoError(t, err, "with the link gone, writers work again")
	require.NoError(t, db.Close())
}

// TestLockNoteOfAKilledWriter: a writer killed while it holds the lock
// leaves its note; a later blocked writer says the note is stale instead
// of blaming the dead pid, and the next writer replaces the note.
func TestLockNoteOfAKilledWriter(t *testing.T) {
	path := newDBFile(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$")
	cmd.Env = append(os.Environ(), "FLEETQ_TEST_HOLD_LOCK="+path)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	_, err = cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.FileExists(t, path+".writer", "a killed writer leaves its note")

	reader, err := store.Open(path, store.Options{ReadOnly: true})
	require.NoError(t, err)
	_, err = store.Open(path, store.Options{Timeout: 50 * time.Millisecond})
	require.ErrorIs(t, err, store.ErrLocked)
	assert.Contains(t, err.Error(), fmt.Sprintf("held by a reader or a writer that left no note; the note names pid %d (lock holder, user ", cmd.Process.Pid))
	assert.Contains(t, err.Error(), "which has exited (stale note)")
	require.NoError(t, reader.Close())

	db, err := store.Open(path, store.Options{Owner: "fleetq drain"})
	require.NoError(t, err, "a stale note does not stop the next writer")
	assert.Equal(t, os.Getpid(), readNote(t, path).PID, "the stale note is replaced")
	require.NoError(t, db.Close())
	assert.NoFileExists(t, path+".writer")
}

// TestLockNoteOfAReusedPid: a note whose pid now names another process
// (a different start time) is stale too.
func TestLockNoteOfAReusedPid(t *testing.T) {
	path := newDBFile(t)
	note := fmt.Sprintf(`{"pid":%d,"start":"1","command":"fleetq drain","since":"2026-01-01T00:00:00Z"}`, os.Getpid())
	require.NoError(t, os.WriteFile(path+".writer", []byte(note), 0o644))
	reader, err := store.Open(path, store.Options{ReadOnly: true})
	require.NoError(t, err)
	defer reader.Close()
	_, err = store.Open(path, store.Options{Timeout: 50 * time.Millisecond})
	require.ErrorIs(t, err, store.ErrLocked)
	assert.Contains(t, err.Error(), fmt.Sprintf("the note names pid %d (fleetq drain, since 2026-01-01T00:00:00Z), which has exited (stale note)", os.Getpid()))
}

// TestCloseRemovesOnlyItsOwnNote: a note replaced behind a writer's back
// is not removed when the writer closes.
func TestCloseRemovesOnlyItsOwnNote(t *testing.T) {
	path := newDBFile(t)
	db, err := store.Open(path, store.Options{Owner: "fleetq ingest"})
	require.NoError(t, err)
	require.NoError(t, os.Remove(path+".writer"))
	require.NoError(t, os.WriteFile(path+".writer", []byte("someone else's\n"), 0o644))
	require.NoError(t, db.Close())
	got, err := os.ReadFile(path + ".writer")
	require.NoError(t, err)
	assert.Equal(t, "someone else's\n", string(got))
}

type note struct {
	PID     int    `json:"pid"`
	Start   string `json:"start"`
	Command string `json:"command"`
}

func readNote(t *testing.T, path string) note {
	b, err := os.ReadFile(path + ".writer")
	require.NoError(t, err)
	var n note
	require.NoError(t, json.Unmarshal(b, &n))
	return n
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

// Ctrl-C with real processes: SIGINT makes fleetq exit 130 after a clean
// abort. Every wait is on an event the process prints, never a sleep.

// holdLock is the lock holder TestMain runs in a child process (with
// $FLEETQ_TEST_HOLD_LOCK): it opens path for writing, says "locked", and
// holds the lock until its stdin closes.
func holdLock(path string) int {
	db, err := store.Open(path, store.Options{Owner: "lock holder"})
	if err != nil {
		fmt.Println("error:", err)
		return 2
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := db.Close(); err != nil {
		fmt.Println("error:", err)
		return 2
	}
	return 0
}

// startHolder starts a real process holding db's write lock; closing the
// returned stdin lets it go.
func startHolder(t *testing.T, db string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	holder := exec.Command(os.Args[0], "-test.run=^$")
	holder.Env = append(os.Environ(), "FLEETQ_TEST_HOLD_LOCK="+db)
	in, err := holder.StdinPipe()
	require.NoError(t, err)
	out, err := holder.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, holder.Start())
	t.Cleanup(func() { in.Close(); _ = holder.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)
	return holder, in
}

// TestInterruptLockWait: a writer waiting for the lock another process
// holds is stopped by SIGINT at once (not after --timeout), exits 130,
// and leaves the holder, its lock note and the file as they were.
func TestInterruptLockWait(t *testing.T) {
	dir := t.TempDir()
	db, hosts := filepath.Join(dir, "fleetq.db"), filepath.Join(dir, "hosts.txt")
	require.NoError(t, os.WriteFile(hosts, []byte("a\nb\n"), 0o644))
	fqBinOK(t, db, "ingest", "hosts:"+hosts)
	holder, release := startHolder(t, db)
	note, err := os.ReadFile(db + ".writer")
	require.NoError(t, err)

	var errOut strings.Builder
	storetest.RequireNoChange(t, db, func() {
		w := exec.Command(fleetqBin, "--db", db, "--timeout", "10m", "freeze", "all", "--reason", "interrupt test")
		stderr, err := w.StderrPipe()
		require.NoError(t, err)
		require.NoError(t, w.Start())
		r := bufio.NewReader(io.TeeReader(stderr, &errOut))
		line, err := r.ReadString('\n') // the lock-wait message: it is waiting now
		require.NoError(t, err, errOut.String())
		require.Contains(t, line, "fleetq: waiting up to 10m0s for the lock of "+db+", held by pid "+fmt.Sprint(holder.Process.Pid)+" (lock holder")
		require.NoError(t, w.Process.Signal(os.Interrupt))
		_, _ = io.Copy(io.Discard, r)
		assert.Equal(t, exitInterrupted, exitCode(t, w.Wait()), errOut.String())
	})
	assert.Contains(t, errOut.String(), "fleetq: interrupted\n")

	// The holder is unaffected: still running, its note in place.
	require.NoError(t, holder.Process.Signal(syscall.Signal(0)), "the holder still runs")
	after, err := os.ReadFile(db + ".writer")
	require.NoError(t, err)
	assert.Equal(t, string(note), string(after), "the holder's lock note is untouched")
	release.Close()
	require.NoError(t, holder.Wait())
	assert.NoFileExists(t, db+".writer")
	assert.Contains(t, fqBinOK(t, db, "leases"), "no leases", "no freeze was recorded")
	assert.NotContains(t, fqBinOK(t, db, "leases"), "FROZEN")
}

// TestInterruptStdin: an ingest reading a pipe that never ends (hosts:late=-;
// a bare hosts:- is refused: "-" cannot be a set name) is stopped
// by SIGINT, exits 130, and seals no pass.
func TestInterruptStdin(t *testing.T) {
	dir := t.TempDir()
	db, hosts := filepath.Join(dir, "fleetq.db"), filepath.Join(dir, "hosts.txt")
	require.NoError(t, os.WriteFile(hosts, []byte("a\nb\n"), 0o644))
	fqBinOK(t, db, "ingest", "hosts:"+hosts)

	var errOut strings.Builder
	storetest.RequireNoChange(t, db, func() {
		cmd := exec.Command(fleetqBin, "--db", db, "ingest", "--progress=plain", "hosts:first="+hosts, "hosts:late=-")
		in, err := cmd.StdinPipe()
		require.NoError(t, err)
		defer in.Close() // only after fleetq exited: its stdin never ends
		stderr, err := cmd.StderrPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		_, err = io.WriteString(in, "c\nd\n")
		require.NoError(t, err)
		r := bufio.NewReader(io.TeeReader(stderr, &errOut))
		line, err := r.ReadString('\n') // the first source is read: stdin is next
		require.NoError(t, err, errOut.String())
		require.True(t, strings.HasPrefix(line, "ingest: hosts "+hosts), line)
		require.NoError(t, cmd.Process.Signal(os.Interrupt))
		_, _ = io.Copy(io.Discard, r)
		assert.Equal(t, exitInterrupted, exitCode(t, cmd.Wait()), errOut.String())
	})
	assert.Contains(t, errOut.String(), "fleetq: interrupted\n")
	assert.NoFileExists(t, db+".writer")
	out := fqBinOK(t, db, "passes", "--format", "json")
	assert.Equal(t, 1, strings.Count(out, `"id"`), "no second pass: %s", out)
}

// TestCtxReader: a read blocked on a pipe returns the context's error
// when it is cancelled, and what the abandoned read gets is the next
// read's: nothing is lost.
func TestCtxReader(t *testing.T) {
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	in := interruptibleStdin(ctx, pr)
	got := make(chan error, 1)
	go func() {
		_, err := in.Read(make([]byte, 16))
		got <- err
	}()
	cancel()
	select {
	case err := <-got:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled read still blocks")
	}
	_, err = pw.Write([]byte("hello"))
	require.NoError(t, err)
	again := interruptibleStdin(context.Background(), in) // a REPL line's view of the same stdin
	b := make([]byte, 3)
	n, err := again.Read(b)
	require.NoError(t, err)
	assert.Equal(t, "hel", string(b[:n]))
	n, err = again.Read(b)
	require.NoError(t, err)
	assert.Equal(t, "lo", string(b[:n]))
}

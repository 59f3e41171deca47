package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCollectKilledTakesItsCommandAlong: a collect killed with SIGKILL
// (the OOM killer, kill -9 of a loop) cannot kill its commands' process
// groups itself; the command it ran dies with it instead of hanging on
// for its whole timeout beside the next collect's copy of it.
func TestCollectKilledTakesItsCommandAlong(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "cmd.pid")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "inventory.csv"), []byte("host\nnode1\n"), 0o644))
	sources := filepath.Join(dir, "fleetq.sources.toml")
	require.NoError(t, os.WriteFile(sources, []byte(`[[source]]
name = "inventory"
kind = "inventory"
path = "inventory.csv"

[[source]]
name = "rebooted"
kind = "hosts"
command = ["sh", "-c", "echo $$ > `+pidFile+`.tmp && mv `+pidFile+`.tmp `+pidFile+` && exec sleep 300"]
timeout = "5m"
`), 0o644))
	cmd := exec.Command(fleetqBin, "--db", filepath.Join(dir, "fleetq.db"), "collect", "--sources", sources)
	require.NoError(t, cmd.Start())
	pid := waitPidFile(t, pidFile)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	deadline := time.Now().Add(promDeadline)
	for processAlive(pid) {
		require.True(t, time.Now().Before(deadline), "the command %d still runs after its collect was killed", pid)
		time.Sleep(20 * time.Millisecond) // the poll waits for the kernel's SIGKILL to land
	}
}

// waitPidFile waits for a command to write its pid, polling within the
// deadline of a hung machine.
func waitPidFile(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(promDeadline)
	for {
		if data, err := os.ReadFile(path); err == nil {
			pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
			require.NoError(t, err)
			return pid
		}
		require.True(t, time.Now().Before(deadline), "the command never wrote %s", path)
		time.Sleep(20 * time.Millisecond) // the poll's period
	}
}

// TestCollectSourcesFileOverItsBound: a sources file is a file a person
// writes, bounded as a definitions file is: --sources /dev/zero or a
// runaway generator's output is refused at 16 MiB, not read whole.
func TestCollectSourcesFileOverItsBound(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.toml")
	require.NoError(t, os.WriteFile(big, []byte(strings.Repeat("# a comment line of a generated sources file\n", (16<<20)/45+1)), 0o644))
	out, errOut, code := runCmd(t, exec.Command(fleetqBin, "--db", filepath.Join(dir, "fleetq.db"), "collect", "--sources", big))
	require.Equal(t, exitFailure, code, out)
	require.Equal(t, "fleetq: "+big+": more than 16777216 bytes: expected a sources file a person writes (docs/limits.md)\n", errOut)
	_, err := os.Stat(filepath.Join(dir, "fleetq.db"))
	require.True(t, os.IsNotExist(err), "no database is made")
}

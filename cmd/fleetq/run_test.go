package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// On a database's first pass, a query file's lines that need an earlier
// pass (name@-1) are skipped and said so, and lines using what they bound
// are skipped too; the run succeeds. From the second pass on they run.
func TestRunSkipsLinesThatNeedHistory(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "f.db")
	inv := filepath.Join(dir, "inv.csv")
	require.NoError(t, os.WriteFile(inv, []byte("host,lifecycle\na,dead\nb,active\n"), 0o644))
	file := filepath.Join(dir, "checks.fq")
	require.NoError(t, os.WriteFile(file, []byte("newly_dead = (lifecycle = \"dead\") - (lifecycle = \"dead\")@-1\nassert count(newly_dead) < 1\nassert count(all) == 2\n"), 0o644))
	fq := func(args ...string) (string, int) {
		out, err := exec.Command(fleetqBin, append([]string{"--db", db}, args...)...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return string(out), code
	}
	_, code := fq("ingest", inv)
	require.Zero(t, code)
	out, code := fq("run", file)
	assert.Zero(t, code, out)
	assert.Contains(t, out, "skip line 1:")
	assert.Contains(t, out, "@-1 from pass 1: no such pass")
	assert.Contains(t, out, "skip line 2: assert count(newly_dead) < 1 (uses newly_dead, which was skipped)")
	assert.Contains(t, out, "assert ok   line 3")

	require.NoError(t, os.WriteFile(inv, []byte("host,lifecycle\na,dead\nb,dead\n"), 0o644))
	_, code = fq("ingest", inv)
	require.Zero(t, code)
	out, code = fq("run", file)
	assert.Equal(t, 4, code, "b is newly dead: the assert runs and fails")
	assert.Contains(t, out, "assert FAIL line 2: count(newly_dead) < 1 (count is 1)")
}

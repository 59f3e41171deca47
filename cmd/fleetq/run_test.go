package main

import (
	"fmt"
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

// Against a real database of five passes: trend asserts and watches read
// the passes before the newest, a comparison of counts with a binding
// under @-1 evaluates the binding there, and with too few passes an
// assert is SHORT, printed, without failing the run.
func TestRunTrendsOverStoredPasses(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "f.db")
	inv := filepath.Join(dir, "inv.csv")
	file := filepath.Join(dir, "trends.fq")
	require.NoError(t, os.WriteFile(file, []byte(`dead = lifecycle = "dead"
draining = lifecycle = "draining"
watch dead up
assert count(draining) <= count(draining@-1)
assert not rising(dead, 3)
assert not stuck(draining, 2)
newly_dead = dead - dead@-1
assert count(newly_dead) == count(newly_dead@-1)
`), 0o644))
	fq := func(args ...string) (string, int) {
		out, err := exec.Command(fleetqBin, append([]string{"--db", db}, args...)...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return string(out), code
	}
	// pass i: hosts h0..h(i-1) dead, h5 draining throughout.
	ingest := func(dead int) {
		t.Helper()
		csv := "host,lifecycle\n"
		for h := 0; h < 6; h++ {
			life := "active"
			switch {
			case h < dead:
				life = "dead"
			case h == 5:
				life = "draining"
			}
			csv += fmt.Sprintf("h%d,%s\n", h, life)
		}
		require.NoError(t, os.WriteFile(inv, []byte(csv), 0o644))
		out, code := fq("ingest", inv)
		require.Zero(t, code, out)
	}
	ingest(1)
	ingest(2)
	out, code := fq("run", file)
	assert.Zero(t, code, out)
	assert.Contains(t, out, "dead            2     1      +1  up (2 of 4 passes)")
	assert.Contains(t, out, "assert ok   line 4: count(draining) <= count(draining@-1) (count is 1, right side 1)")
	assert.Contains(t, out, "assert SHORT line 5: not rising(dead, 3) (not enough passes: needs 4, 2 so far)")
	assert.Contains(t, out, "assert SHORT line 8: count(newly_dead) == count(newly_dead@-1) (not enough passes: newly_dead in pass 1: @-2 from pass 2: no such pass)")

	ingest(3)
	ingest(4)
	out, code = fq("run", file)
	assert.Equal(t, 4, code, out)
	assert.Contains(t, out, "dead            4     3      +1  !! up 3 passes running")
	assert.Contains(t, out, "assert FAIL line 5: not rising(dead, 3) (counts 1 2 3 4)")
	assert.Contains(t, out, "assert FAIL line 6: not stuck(draining, 2) (counts 1 1 1)")
	assert.Contains(t, out, "fleetq: "+file+":5: assert failed: not rising(dead, 3) (counts 1 2 3 4)")
	// newly_dead@-1 in pass 4 is pass 3's newly_dead, which is pass 3's
	// dead minus pass 2's: one host each time.
	assert.Contains(t, out, "newly_dead      1     1      +0")
	assert.Contains(t, out, "assert ok   line 8: count(newly_dead) == count(newly_dead@-1) (count is 1, right side 1)")

	out, code = fq("run", "--format", "json", file)
	assert.Equal(t, 4, code, out)
	assert.Contains(t, out, `"verdict": "fail"`)
	assert.Contains(t, out, `"marked": true`)

	require.NoError(t, os.WriteFile(file, []byte("dead = lifecycle = \"dead\"\nassert not rising(dead)\n"), 0o644))
	out, code = fq("run", file)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, file+":2:23: expected , STEPS")
	assert.Contains(t, out, "  assert not rising(dead)\n                        ^")
}

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoopTranscriptsOfTwoDatabasesBesideEachOther: two loops whose
// databases share a directory (smf1.db and atl1.db in /var/lib/fleetq)
// write their transcripts in the same default directory, and both make
// a pass 1 on the same day: neither transcript replaces the other.
func TestLoopTranscriptsOfTwoDatabasesBesideEachOther(t *testing.T) {
	f := newActionFixture(t)
	sources := loopSources(t, f, "", "")
	var printed []string
	for _, db := range []string{"smf1.db", "atl1.db"} {
		out, errOut, code := runCmd(t, exec.Command(fleetqBin, "--db", filepath.Join(f.dir, db), "loop", "--every", "1m", "--passes", "1", "--sources", sources))
		require.Equal(t, 0, code, "stdout: %s\nstderr: %s", out, errOut)
		i := strings.LastIndex(out, "transcript: ")
		require.GreaterOrEqual(t, i, 0, out)
		name := strings.TrimSpace(out[i+len("transcript: "):])
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		printed = append(printed, name)
		assert.Equal(t, out[:i], string(data), "the transcript is what the pass printed")
	}
	assert.NotEqual(t, printed[0], printed[1], "the second loop's transcript has a name of its own")
	assert.ElementsMatch(t, printed, transcripts(t, filepath.Join(f.dir, "transcripts")), "both transcripts are kept, and nothing else")
}

// TestLoopEveryNotPositive: a negative --every is given, not missing:
// the error says what was expected of it.
func TestLoopEveryNotPositive(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := runCmd(t, exec.Command(fleetqBin, "--db", filepath.Join(dir, "fleetq.db"), "loop", "--every", "-5m", "--sources", filepath.Join(dir, "none.toml")))
	assert.Equal(t, exitUsage, code, out)
	assert.Equal(t, "fleetq: --every -5m0s: expected a positive time between passes, such as 5m\n", errOut)
}

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// replFixture writes a small inventory and ingests it as pass 1 of a new
// database; it returns the database path and the directory.
func replFixture(t *testing.T) (db, dir string) {
	t.Helper()
	dir = t.TempDir()
	db = filepath.Join(dir, "fleetq.db")
	inv := "host,role,cluster,hadoop_exclude\n" +
		"dn01.smf1,hadoop-worker,smf1-a,false\n" +
		"dn02.smf1,hadoop-worker,smf1-a,true\n" +
		"dn03.smf1,hadoop-worker,smf1-b,false\n" +
		"web01.smf1,web,smf1-a,false\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "inventory.csv"), []byte(inv), 0o644))
	replRun(t, db, "", "ingest", "--label", "first", filepath.Join(dir, "inventory.csv"))
	return db, dir
}

// replRun runs fleetq in-process and returns stdout, failing on a non-zero
// exit.
func replRun(t *testing.T, db, stdin string, args ...string) string {
	t.Helper()
	out, errOut, code := replRunCode(db, stdin, args...)
	require.Equal(t, 0, code, "fleetq %v: %s", args, errOut)
	return out
}

func replRunCode(db, stdin string, args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"--db", db}, args...), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestREPLScriptModePrintsResults(t *testing.T) {
	db, _ := replFixture(t)
	script := "# a comment\n" +
		"x = all - hadoop_exclude\n" +
		"x & role = \"hadoop-worker\"\n" +
		"x | count\n" +
		":pass\n"
	out, errOut, code := replRunCode(db, script, "repl")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "dn01.smf1\ndn03.smf1\n3\npass 1 (first) made", out[:len("dn01.smf1\ndn03.smf1\n3\npass 1 (first) made")])
	require.Contains(t, errOut, "# x = 3 hosts")
}

func TestREPLScriptModeGoesOnAfterErrorsAndFails(t *testing.T) {
	db, _ := replFixture(t)
	out, errOut, code := replRunCode(db, "all - hadoop_exlude\nall | count\n:bogus\n", "repl")
	require.Equal(t, exitFailure, code)
	require.Equal(t, "4\n", out)
	require.Contains(t, errOut, "fleetq: line 1: 1:7: unknown name")
	require.Contains(t, errOut, "did you mean hadoop_exclude?")
	require.Contains(t, errOut, "fleetq: line 3: unknown command :bogus")
}

func TestREPLScriptModeFormatAndCommands(t *testing.T) {
	db, _ := replFixture(t)
	out := replRun(t, db, "role = \"web\"\n:format folded\nall - role = \"web\"\nhost web01.smf1\n", "--format", "json", "repl")
	require.Contains(t, out, `"hosts": [`)
	require.Contains(t, out, "dn[01-03].smf1\n")
	require.Contains(t, out, "web01.smf1") // the host command ran with the session's database
}

func TestREPLScriptModeExplainAndWhyUseBindings(t *testing.T) {
	db, _ := replFixture(t)
	out := replRun(t, db, "x = all - hadoop_exclude\n:explain x & role = \"web\"\n:why dn02.smf1 x | count\n", "repl")
	require.Contains(t, out, "session binding")
	require.Contains(t, out, "dn02.smf1 is NOT IN the result")
}

func TestREPLPassMoves(t *testing.T) {
	db, dir := replFixture(t)
	replRun(t, db, "", "ingest", "--label", "second", filepath.Join(dir, "inventory.csv"))
	out := replRun(t, db, ":pass -1\n:pass +1\n:pass latest\n", "repl")
	require.Contains(t, out, "pass 1 (first)")
	require.Contains(t, out, "pass 2 (second) made")
	require.Contains(t, out, "the newest; following new passes")
	_, errOut, code := replRunCode(db, ":pass 7\n:pass -5\n", "repl")
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "no pass 7 (passes 1 to 2)")
	require.Contains(t, errOut, "no pass -5 from pass 2")
}

func TestCompletionBashIsAScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	script := replRun(t, filepath.Join(t.TempDir(), "none.db"), "", "completion", "bash")
	f := filepath.Join(t.TempDir(), "fleetq.bash")
	require.NoError(t, os.WriteFile(f, []byte(script), 0o644))
	out, err := exec.Command(bash, "-n", f).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, script, "__shellcomplete bash")
	for _, sh := range []string{"zsh", "fish", "powershell"} {
		require.NotEmpty(t, replRun(t, "x.db", "", "completion", sh), sh)
	}
	_, _, code := replRunCode("x.db", "", "completion", "tcsh")
	require.Equal(t, exitUsage, code)
}

func TestCompletionOfQueryArguments(t *testing.T) {
	db, _ := replFixture(t)
	out := replRun(t, db, "", "__complete", "query", "all - hadoop_ex")
	require.Contains(t, out, "all - hadoop_exclude\n")
	out = replRun(t, db, "", "__complete", "explain", "role = hadoop")
	require.Contains(t, out, "role = \"hadoop-worker\"\n")
	out = replRun(t, db, "", "__complete", "query", "all | c")
	require.Contains(t, out, "all | count\n")
	// no database: nothing, quietly, and no database created
	none := filepath.Join(t.TempDir(), "none.db")
	out = replRun(t, none, "", "__complete", "query", "al")
	require.Contains(t, out, "all\n")
	require.NoFileExists(t, none)
}

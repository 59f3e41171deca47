package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The first commands a new user types (README, quick start): the shorthand, version,
// install. They run the built binary, as the user would.

// firstDayDB is a tiny database: three hosts, a bool set "dead".
func firstDayDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	inv := filepath.Join(dir, "inv.csv")
	require.NoError(t, os.WriteFile(inv, []byte("host,role,dead\na1,web,true\na2,db,false\na3,web,false\n"), 0o644))
	db := filepath.Join(dir, "fleetq.db")
	fqBinOK(t, db, "ingest", inv)
	return db
}

func TestShorthand(t *testing.T) {
	db := firstDayDB(t)
	for _, tc := range []struct {
		name   string
		args   []string // after the binary; no --db added
		out    string
		errOut string
		code   int
	}{
		{"global flags before the expression", []string{"--db", db, "-o", "json", "dead | count"}, "\"count\": 1", "", 0},
		{"--flag=value before the expression", []string{"--db=" + db, "all - dead"}, "a2\na3\n", "", 0},
		{"a command's flag before the command", []string{"--db", db, "--pass", "1", "query", "dead | count"}, "1\n", "", 0},
		{"a query flag before the short form", []string{"--db", db, "--pass", "1", "dead | count"}, "1\n", "", 0},
		{"a query flag after the expression", []string{"--db", db, "all | sample 1", "--seed", "7"}, "", "seed 7", 0},
		{"a set that is close to a command stays a query", []string{"--db", db, "dead"}, "a1\n", "", 0},
		{"a misspelt command", []string{"--db", db, "pases"}, "", `fleetq: unknown command "pases" (did you mean passes?); for a set of that name: fleetq query pases`, 2},
		{"a transposed command", []string{"--db", db, "sest"}, "", `(did you mean sets?)`, 2},
		{"an unknown name far from any command", []string{"--db", db, "hadoop"}, "", `no set "hadoop" in pass 1`, 1},
		{"an expression split by the shell", []string{"--db", db, "all", "-", "dead"}, "", "fleetq: quote the expression: fleetq query 'all - dead' (the shell split it into 3 arguments)", 2},
		{"split after global flags", []string{"-o", "json", "--db", db, "all", "&", "dead"}, "", "fleetq query 'all & dead'", 2},
		{"query split by the shell", []string{"--db", db, "query", "all", "-", "dead"}, "", "fleetq query 'all - dead'", 2},
		{"why split by the shell", []string{"--db", db, "why", "a1", "all", "-", "dead"}, "", "fleetq why a1 'all - dead'", 2},
		{"a mistyped source kind", []string{"--db", db, "ingest", "hfds:report.txt"}, "", `fleetq: hfds:report.txt: unknown source kind "hfds" (expected KIND:PATH with a kind of hdfs,`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := fqRaw(t, tc.args...)
			assert.Equal(t, tc.code, code, "stderr: %s", errOut)
			assert.Contains(t, out, tc.out)
			assert.Contains(t, errOut, tc.errOut)
			if tc.code != 0 {
				assert.Equal(t, 1, strings.Count(errOut, "fleetq:"), "one error line: %s", errOut)
			}
		})
	}
}

// fqRaw runs the built binary with exactly args.
func fqRaw(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(fleetqBin, args...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), ee.ExitCode()
	}
	require.NoError(t, err)
	return out.String(), errOut.String(), 0
}

// TestVersion builds the binary as make does (version and build time
// from -ldflags, the revision from git) and reads it back.
func TestVersion(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "fleetq")
	build := exec.Command("go", "build", "-buildvcs=auto", "-ldflags",
		"-X main.version=v1.2.3-test -X main.buildTime=2026-01-02T03:04:05Z", "-o", bin, "./cmd/fleetq")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	text, err := exec.Command(bin, "version").Output()
	require.NoError(t, err)
	flag, err := exec.Command(bin, "--version").Output()
	require.NoError(t, err)
	assert.Equal(t, string(text), string(flag), "--version prints what version prints")
	assert.True(t, strings.HasPrefix(string(text), "fleetq v1.2.3-test\n"), "%s", text)
	assert.Contains(t, string(text), "built      2026-01-02T03:04:05Z")
	assert.Contains(t, string(text), "go         "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH)

	js, err := exec.Command(bin, "version", "--format", "json").Output()
	require.NoError(t, err)
	var bi buildInfo
	require.NoError(t, json.Unmarshal(js, &bi))
	assert.Equal(t, "v1.2.3-test", bi.Version)
	head, status, ok := gitState(root)
	if !ok {
		t.Log("SKIP revision check: not a git clone, or no git")
		return
	}
	assert.Equal(t, head, bi.Revision, "vcs revision")
	assert.Equal(t, status != "", bi.Modified, "dirty flag (git status: %q)", status)
}

func gitState(root string) (head, status string, ok bool) {
	if fi, err := os.Stat(filepath.Join(root, ".git")); err != nil || !fi.IsDir() {
		return "", "", false // not a clone (a worktree's .git is a file go build does not stamp from)
	}
	h, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		return "", "", false
	}
	s, err := exec.Command("git", "-C", root, "status", "--porcelain").Output()
	if err != nil {
		return "", "", false
	}
	return strings.TrimSpace(string(h)), strings.TrimSpace(string(s)), true
}

// TestMakeInstall runs `make install PREFIX=…` into a temporary prefix:
// the binary, and one man page per command.
func TestMakeInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary with make")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("SKIP: make not installed")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	tmp := t.TempDir()
	prefix := filepath.Join(tmp, "usr")
	cmd := exec.Command("make", "-s", "-C", root, "install", "PREFIX="+prefix,
		"BIN="+filepath.Join(tmp, "build", "fleetq"), "GEN="+filepath.Join(tmp, "build", "genfleet"),
		"MANSRC="+filepath.Join(tmp, "man"))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	installed := filepath.Join(prefix, "bin", "fleetq")
	v, err := exec.Command(installed, "version").Output()
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(v), "fleetq "), "%s", v)
	for _, page := range []string{"fleetq.1", "fleetq-query.1", "fleetq-ingest.1", "fleetq-version.1"} {
		data, err := os.ReadFile(filepath.Join(prefix, "share", "man", "man1", page))
		if assert.NoError(t, err, page) {
			assert.Contains(t, string(data), ".TH \"FLEETQ\" \"1\"", page)
		}
	}
}

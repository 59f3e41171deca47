package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCookbook runs every recipe of docs/cookbook.md against a demo
// database it builds itself, the way a reader would after `make demo`.
//
// The convention: inside an indented (four-space) code block, a line that
// starts with "$ " is a command. It continues onto the next lines while it
// ends with a backslash or leaves a single quote open. Commands run in
// order, with bash, in a directory laid out like the repository after
// `make demo` (bin/fleetq, examples/, demo/fleetq.db), with FLEETQ_DB and
// FLEETQ_POLICY set as the cookbook's setup says. Each must exit 0, or N
// when the command ends with the comment "# exit N". Lines without "$ "
// (outputs, the setup block) are not run. A few runnable lines are plain
// shell that prepares a recipe (cp, printf); the rest run fleetq.
func TestCookbook(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 5,000-host demo database")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found: the cookbook's commands are shell lines")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	doc, err := os.ReadFile(filepath.Join(root, "docs", "cookbook.md"))
	require.NoError(t, err)
	cmds := cookbookCommands(string(doc))
	n := 0
	for _, c := range cmds {
		if strings.Contains(c.text, "fleetq ") {
			n++
		}
	}
	require.GreaterOrEqual(t, n, 20, "runnable fleetq commands found in docs/cookbook.md")

	dir := cookbookDemo(t, root, bash)
	_, hasJQ := exec.LookPath("jq")
	env := append(cookbookEnv(),
		"PATH="+filepath.Join(dir, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"),
		"FLEETQ_DB=demo/fleetq.db",
		"FLEETQ_POLICY=examples/policy.toml",
		"NO_COLOR=1",
	)
	for _, c := range cmds {
		if hasJQ != nil && regexp.MustCompile(`\|\s*jq\b`).MatchString(c.text) {
			t.Logf("docs/cookbook.md:%d: skipped, jq is not installed", c.line)
			continue
		}
		cmd := exec.Command(bash, "-c", "set -o pipefail\n"+c.text)
		cmd.Dir, cmd.Env = dir, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("docs/cookbook.md:%d: %v", c.line, err)
		}
		if code != c.exit {
			t.Errorf("docs/cookbook.md:%d: exit %d, want %d\n$ %s\n%s", c.line, code, c.exit, c.text, cookbookClip(out.String()))
		}
	}
}

// cookbookCommand is one runnable command of the cookbook.
type cookbookCommand struct {
	line int    // line of the "$ " in docs/cookbook.md
	text string // the command, continuation lines included
	exit int    // the expected exit status
}

var cookbookExitRE = regexp.MustCompile(`#\s*exit\s+(\d+)\s*$`)

// cookbookCommands extracts the "$ " commands of indented code blocks.
func cookbookCommands(doc string) []cookbookCommand {
	var out []cookbookCommand
	var cur *cookbookCommand
	sc := bufio.NewScanner(strings.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if cur != nil {
			cur.text += "\n" + strings.TrimPrefix(line, "    ")
			if !cookbookContinues(cur.text) {
				out = append(out, *cur)
				cur = nil
			}
			continue
		}
		rest, ok := strings.CutPrefix(line, "    $ ")
		if !ok {
			continue
		}
		cur = &cookbookCommand{line: n, text: rest}
		if !cookbookContinues(cur.text) {
			out = append(out, *cur)
			cur = nil
		}
	}
	for i := range out {
		if m := cookbookExitRE.FindStringSubmatch(out[i].text); m != nil {
			out[i].exit, _ = strconv.Atoi(m[1])
		}
	}
	return out
}

// cookbookContinues reports whether a command goes on to the next line: a
// trailing backslash, or an open single quote.
func cookbookContinues(s string) bool {
	return strings.HasSuffix(s, `\`) || strings.Count(s, "'")%2 == 1
}

// cookbookDemo lays out a directory like the repository after `make demo`
// and runs the unchanged examples/demo.sh there: it cds to its own
// parent directory and writes demo/ beside examples/.
func cookbookDemo(t *testing.T, root, bash string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"bin", "examples"} {
		require.NoError(t, os.Mkdir(filepath.Join(dir, d), 0o755))
	}
	bin, err := os.ReadFile(fleetqBin)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bin", "fleetq"), bin, 0o755))
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "bin", "genfleet"), "./examples/genfleet")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./examples/genfleet: %s", out)
	entries, err := os.ReadDir(filepath.Join(root, "examples"))
	require.NoError(t, err)
	for _, e := range entries {
		if e.Type().IsRegular() {
			data, err := os.ReadFile(filepath.Join(root, "examples", e.Name()))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "examples", e.Name()), data, 0o755))
		}
	}
	require.NoError(t, os.CopyFS(filepath.Join(dir, "examples", "policy"), os.DirFS(filepath.Join(root, "examples", "policy"))),
		"the demo reads the policy directory examples/policy/")
	demo := exec.Command(bash, filepath.Join(dir, "examples", "demo.sh"))
	demo.Env = append(cookbookEnv(), "PATH="+os.Getenv("PATH"), "NO_COLOR=1")
	out, err = demo.CombinedOutput()
	require.NoError(t, err, "examples/demo.sh: %s", cookbookClip(string(out)))
	require.FileExists(t, filepath.Join(dir, "demo", "fleetq.db"))
	return dir
}

// cookbookEnv is the test's environment without PATH and fleetq's own
// variables, so a developer's FLEETQ_DB never leaks into the recipes.
func cookbookEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FLEETQ_") && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	return env
}

// cookbookClip keeps the end of a long output for a failure message.
func cookbookClip(s string) string {
	if len(s) > 4000 {
		return fmt.Sprintf("…(%d bytes cut)…\n%s", len(s)-4000, s[len(s)-4000:])
	}
	return s
}

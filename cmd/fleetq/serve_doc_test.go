package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestServeDocWalkthrough runs every "$ " command of docs/serve.md, in
// order and in ONE bash session (the walkthrough keeps the server's pid
// and the tokens in shell variables), on a demo database laid out as
// after `make demo`. Each command must exit 0, or N with "# exit N"; the
// output shown under a command must be what it prints, unless the
// command says "# output varies". Port 8470 is replaced by a free one.
func TestServeDocWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 5,000-host demo database")
	}
	bash, err := exec.LookPath("bash")
	require.NoError(t, err)
	for _, tool := range []string{"curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIP: %s is not installed (apt-get install %s): docs/serve.md's walkthrough uses it", tool, tool)
		}
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	doc, err := os.ReadFile(filepath.Join(root, "docs", "serve.md"))
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(freePort(t))
	text := strings.ReplaceAll(string(doc), "8470", port)
	cmds := docCommands(text)
	require.GreaterOrEqual(t, len(cmds), 12, "commands in docs/serve.md")
	walkEnd := strings.Count(text[:strings.Index(text, "\n## Design")], "\n") + 1
	for _, c := range cmds {
		require.Less(t, c.line, walkEnd, "docs/serve.md:%d: a $ command after the walkthrough would run out of order, "+
			"with the server stopped: move it into the walkthrough, or show it without the $", c.line)
	}

	dir := cookbookDemo(t, root, bash)
	outDir := filepath.Join(dir, ".walk")
	require.NoError(t, os.Mkdir(outDir, 0o755))
	var script strings.Builder
	for i, c := range cmds {
		fmt.Fprintf(&script, "{\n%s\n} > %s/%d.out 2>&1; echo $? > %s/%d.rc\n", c.text, outDir, i, outDir, i)
	}
	cmd := exec.Command(bash, "-c", script.String())
	cmd.Dir, cmd.Env = dir, append(cookbookEnv(), "PATH="+os.Getenv("PATH"), "NO_COLOR=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }) // a server a failed line left behind
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	for i, c := range cmds {
		rc, err := os.ReadFile(fmt.Sprintf("%s/%d.rc", outDir, i))
		require.NoError(t, err, "docs/serve.md:%d did not run", c.line)
		got, _ := os.ReadFile(fmt.Sprintf("%s/%d.out", outDir, i))
		if strings.TrimSpace(string(rc)) != fmt.Sprint(c.exit) {
			t.Errorf("docs/serve.md:%d: exit %s, want %d\n$ %s\n%s", c.line, strings.TrimSpace(string(rc)), c.exit, c.text, cookbookClip(string(got)))
			continue
		}
		if c.want != nil && !c.varies && strings.TrimRight(string(got), "\n") != strings.Join(c.want, "\n") {
			t.Errorf("docs/serve.md:%d: printed\n%s\nthe document shows\n%s", c.line, got, strings.Join(c.want, "\n"))
		}
	}
	if t.Failed() {
		log, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
		t.Logf("serve.log:\n%s", cookbookClip(string(log)))
	}
}

// docCommand is a "$ " command of an indented block with the output lines
// shown under it.
type docCommand struct {
	cookbookCommand
	want   []string
	varies bool
}

func docCommands(doc string) []docCommand {
	var out []docCommand
	for _, c := range cookbookCommands(doc) {
		out = append(out, docCommand{cookbookCommand: c, varies: strings.Contains(c.text, "# output varies")})
	}
	lines := strings.Split(doc, "\n")
	for i := range out {
		n := out[i].line - 1 + strings.Count(out[i].text, "\n") + 1 // the line after the command
		for ; n < len(lines); n++ {
			l := lines[n]
			if !strings.HasPrefix(l, "    ") || strings.HasPrefix(l, "    $ ") {
				break
			}
			out[i].want = append(out[i].want, strings.TrimPrefix(l, "    "))
		}
	}
	return out
}

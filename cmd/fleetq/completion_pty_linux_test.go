package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// These tests type into real bash and zsh in a pseudo-terminal, with
// fleetq's completion scripts loaded, and check what Tab does.

const bashCompletionPackage = "/usr/share/bash-completion/bash_completion"

func TestCompletionInBash(t *testing.T) {
	needShell(t, "bash")
	f := newCompletionFixture(t)
	s := f.start(t, "bash", "--noprofile", "--rcfile", f.rc("bash", "source "+f.script(t, "bash")))
	f.checkCompletion(s)
}

func TestCompletionInBashWithBashCompletion(t *testing.T) {
	needShell(t, "bash")
	if _, err := os.Stat(bashCompletionPackage); err != nil {
		t.Skip("SKIP: the bash-completion package is not installed; CI installs it via .ci/run")
	}
	f := newCompletionFixture(t)
	rc := f.rc("bash", "source "+bashCompletionPackage, "source "+f.script(t, "bash"))
	s := f.start(t, "bash", "--noprofile", "--rcfile", rc)
	f.checkCompletion(s)
}

func TestCompletionInZsh(t *testing.T) {
	needShell(t, "zsh")
	f := newCompletionFixture(t)
	rc := f.rc("zsh", "autoload -U compinit && compinit -u -D", "source "+f.script(t, "zsh"))
	s := f.start(t, "zsh", "-f")
	s.p.send("source " + rc + "\r")
	f.checkCompletion(s)
}

func needShell(t *testing.T, name string) {
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("SKIP: %s not installed; CI installs it via .ci/run", name)
	}
}

type completionFixture struct {
	dir, db string
}

// newCompletionFixture makes a database of three passes: an inventory
// and a host list "dead" read in pass 1, the inventory again in 2 and 3.
func newCompletionFixture(t *testing.T) *completionFixture {
	db, dir := replFixture(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dead"), []byte("dn03.smf1\n"), 0o644))
	replRun(t, db, "", "ingest", filepath.Join(dir, "inventory.csv"), filepath.Join(dir, "dead"))
	replRun(t, db, "", "ingest", filepath.Join(dir, "inventory.csv"))
	return &completionFixture{dir: dir, db: db}
}

// script writes fleetq's completion script for shell.
func (f *completionFixture) script(t *testing.T, shell string) string {
	out, err := exec.Command(fleetqBin, "completion", shell).Output()
	require.NoError(t, err)
	path := filepath.Join(f.dir, "fleetq."+shell)
	require.NoError(t, os.WriteFile(path, out, 0o644))
	return path
}

// rc writes a start-up file of lines that ends by setting the prompt.
func (f *completionFixture) rc(name string, lines ...string) string {
	path := filepath.Join(f.dir, name+".rc")
	text := strings.Join(append(lines, "PS1='fq> '", "printf 'RC%sREADY\\n' -"), "\n") + "\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		panic(err)
	}
	return path
}

// shellSession is an interactive shell in a pseudo-terminal.
type shellSession struct {
	p *ptyProc
	n int
}

func (f *completionFixture) start(t *testing.T, shell string, args ...string) *shellSession {
	inputrc := filepath.Join(f.dir, "inputrc")
	require.NoError(t, os.WriteFile(inputrc, nil, 0o644))
	env := []string{
		"PATH=" + filepath.Dir(fleetqBin) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + f.dir, "FLEETQ_DB=" + f.db, "INPUTRC=" + inputrc,
		"EDITOR=", "VISUAL=", "LC_ALL=C.UTF-8", "HISTFILE=" + filepath.Join(f.dir, "history"),
	}
	bin, err := exec.LookPath(shell)
	require.NoError(t, err)
	return &shellSession{p: startPTY(t, env, bin, args...)}
}

// sync clears the line being edited (Ctrl-E Ctrl-U: a Ctrl-C would
// flush the typed-ahead input) and waits for the shell to have
// run a command, so that what follows is read at a fresh prompt.
func (s *shellSession) sync() {
	s.p.t.Helper()
	s.n++
	s.p.send(fmt.Sprintf("\x05\x15printf 'S%%sS\\n' %d\r", s.n))
	s.p.expect(fmt.Sprintf("S%dS", s.n))
}

// completes types line, Tab and tail, then has the shell print the words
// of the line one per <…> (Ctrl-A, printf, Enter), and waits for want:
// the words as the shell would pass them to fleetq, quotes removed. tail
// is typed right after Tab, as zsh takes back the space it added when the
// next key is not a character.
func (s *shellSession) completes(line, tail string, want ...string) {
	s.p.t.Helper()
	s.sync()
	s.p.send(line + "\t" + tail + "\x01printf '<%s>\\n' \r")
	w := make([]string, len(want))
	for i, x := range want {
		w[i] = "<" + x + ">\r\n"
	}
	s.p.expect(strings.Join(w, ""))
}

// lists types line and Tab Tab, and waits for the listed candidates.
func (s *shellSession) lists(line string, want ...string) {
	s.p.t.Helper()
	s.sync()
	s.p.send(line + "\t\t")
	s.p.expectAll(want...)
}

// listsMatch is lists with a pattern for candidates too short to find
// alone (pass ids).
func (s *shellSession) listsMatch(line string, re *regexp.Regexp) {
	s.p.t.Helper()
	s.sync()
	s.p.send(line + "\t\t")
	s.p.expectMatch(re)
}

func (f *completionFixture) checkCompletion(s *shellSession) {
	s.p.expect("RC-READY")
	// inside a quoted expression: no closing quote, no space after a name
	s.completes("fleetq query 'all - hadoop_ex", "'", "query", "all - hadoop_exclude")
	s.completes("fleetq query 'all - hadoop_ex", " | co'", "all - hadoop_exclude | co")
	s.lists("fleetq query 'all - ", "hadoop_exclude", "dead", "inventory", "role", "cluster")
	s.completes(`fleetq query 'role = "hadoop-w`, "'", `role = "hadoop-worker"`)
	s.completes("fleetq query 'dead | sa", " 1'", "dead | sample 1")
	s.lists("fleetq query 'dead | s", "sample", "show", "split", "spread", "stratify")
	s.lists("fleetq query 'dead - dead@", "-1", "-2")
	s.completes("fleetq 'all - hadoop_ex", "'", "all - hadoop_exclude") // the short form
	s.completes("fleetq explain 'dea", "'", "explain", "dead")
	s.completes("fleetq drain 'hadoop_ex", "'", "drain", "hadoop_exclude")
	// flag values, then a space
	s.completes("fleetq sets --format js", "x", "--format", "json", "x")
	s.completes("fleetq sets --format=cs", "x", "--format=csv", "x")
	s.lists("fleetq sets --format ", "text", "json", "csv", "folded")
	s.listsMatch("fleetq sets --pass ", regexp.MustCompile(`[^0-9]1\s+2\s+3[^0-9]`))
	s.completes("fleetq host --pass 3 web", "", "--pass", "3", "web01.smf1")
	// host names
	s.lists("fleetq host dn0", "dn01.smf1", "dn02.smf1", "dn03.smf1")
	s.completes("fleetq host web", "x", "host", "web01.smf1", "x")
	s.completes("fleetq why web", "'dea'", "why", "web01.smf1", "dea")
	s.completes("fleetq release web", "", "release", "web01.smf1")
	// no database: no candidates, no noise
	s.completes("fleetq --db "+filepath.Join(f.dir, "none.db")+" host web", "X", "host", "webX")
}

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/runfile"
	"github.com/fleetq/fleetq/internal/store"
)

// looping is a fleetq loop started as its own process: its stdout lines
// arrive on lines, its stderr is kept.
type looping struct {
	cmd    *exec.Cmd
	lines  chan string
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan struct{}
	code   int
}

// startLoop starts fleetq --db db loop ARGS, with env added.
func startLoop(t *testing.T, db string, env []string, args ...string) *looping {
	t.Helper()
	cmd := exec.Command(fleetqBin, append([]string{"--db", db, "loop"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	l := &looping{cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
	cmd.Stderr = &lockedWriter{mu: &l.mu, w: &l.stderr}
	require.NoError(t, cmd.Start())
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			l.lines <- sc.Text()
		}
		close(l.lines)
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			l.code = ee.ExitCode()
		}
		close(l.done)
	}()
	t.Cleanup(func() {
		select {
		case <-l.done:
		default:
			_ = cmd.Process.Kill()
			<-l.done
		}
	})
	return l
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func (l *looping) Stderr() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stderr.String()
}

// waitLine reads stdout up to a line containing want and returns it.
func (l *looping) waitLine(t *testing.T, want string) string {
	t.Helper()
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				t.Fatalf("fleetq loop ended before printing %q (exit %d)\nstderr: %s", want, l.wait(t), l.Stderr())
			}
			if strings.Contains(line, want) {
				return line
			}
		case <-timeout:
			t.Fatalf("no line %q from fleetq loop in 2m\nstderr: %s", want, l.Stderr())
		}
	}
}

// wait waits for the loop to exit and returns its status; the rest of
// its stdout is drained.
func (l *looping) wait(t *testing.T) int {
	t.Helper()
	go func() {
		for range l.lines {
		}
	}()
	select {
	case <-l.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("fleetq loop did not exit in 2m\nstderr: %s", l.Stderr())
	}
	return l.code
}

// loopSources writes a sources file over the fixture: its inventory and
// responsive files by path, and a command listing hosts. When block is
// set, the command (once the file block exists) writes a line to the FIFO
// fifo and then hangs, the moment to signal a collect in flight.
func loopSources(t *testing.T, f *actionFixture, block, fifo string) string {
	script := "echo dn0001.smf1; echo dn0002.smf1"
	if block != "" {
		script = "if [ -e " + block + " ]; then echo started > " + fifo + "; exec sleep 120; fi; " + script
	}
	path := filepath.Join(f.dir, "loop.sources.toml")
	require.NoError(t, os.WriteFile(path, []byte(`[[source]]
name = "inventory"
kind = "inventory"
path = "inventory.csv"

[[source]]
name = "responsive"
kind = "hosts"
path = "responsive"

[[source]]
name = "rebooted"
kind = "hosts"
command = ["sh", "-c", "`+script+`"]
timeout = "150s"
`), 0o644))
	return path
}

const loopRunFile = `dead = lifecycle = "dead"
watch dead up
assert count(dead) <= count(dead@-1)
assert not rising(dead, 2)
`

func transcripts(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, path)
		}
		return err
	}))
	return out
}

// Three passes two seconds apart: one transcript each, named by the pass
// under the day it was made, holding the collect, the run file's summary
// and the dry-run decision; stdout carries the same blocks.
func TestLoopWritesOneTranscriptPerPass(t *testing.T) {
	f := newActionFixture(t)
	runFile := filepath.Join(f.dir, "trends.fq")
	require.NoError(t, os.WriteFile(runFile, []byte(loopRunFile), 0o644))
	defs := filepath.Join(f.dir, "loop.defs")
	require.NoError(t, os.WriteFile(defs, []byte(`dead_dense = lifecycle = "dead" & cluster = "smf1-dense-02"`+"\n"), 0o644))
	dir := filepath.Join(f.dir, "transcripts")
	l := startLoop(t, f.db, []string{"FLEETQ_POLICY=" + f.policy}, "--every", "2s", "--passes", "3", "--sources", loopSources(t, f, "", ""), "--run", runFile,
		"--defs", defs, "--transcripts", dir, "--decide", "drain", "dead_dense", "--reason", "loop test")
	var names []string
	for i := 0; i < 3; i++ {
		line := l.waitLine(t, "transcript: ")
		names = append(names, strings.TrimPrefix(line, "transcript: "))
	}
	require.Zero(t, l.wait(t), l.Stderr())
	assert.Equal(t, names, transcripts(t, dir), "one transcript per pass, nothing else (no temp files)")
	for i, name := range names {
		pass := i + 2 // the fixture made pass 1
		assert.Equal(t, "pass-"+leftPad(pass)+".txt", filepath.Base(name))
		day := filepath.Base(filepath.Dir(name))
		_, err := time.Parse(time.DateOnly, day)
		assert.NoError(t, err, "a directory per day: %s", day)
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		text := string(data)
		assert.Contains(t, text, "== loop pass "+strconv.Itoa(i+1)+" ")
		assert.Contains(t, text, "pass "+strconv.Itoa(pass)+" sealed: 452 hosts (3 sources read, 0 failed)")
		assert.Contains(t, text, "-- run: fleetq run "+runFile)
		assert.Contains(t, text, "dead      9     9      +0  up")
		assert.Contains(t, text, "assert ok   line 3: count(dead) <= count(dead@-1) (count is 9, right side 9)")
		assert.Contains(t, text, `-- decide: fleetq drain dead_dense '--reason=loop test'`)
		assert.Contains(t, text, "drain 'dead_dense': 9 hosts selected (pass "+strconv.Itoa(pass)+", ")
		assert.Contains(t, text, "dry run: nothing changed but the audit log")
		assert.NotContains(t, text, "--force")
	}
	first, _ := os.ReadFile(names[0])
	assert.Contains(t, string(first), "assert SHORT line 4: not rising(dead, 2) (not enough passes: needs 3, 2 so far)")
	assert.Regexp(t, `^== loop pass 1  \S+  pass 2, 1 assert short of passes\n`, string(first))
	last, _ := os.ReadFile(names[2])
	assert.Regexp(t, `^== loop pass 3  \S+  pass 4, nothing failed\n`, string(last))
	assert.Contains(t, string(last), "assert ok   line 4: not rising(dead, 2) (counts 9 9 9)")
}

func leftPad(n int) string { return strings.Repeat("0", 4-len(strconv.Itoa(n))) + strconv.Itoa(n) }

// SIGTERM while a source's command hangs: the collect stops, no pass is
// written, no transcript either, and the loop exits 0.
func TestLoopSIGTERMDuringCollectLeavesNoPartialPass(t *testing.T) {
	f := newActionFixture(t)
	block, fifo := filepath.Join(f.dir, "block"), filepath.Join(f.dir, "started")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	dir := filepath.Join(f.dir, "transcripts")
	l := startLoop(t, f.db, []string{"FLEETQ_POLICY=" + f.policy}, "--every", "1s", "--sources", loopSources(t, f, block, fifo), "--transcripts", dir)
	l.waitLine(t, "transcript: ")
	l.waitLine(t, "transcript: ")
	require.NoError(t, os.WriteFile(block, nil, 0o644))
	started, err := os.ReadFile(fifo) // returns once the command wrote and closed it
	require.NoError(t, err)
	require.Equal(t, "started\n", string(started))
	require.NoError(t, l.cmd.Process.Signal(syscall.SIGTERM))
	assert.Zero(t, l.wait(t), l.Stderr())
	assert.Contains(t, l.Stderr(), "fleetq loop: stopped during the collect of loop pass 3: no pass was written")
	assert.Len(t, transcripts(t, dir), 2)
	out := f.ok("passes", "--format", "json")
	assert.Equal(t, 3, strings.Count(out, `"id":`), "the fixture's pass and the loop's two: %s", out)
	f.ok("check") // the database is consistent
}

// A second loop on the database is refused, naming the first; once the
// first is gone (stopped, or killed), the next one runs.
func TestLoopRefusesASecondLoop(t *testing.T) {
	f := newActionFixture(t)
	sources := loopSources(t, f, "", "")
	dir := filepath.Join(f.dir, "transcripts")
	first := startLoop(t, f.db, []string{"FLEETQ_POLICY=" + f.policy}, "--every", "1h", "--sources", sources, "--transcripts", dir)
	first.waitLine(t, "transcript: ")
	out, errOut, code := f.run("loop", "--every", "1m", "--passes", "1", "--sources", sources, "--transcripts", dir)
	assert.Equal(t, exitLocked, code, out)
	host, _ := os.Hostname()
	assert.Contains(t, errOut, "fleetq: another fleetq loop runs on "+f.db+": pid "+strconv.Itoa(first.cmd.Process.Pid)+" on "+host+", looping every 1h0m0s since ")
	assert.Contains(t, errOut, f.db+".loop); stop it first")

	require.NoError(t, first.cmd.Process.Signal(syscall.SIGTERM))
	assert.Zero(t, first.wait(t), "SIGTERM while sleeping ends the loop at once")
	assert.Contains(t, first.Stderr(), "stopped while sleeping, after 1 passes")
	f.ok("loop", "--every", "1m", "--passes", "1", "--sources", sources, "--transcripts", dir)

	killed := startLoop(t, f.db, []string{"FLEETQ_POLICY=" + f.policy}, "--every", "1h", "--sources", sources, "--transcripts", dir)
	killed.waitLine(t, "transcript: ")
	require.NoError(t, killed.cmd.Process.Kill())
	killed.wait(t)
	f.ok("loop", "--every", "1m", "--passes", "1", "--sources", sources, "--transcripts", dir) // the dead holder's note is stale
}

// The loop's help lists the exit statuses it has: no 130, since a loop
// stopped by Ctrl-C exits 0.
func TestLoopHelpListsItsOwnExitStatuses(t *testing.T) {
	f := newActionFixture(t)
	out := f.ok("loop", "--help")
	assert.Contains(t, out, "Exit status:")
	assert.Contains(t, out, "a loop stopped by a signal exits 0")
	assert.NotContains(t, out, "130")
}

func TestLoopChecksItsInputsFirst(t *testing.T) {
	f := newActionFixture(t)
	sources := loopSources(t, f, "", "")
	bad := filepath.Join(f.dir, "bad.fq")
	require.NoError(t, os.WriteFile(bad, []byte("assert rising(all)\n"), 0o644))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--sources", sources}, exitUsage, "--every is required"},
		{[]string{"--every", "1m", "--sources", sources, "--run", bad}, exitFailure, bad + ":1:18: expected , STEPS"},
		{[]string{"--every", "1m", "--sources", sources, "--decide", "nuke", "all", "--reason", "x"}, exitUsage, "--decide nuke: not a verb"},
		{[]string{"--every", "1m", "--sources", sources, "--decide", "drain", "--reason", "x"}, exitUsage, "--decide drain needs EXPR"},
		{[]string{"--every", "1m", "--sources", sources, "--decide", "drain", "all"}, exitUsage, "--decide needs --reason"},
		{[]string{"--every", "1m", "--sources", filepath.Join(f.dir, "nope.toml")}, exitFailure, "nope.toml"},
		{[]string{"--every", "1m", "--sources", sources, "--defs", bad}, exitFailure, bad + ":1:"},
		{[]string{"--every", "1m", "--sources", sources, "--decide", "drain", "all", "--reason", "x", "--policy", filepath.Join(f.dir, "nope.policy.toml")},
			exitFailure, "--decide drain: "},
		{[]string{"--every", "1m", "--sources", sources, "--decide", "drain", "all", "--reason", "x", "--policy", bad}, exitFailure, "--decide drain: " + bad},
	} {
		out, errOut, code := f.run(append([]string{"loop"}, tc.args...)...)
		assert.Equal(t, tc.code, code, "%v: %s%s", tc.args, out, errOut)
		assert.Contains(t, errOut, tc.want, tc.args)
	}
	_, err := os.Stat(filepath.Join(f.dir, "transcripts"))
	assert.True(t, os.IsNotExist(err), "no pass ran")
}

// A pass whose run file fails makes no decision: the transcript says so;
// after --passes the loop exits with the run's status.
func TestLoopSkipsTheDecisionWhenTheRunFileFails(t *testing.T) {
	f := newActionFixture(t)
	runFile := filepath.Join(f.dir, "strict.fq")
	require.NoError(t, os.WriteFile(runFile, []byte("assert count(lifecycle = \"dead\") < 1\n"), 0o644))
	out, errOut, code := f.run("loop", "--every", "1s", "--passes", "1", "--sources", loopSources(t, f, "", ""), "--run", runFile,
		"--transcripts", filepath.Join(f.dir, "t"), "--decide", "drain", `lifecycle = "dead"`, "--reason", "loop test")
	assert.Equal(t, exitAssert, code, "after --passes, the last pass's first failed step's status")
	assert.Equal(t, "fleetq: loop pass 1: run failed (exit status 4); its transcript has what it printed\n", errOut)
	assert.Regexp(t, `^== loop pass 1  \S+  pass 2, 1 assert FAILED\n`, out)
	assert.Contains(t, out, `assert FAIL line 1: count(lifecycle = "dead") < 1 (count is 9)`)
	assert.Contains(t, out, "run: exit status 4\n-- decide: skipped: the run file did not pass (exit status 4); no decision on this pass\n")
	assert.NotContains(t, out, "dry run")
}

// A run file that cannot be evaluated on the pass (a name no source or
// definition gives) fails the pass's headline, not only its body: the
// first line is what an operator reads.
func TestLoopHeadlineNamesARunFileThatFailed(t *testing.T) {
	f := newActionFixture(t)
	runFile := filepath.Join(f.dir, "typo.fq")
	require.NoError(t, os.WriteFile(runFile, []byte("x = all - responsiv\nx | count\n"), 0o644))
	out, errOut, code := f.run("loop", "--every", "1s", "--passes", "1", "--sources", loopSources(t, f, "", ""), "--run", runFile,
		"--transcripts", filepath.Join(f.dir, "t"))
	assert.Equal(t, exitFailure, code, errOut)
	assert.Regexp(t, `^== loop pass 1  \S+  pass 2, run FAILED \(exit status 1\)\n`, out)
	assert.Contains(t, out, "run: exit status 1\n")
}

// The loop against a real Prometheus scraping a real node exporter, an
// inventory file and a command: every pass's transcript holds the
// metrics source read, and the run file's counts over it.
func TestLoopWithPrometheus(t *testing.T) {
	prom := startScrapedNodeExporter(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "inventory.csv"), []byte("host,ip,role\nnode1,127.0.0.1,hadoop-worker\nnode2,10.9.9.2,hadoop-worker\n"), 0o644))
	sources := filepath.Join(dir, "fleetq.sources.toml")
	require.NoError(t, os.WriteFile(sources, []byte(fmt.Sprintf(`[[source]]
name = "inventory"
kind = "inventory"
path = "inventory.csv"

[[source]]
name = "metrics"
kind = "prom"
url = %q
queries = ["up"]
timeout = "10s"

[[source]]
name = "rebooted"
kind = "hosts"
command = ["sh", "-c", "echo node2"]
`, prom.url)), 0o644))
	runFile := filepath.Join(dir, "live.fq")
	require.NoError(t, os.WriteFile(runFile, []byte("up_hosts = metrics & up == 1\nwatch up_hosts down\nassert count(up_hosts) >= count(up_hosts@-1)\n"), 0o644))
	tdir := filepath.Join(dir, "transcripts")
	l := startLoop(t, filepath.Join(dir, "fleetq.db"), nil, "--every", "1s", "--passes", "2", "--sources", sources, "--run", runFile, "--transcripts", tdir)
	l.waitLine(t, "transcript: ")
	l.waitLine(t, "transcript: ")
	require.Zero(t, l.wait(t), l.Stderr())
	names := transcripts(t, tdir)
	require.Len(t, names, 2)
	second, err := os.ReadFile(names[1])
	require.NoError(t, err)
	text := string(second)
	assert.Contains(t, text, "pass 2 sealed: 2 hosts (3 sources read, 0 failed)")
	assert.Contains(t, text, "prom      metrics")
	assert.Contains(t, text, "up_hosts      1     1      +0  down (2 of 4 passes)")
	assert.Contains(t, text, "assert ok   line 3: count(up_hosts) >= count(up_hosts@-1) (count is 1, right side 1)")
}

// With --commit the decision grants what the policy allows (and says so
// in the transcript); the loop passes --yes, never --force.
func TestLoopCommitsWithinThePolicy(t *testing.T) {
	f := newActionFixture(t)
	out := f.ok("loop", "--every", "1s", "--passes", "1", "--sources", loopSources(t, f, "", ""), "--transcripts", filepath.Join(f.dir, "t"),
		"--decide", "drain", `lifecycle = "dead" & cluster = "smf1-dense-02"`, "--reason", "loop commit", "--commit")
	assert.Contains(t, out, `-- decide: fleetq drain 'lifecycle = "dead" & cluster = "smf1-dense-02"' '--reason=loop commit' --commit --yes`)
	assert.Regexp(t, `committed: [1-9]\d* leases granted \(audit \d+\)`, out)
	assert.Contains(t, f.ok("leases"), "loop commit")
}

func TestLoopJitterStaysWithinTenPercent(t *testing.T) {
	lo, hi := time.Duration(1<<62), time.Duration(0)
	for i := 0; i < 10000; i++ {
		d := jittered(5 * time.Minute)
		lo, hi = min(lo, d), max(hi, d)
	}
	assert.GreaterOrEqual(t, lo, 270*time.Second)
	assert.LessOrEqual(t, hi, 330*time.Second)
	assert.Less(t, lo, 280*time.Second, "the spread is used")
	assert.Greater(t, hi, 320*time.Second, "the spread is used")
}

// A loop told to run locally (--server "") runs its steps locally too,
// though $FLEETQ_SERVER names a server.
func TestLoopStepsRunLocally(t *testing.T) {
	f := newActionFixture(t)
	l := startLoop(t, f.db, []string{"FLEETQ_SERVER=http://127.0.0.1:1"}, "--server", "", "--every", "1s", "--passes", "1",
		"--sources", loopSources(t, f, "", ""), "--transcripts", filepath.Join(f.dir, "t"))
	l.waitLine(t, "pass 2 sealed: 452 hosts (3 sources read, 0 failed)")
	assert.Zero(t, l.wait(t), l.Stderr())
}

func TestLoopHeadline(t *testing.T) {
	col := &collectResult{Pass: 42, Failures: []store.SourceFailure{{Name: "hdfs"}, {Name: "yarn"}}}
	rep := &runfile.Report{
		Sets:    []runfile.Set{{Name: "dead", Watch: &runfile.WatchResult{Marked: true}}, {Name: "x"}},
		Asserts: []runfile.Assert{{Verdict: runfile.VerdictFail}, {Verdict: runfile.VerdictShort}, {Verdict: runfile.VerdictOK}},
	}
	assert.Equal(t, "pass 42, 2 sources FAILED, 1 assert FAILED, 1 watched set marked, 1 assert short of passes", headline(col, rep, nil))
	assert.Equal(t, "pass 42, nothing failed", headline(&collectResult{Pass: 42}, &runfile.Report{}, nil))
	assert.Equal(t, "pass 42, run FAILED (exit status 1)", headline(&collectResult{Pass: 42}, nil, []string{"run FAILED (exit status 1)"}))
	assert.Equal(t, "no pass made", headline(&collectResult{}, nil, nil))
	assert.Equal(t, "no pass made", headline(nil, nil, nil))
}

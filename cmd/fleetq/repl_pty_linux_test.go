package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// These tests drive the real binary in a pseudo-terminal, as a user would.

func buildFleetq(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fleetq")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// ptyProc is a process on the slave side of a pseudo-terminal, with
// everything it writes collected from the master side. Waits are on
// events (new output, end of output, exit), never on the clock: a test
// that hangs is stopped by go test's -timeout.
type ptyProc struct {
	t       *testing.T
	cmd     *exec.Cmd
	master  *os.File
	mu      sync.Mutex
	out     bytes.Buffer
	mark    int           // expect looks after this offset
	changed chan struct{} // a send (or the close) after each read
	closed  chan struct{} // closed when the output ends (every writer exited)
	done    chan error
}

func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	require.NoError(t, unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetUint32(int(m.Fd()), unix.TIOCGPTN)
	require.NoError(t, err)
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	require.NoError(t, unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 50, Col: 200}))
	return m, s
}

func startPTY(t *testing.T, env []string, bin string, args ...string) *ptyProc {
	t.Helper()
	master, slave := openPTY(t)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), append([]string{"TERM=xterm", "NO_COLOR="}, env...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	require.NoError(t, cmd.Start())
	slave.Close()
	p := &ptyProc{t: t, cmd: cmd, master: master, changed: make(chan struct{}, 1),
		closed: make(chan struct{}), done: make(chan error, 1)}
	go p.collect()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		master.Close()
	})
	return p
}

// collect copies the output into p.out until the slave side is closed
// (read fails with EIO once every process holding it has exited).
func (p *ptyProc) collect() {
	defer close(p.closed)
	buf := make([]byte, 4096)
	for {
		n, err := p.master.Read(buf)
		p.mu.Lock()
		p.out.Write(buf[:n])
		p.mu.Unlock()
		select {
		case p.changed <- struct{}{}:
		default: // a wake-up is already pending
		}
		if err != nil {
			return
		}
	}
}

func (p *ptyProc) send(s string) {
	_, err := p.master.Write([]byte(s))
	require.NoError(p.t, err)
}

// expect waits until want appears in the output since the last match,
// re-checking after every read; it fails at once when the output ends
// without it.
func (p *ptyProc) expect(want string) {
	p.t.Helper()
	for {
		if p.match(want) {
			return
		}
		select {
		case <-p.changed:
		case <-p.closed:
			if p.match(want) {
				return
			}
			p.mu.Lock()
			defer p.mu.Unlock()
			p.t.Fatalf("the output ended without %q; output since the last match:\n%q", want, p.out.String()[p.mark:])
		}
	}
}

func (p *ptyProc) match(want string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := strings.Index(p.out.String()[p.mark:], want)
	if i >= 0 {
		p.mark += i + len(want)
	}
	return i >= 0
}

// hangGuard bounds expectAll and expectMatch, whose shells never exit on
// their own: a failure-only limit, far above any wait a passing test has,
// so a broken completion fails with its output instead of stalling the
// package until go test's -timeout.
const hangGuard = 2 * time.Minute

// expectAll waits until every one of want has appeared, in any order, in
// the output since the last match, re-checking after every read.
func (p *ptyProc) expectAll(want ...string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("%q", want), func() bool { return p.found(want) })
}

// expectMatch waits until re matches the output since the last match.
func (p *ptyProc) expectMatch(re *regexp.Regexp) {
	p.t.Helper()
	p.waitFor(re.String(), func() bool { return p.matched(re) })
}

// waitFor re-checks ok after every read until it holds, the output ends
// or the hang guard fires.
func (p *ptyProc) waitFor(what string, ok func() bool) {
	p.t.Helper()
	guard := time.NewTimer(hangGuard)
	defer guard.Stop()
	for !ok() {
		select {
		case <-p.changed:
			continue
		case <-p.closed:
			if ok() {
				return
			}
		case <-guard.C:
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.t.Fatalf("no %s in the output since the last match:\n%q", what, p.out.String()[p.mark:])
	}
}

func (p *ptyProc) matched(re *regexp.Regexp) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	loc := re.FindStringIndex(p.out.String()[p.mark:])
	if loc == nil {
		return false
	}
	p.mark += loc[1]
	return true
}

// found reports whether all of want are in the output after the mark,
// and then moves the mark past the last of them.
func (p *ptyProc) found(want []string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, end := p.out.String()[p.mark:], 0
	for _, w := range want {
		i := strings.Index(s, w)
		if i < 0 {
			return false
		}
		end = max(end, i+len(w))
	}
	p.mark += end
	return true
}

// output is everything written so far.
func (p *ptyProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// wait waits for the process to exit and its output to end.
func (p *ptyProc) wait() error {
	err := <-p.done
	<-p.closed
	return err
}

func TestREPLInTerminal(t *testing.T) {
	bin := buildFleetq(t)
	db, dir := replFixture(t)
	hist := filepath.Join(dir, "state", "history")
	env := []string{"FLEETQ_DB=" + db, "FLEETQ_HISTORY=" + hist, "HOME=" + dir}

	// Session 1: Tab completion, a result, Ctrl-C at the prompt, an ingest
	// while the REPL is open, then Ctrl-D.
	p := startPTY(t, env, bin, "repl")
	p.expect("@1> ")
	p.send("all - hadoop_ex\t")
	p.expect("hadoop_exclude")
	p.send(" | count\r")
	p.expect("3\r\n")
	p.expect("@1> ")
	p.send("role = hado\t")
	p.expect(`"hadoop-worker"`)
	p.send("\x03") // Ctrl-C clears the line, the REPL stays
	p.expect("@1> ")

	out, errOut, code := replRunCode(db, "", "ingest", "--label", "while-open", filepath.Join(dir, "inventory.csv"))
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "pass 2 sealed")

	p.send(":passes\r")
	p.expect("while-open")
	p.expect("new pass 2 (was 1)")
	p.expect("@2> ")
	p.send("\x04") // Ctrl-D
	require.NoError(t, p.wait())
	require.FileExists(t, hist)

	// Session 2: Up recalls the previous session's statements.
	p = startPTY(t, env, bin, "repl")
	p.expect("@2> ")
	p.send("\x1b[A") // Up: :passes
	p.expect(":passes")
	p.send("\x1b[A") // Up: the count
	p.expect("all - hadoop_exclude | count")
	p.send("\r")
	p.expect("3\r\n")
	p.send(":quit\r")
	require.NoError(t, p.wait())
}

// TestIngestProgressOnlyOnATerminal: with --progress=auto (the default)
// the status line is drawn on a terminal and nothing is printed into a
// pipe. $FLEETQ_PROGRESS_DELAY=0 shows the line at the first event (the
// source begun), so nothing depends on how fast the machine is; the line
// is redrawn on every event, so each phase appears.
func TestIngestProgressOnlyOnATerminal(t *testing.T) {
	bin := buildFleetq(t)
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.csv")
	writeBigInventory(t, inv, 30000, 0) // over 1 MiB: two reads

	db := filepath.Join(dir, "tty.db")
	p := startPTY(t, []string{"FLEETQ_DB=" + db, "FLEETQ_PROGRESS_DELAY=0"}, bin, "ingest", inv)
	p.expect("ingest [1/1] " + shorten(inv, 32) + " reading")
	p.expect(" ETA ") // after the first MiB of a known total
	p.expect(" parsing ")
	p.expect("ingest: writing pass… 1 sources, 30000 records")
	p.expect("\r\x1b[K") // the line is cleared before the summary
	p.expect("fleetq: created database " + db)
	p.expect("pass 1 sealed")
	require.NoError(t, p.wait())

	p = startPTY(t, []string{"FLEETQ_DB=" + db, "FLEETQ_PROGRESS_DELAY=0"}, bin, "ingest", "--progress=none", inv)
	p.expect("pass 2 sealed")
	require.NoError(t, p.wait())
	require.NotContains(t, p.output(), "ingest", "--progress=none draws nothing")
	require.NotContains(t, p.output(), "created database", "only a new file is announced")

	cmd := exec.Command(bin, "--db", filepath.Join(dir, "pipe.db"), "ingest", inv)
	cmd.Env = append(os.Environ(), "FLEETQ_PROGRESS_DELAY=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run())
	require.Equal(t, "fleetq: created database "+filepath.Join(dir, "pipe.db")+"\n", stderr.String(), "no progress into a pipe")
}

// From standard input the size is unknown: bytes, no bar and no ETA.
func TestIngestProgressFromStdinHasNoETA(t *testing.T) {
	bin := buildFleetq(t)
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.csv")
	writeBigInventory(t, inv, 2000, 0)
	sh := fmt.Sprintf("exec %q --db %q ingest inventory:- < %q", bin, filepath.Join(dir, "f.db"), inv)
	p := startPTY(t, []string{"FLEETQ_PROGRESS_DELAY=0"}, "/bin/sh", "-c", sh)
	p.expect("ingest [1/1] <stdin> reading")
	p.expect("pass 1 sealed")
	require.NoError(t, p.wait())
	require.NotContains(t, p.output(), " ETA ")
	require.NotContains(t, p.output(), "[#")
}

// On a terminal, --commit shows the plan and asks: anything but an exact
// y commits nothing; y applies exactly that plan.
func TestCommitAsksOnATerminal(t *testing.T) {
	f := newActionFixture(t)
	env := []string{"FLEETQ_DB=" + f.db, "FLEETQ_POLICY=" + f.policy}
	p := startPTY(t, env, fleetqBin, "drain", dense, "--reason", "disks", "--seed", "42", "--commit")
	p.expect("type y to commit: ")
	p.send("yes\n")
	p.expect("not committed")
	require.NoError(t, p.wait())
	require.Empty(t, f.leases(), "only an exact y commits")

	p = startPTY(t, env, fleetqBin, "drain", dense, "--reason", "disks", "--seed", "42", "--commit")
	p.expect("type y to commit: ")
	p.send("y\n")
	require.NoError(t, p.wait())
	require.Len(t, f.leases(), 7, "the 412-host scenario's 7 approved hosts")
}

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
// everything it writes collected from the master side.
type ptyProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	master *os.File
	mu     sync.Mutex
	out    bytes.Buffer
	mark   int           // expect looks after this offset
	more   chan struct{} // a signal after each read
	done   chan error
}

// ptyDeadline is how long expect waits for output: generous, as a loaded
// machine may be slow, and only a failing test waits that long.
const ptyDeadline = 20 * time.Second

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
	p := &ptyProc{t: t, cmd: cmd, master: master, more: make(chan struct{}, 1), done: make(chan error, 1)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			select {
			case p.more <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		master.Close()
	})
	return p
}

func (p *ptyProc) send(s string) {
	_, err := p.master.Write([]byte(s))
	require.NoError(p.t, err)
}

// expect waits until want appears in the output since the last match.
func (p *ptyProc) expect(want string) {
	p.t.Helper()
	p.expectAll(want)
}

// expectAll waits until every one of want has appeared, in any order, in
// the output since the last match, woken by each read of the terminal.
func (p *ptyProc) expectAll(want ...string) {
	p.t.Helper()
	deadline := time.NewTimer(ptyDeadline)
	defer deadline.Stop()
	for !p.found(want) {
		select {
		case <-p.more:
		case <-deadline.C:
			p.mu.Lock()
			defer p.mu.Unlock()
			p.t.Fatalf("timed out waiting for %q; output since the last match:\n%q", want, p.out.String()[p.mark:])
		}
	}
}

// expectMatch waits until re matches the output since the last match.
func (p *ptyProc) expectMatch(re *regexp.Regexp) {
	p.t.Helper()
	deadline := time.NewTimer(ptyDeadline)
	defer deadline.Stop()
	for !p.matched(re) {
		select {
		case <-p.more:
		case <-deadline.C:
			p.mu.Lock()
			defer p.mu.Unlock()
			p.t.Fatalf("timed out waiting for %v; output since the last match:\n%q", re, p.out.String()[p.mark:])
		}
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

func (p *ptyProc) wait() error {
	select {
	case err := <-p.done:
		return err
	case <-time.After(ptyDeadline):
		p.t.Fatal("the REPL did not exit")
		return nil
	}
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

func TestIngestProgressOnlyOnATerminal(t *testing.T) {
	bin := buildFleetq(t)
	dir := t.TempDir()
	// The progress line is forced on at once ($FLEETQ_PROGRESS_DELAY=0):
	// whether an ingest outlasts the default delay depends on the machine.
	var b strings.Builder
	b.WriteString("host,role\n")
	for i := 0; i < 250000; i++ {
		fmt.Fprintf(&b, "host%07d.x,r%d\n", i, i%7)
	}
	inv := filepath.Join(dir, "inventory.csv")
	require.NoError(t, os.WriteFile(inv, []byte(b.String()), 0o644))

	p := startPTY(t, []string{"FLEETQ_DB=" + filepath.Join(dir, "tty.db"), "FLEETQ_PROGRESS_DELAY=0"}, bin, "ingest", inv)
	p.expect("ingest [1/1]")
	p.expect("read 1 sources: ")
	p.expect("250000 hosts")
	p.expect("pass 1 sealed")
	require.NoError(t, p.wait())

	cmd := exec.Command(bin, "--db", filepath.Join(dir, "pipe.db"), "ingest", inv)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run())
	require.Empty(t, stderr.String())
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

package collect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// waitDelay is how long a command's pipes stay open after it exited or
// was killed: a child it left behind holding stdout does not hold up the
// collect (the source fails: its output is not known whole).
const waitDelay = 2 * time.Second

// runCommand runs s.Command (no shell) and returns its stdout, at most
// max bytes, and the tail of its stderr. A non-zero exit, a signal, or
// more output than max is an error; ctx ending kills the command's whole
// process group.
func runCommand(ctx context.Context, s *Source, max int64) ([]byte, string, error) {
	cmd := exec.CommandContext(ctx, s.Command[0], s.Command[1:]...)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), s.Env...)
	stdout := &capped{max: max}
	stderr := &tail{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	inOwnGroup(cmd)
	cmd.WaitDelay = waitDelay
	err := cmd.Run()
	killGroup(cmd) // what it left running in the background does not outlive the read
	switch {
	case stdout.over:
		return nil, stderr.String(), fmt.Errorf("%s printed more than %d bytes (--max-source-bytes); the command was stopped", s.Command[0], max)
	case ctx.Err() != nil:
		return nil, stderr.String(), ctx.Err() // readOne says which bound
	case errors.Is(err, exec.ErrWaitDelay):
		// It exited, but something it started kept stdout open: that may
		// still be printing, and a half-read source is never stored.
		return nil, stderr.String(), fmt.Errorf("%s exited, but what it started still held its stdout %s later: its output may be cut short (a background process of a script should have its stdout redirected, >/dev/null)", argvLine(s.Command), waitDelay)
	case err != nil:
		return nil, stderr.String(), commandErr(s, err)
	}
	return stdout.buf, stderr.String(), nil
}

// argvLine is argv as a shell would read it back: an argument with a
// blank or a shell character in it is single-quoted.
func argvLine(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = a
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`&;|<>()*?[]{}~#!") {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// commandErr says how a command failed: not found, its exit status, the
// signal that killed it.
func commandErr(s *Source, err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() >= 0 {
			return fmt.Errorf("%s exited with status %d", argvLine(s.Command), ee.ExitCode())
		}
		return fmt.Errorf("%s was killed: %s", argvLine(s.Command), ee.String())
	}
	if s.Dir != "" {
		// The child's chdir failing comes back as the program's error.
		if _, derr := os.Stat(s.Dir); derr != nil {
			return fmt.Errorf("cannot run %s: dir %s: %w", s.Command[0], s.Dir, unwrapPath(derr))
		}
	}
	return fmt.Errorf("cannot run %s: %w", s.Command[0], unwrapPath(err))
}

// capped keeps what is written up to max bytes; past it, it fails the
// write, which stops the copy (the command gets EPIPE on its next write).
type capped struct {
	buf  []byte
	max  int64
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if int64(len(c.buf))+int64(len(p)) > c.max {
		c.over = true
		return 0, errors.New("output over the source bound")
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

// tailBytes is how much of a command's stderr a failure keeps: the last
// lines, where a tool says what went wrong.
const tailBytes = 2048

// tail keeps the last tailBytes written.
type tail struct {
	buf []byte
	cut bool // bytes before buf were dropped
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*tailBytes {
		t.buf, t.cut = append(t.buf[:0], t.buf[len(t.buf)-tailBytes:]...), true
	}
	return len(p), nil
}

// String is the tail, from the first whole line when it was cut.
func (t *tail) String() string {
	b, cut := t.buf, t.cut
	if len(b) > tailBytes {
		b, cut = b[len(b)-tailBytes:], true
	}
	if i := strings.IndexByte(string(b), '\n'); cut && i >= 0 && i < len(b)-1 {
		b = b[i+1:]
	}
	return strings.TrimRight(string(b), "\n")
}

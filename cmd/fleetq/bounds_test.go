package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/hostkey"

	"github.com/fleetq/fleetq/internal/store/storetest"
)

// docs/limits.md: no input may make fleetq read, or hold, without
// bound. Real processes of the built binary (TestMain) read /dev/zero and
// endless pipes; every refusal exits 1 and leaves the database
// byte-identical.

// boundsDB is a database of one pass, to check that refusals change nothing.
func boundsDB(t *testing.T) string {
	dir := t.TempDir()
	hosts := filepath.Join(dir, "seen")
	require.NoError(t, os.WriteFile(hosts, []byte("web01\nweb02\n"), 0o644))
	db := filepath.Join(dir, "fleetq.db")
	fqBinOK(t, db, "ingest", "hosts:"+hosts)
	return db
}

// piped is one run of the binary whose standard input a goroutine feeds.
type piped struct {
	stderr string
	code   int
	fed    int64 // bytes the process took before it stopped reading
	maxRSS int64 // peak resident set, KiB (Linux getrusage)
}

// fqPiped runs fleetq with feed writing its standard input through a
// pipe until feed returns or the process stops reading (EPIPE).
func fqPiped(t *testing.T, db string, env []string, feed func(w io.Writer) error, args ...string) piped {
	t.Helper()
	cmd := exec.Command(fleetqBin, append([]string{"--db", db}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	w, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	cw := &countWriter{w: w}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = feed(cw) // EPIPE once the process has given up: expected
		w.Close()
	}()
	err = cmd.Wait()
	<-done
	return piped{stderr: errOut.String(), code: exitCode(t, err), fed: cw.n, maxRSS: maxRSS(cmd)}
}

func exitCode(t *testing.T, err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	require.NoError(t, err)
	return 0
}

func maxRSS(cmd *exec.Cmd) int64 {
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return int64(ru.Maxrss)
	}
	return 0
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// forever writes chunk until the reader goes away.
func forever(chunk []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		for {
			if _, err := w.Write(chunk); err != nil {
				return err
			}
		}
	}
}

// oneLine writes a single line of n bytes of c, then a newline.
func oneLine(c byte, n int) func(io.Writer) error {
	return func(w io.Writer) error {
		chunk := bytes.Repeat([]byte{c}, 64<<10)
		for n > 0 {
			k, err := w.Write(chunk[:min(n, len(chunk))])
			if n -= k; err != nil {
				return err
			}
		}
		_, err := w.Write([]byte("\n"))
		return err
	}
}

// runBin runs fleetq with env, returning stderr, the exit code and the
// peak RSS in KiB.
func runBin(t *testing.T, db string, env []string, args ...string) (string, int, int64) {
	t.Helper()
	cmd := exec.Command(fleetqBin, append([]string{"--db", db}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	err := cmd.Run()
	return errOut.String(), exitCode(t, err), maxRSS(cmd)
}

func TestDevZeroIsBounded(t *testing.T) {
	db := boundsDB(t)
	storetest.RequireNoChange(t, db, func() {
		errOut, code, _ := runBin(t, db, nil, "ingest", "--max-source-bytes", "64KiB", "hosts:/dev/zero")
		assert.Equal(t, 1, code)
		assert.Equal(t, "fleetq: /dev/zero: source too large: more than 65536 bytes, the bound is 64 KiB (change it with --max-source-bytes)\n", errOut)

		errOut, code, rss := runBin(t, db, nil, "ingest", "hosts:/dev/zero")
		assert.Equal(t, 1, code)
		assert.Equal(t, "fleetq: /dev/zero:1: line too long: more than 1048576 bytes without a newline, the bound is 1 MiB (change it with --max-line-bytes)\n", errOut)
		t.Logf("hosts:/dev/zero with the default bounds: peak RSS %d KiB", rss)
		assert.Less(t, rss, int64(128<<10), "memory stops at the line bound")

		errOut, code, _ = runBin(t, db, []string{"FLEETQ_MAX_SOURCE_BYTES=1000"}, "ingest", "inventory:/dev/zero")
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "source too large: more than 1000 bytes, the bound is 1000 bytes")
	})
}

func TestStdinStreamIsBounded(t *testing.T) {
	db := boundsDB(t)
	var rows bytes.Buffer
	rows.WriteString("host,role\n")
	for i := range 1000 {
		fmt.Fprintf(&rows, "h%06d.dc,worker\n", i)
	}
	header, body := rows.Bytes()[:10], rows.Bytes()[10:]
	feed := func(w io.Writer) error { // one header, then rows forever
		if _, err := w.Write(header); err != nil {
			return err
		}
		return forever(body)(w)
	}
	storetest.RequireNoChange(t, db, func() {
		p := fqPiped(t, db, nil, feed, "ingest", "--max-source-bytes", "1MiB", "inventory:-")
		assert.Equal(t, 1, p.code)
		assert.Equal(t, "fleetq: <stdin>: source too large: more than 1048576 bytes, the bound is 1 MiB (change it with --max-source-bytes)\n", p.stderr)
		assert.Less(t, p.fed, int64(4<<20), "the process stopped reading at the bound")

		p = fqPiped(t, db, []string{"FLEETQ_MAX_SOURCE_BYTES=2MiB"}, feed, "ingest", "inventory:-")
		assert.Equal(t, 1, p.code)
		assert.Contains(t, p.stderr, "the bound is 2 MiB (change it with --max-source-bytes)")
	})
}

// A 100 MB line, fed through a pipe: the process stops at the line bound
// (1 MiB) instead of taking it for one host name.
func TestHugeLineIsBounded(t *testing.T) {
	db := boundsDB(t)
	storetest.RequireNoChange(t, db, func() {
		p := fqPiped(t, db, nil, oneLine('a', 100<<20), "ingest", "hosts:big=-")
		assert.Equal(t, 1, p.code)
		assert.Equal(t, "fleetq: <stdin>:1: line too long: more than 1048576 bytes without a newline, the bound is 1 MiB (change it with --max-line-bytes)\n", p.stderr)
		assert.Less(t, p.fed, int64(8<<20), "the process stopped reading at the bound")
		t.Logf("a 100 MB line on stdin: the process read %d bytes, peak RSS %d KiB", p.fed, p.maxRSS)
		assert.Less(t, p.maxRSS, int64(128<<10))
	})
}

// An error about a huge line quotes 80 bytes of it and its length: a
// host name of 20 MB, under a raised line bound.
func TestErrorQuotesOnlyAPrefix(t *testing.T) {
	db := boundsDB(t)
	storetest.RequireNoChange(t, db, func() {
		p := fqPiped(t, db, nil, oneLine('a', 20<<20), "ingest", "--max-line-bytes", "32MiB", "hosts:big=-")
		assert.Equal(t, 1, p.code)
		want := `fleetq: <stdin>:1: host "` + strings.Repeat("a", 80) + `"… (20971520 bytes): 20971520 bytes, longer than 253 (` + hostkey.Allowed + `)` + "\n"
		assert.Equal(t, want, p.stderr)

		inv := filepath.Join(t.TempDir(), "inventory.csv")
		long := strings.Repeat("z", 900<<10)
		require.NoError(t, os.WriteFile(inv, []byte("host,note\nweb01,"+long+"\n"), 0o644))
		errOut, code, _ := runBin(t, db, nil, "ingest", inv)
		assert.Equal(t, 1, code)
		assert.Equal(t, "fleetq: "+inv+":2: value too long: attribute note of host web01 is 921600 bytes, the bound is 64 KiB (change it with --max-field-bytes)\n", errOut)
	})
}

// Thirty range patterns in a few hundred bytes made three million hosts
// (41 s, 2 GB): the names one file expands to are bounded together.
func TestAnsibleAmplificationIsBounded(t *testing.T) {
	db := boundsDB(t)
	var ini strings.Builder
	ini.WriteString("[web]\n")
	for i := range 30 {
		fmt.Fprintf(&ini, "w%02d[0:99999]\n", i)
	}
	path := filepath.Join(t.TempDir(), "inventory.ini")
	require.NoError(t, os.WriteFile(path, []byte(ini.String()), 0o644))
	storetest.RequireNoChange(t, db, func() {
		errOut, code, rss := runBin(t, db, nil, "ingest", "--max-expansions", "250000", path)
		assert.Equal(t, 1, code)
		assert.Equal(t, "fleetq: "+path+`:4: too many expanded host names: the host ranges of the file expand to more than 250000 names (at "w02[0:99999]"), the bound is 250000 (change it with --max-expansions)`+"\n", errOut)
		t.Logf("a %d-byte INI over a bound of 250,000 expansions: peak RSS %d KiB", ini.Len(), rss)

		errOut, code, _ = runBin(t, db, []string{"FLEETQ_MAX_EXPANSIONS=1000"}, "ingest", "ansible:"+path)
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, ":2: too many expanded host names")
	})
}

func TestHostCountAndBadBounds(t *testing.T) {
	db := boundsDB(t)
	list := filepath.Join(t.TempDir(), "dead")
	require.NoError(t, os.WriteFile(list, []byte("a\nb\nc\nd\n"), 0o644))
	storetest.RequireNoChange(t, db, func() {
		errOut, code, _ := runBin(t, db, nil, "ingest", "--max-hosts", "3", list)
		assert.Equal(t, 1, code)
		assert.Equal(t, "fleetq: "+list+": too many hosts: 4 hosts, the bound is 3 (change it with --max-hosts)\n", errOut)

		errOut, code, _ = runBin(t, db, nil, "ingest", "--max-source-bytes", "lots", list)
		assert.Equal(t, 2, code)
		assert.Contains(t, errOut, `--max-source-bytes "lots": expected a size such as 4GiB, 512MiB, 64KiB or a number of bytes`)
		errOut, code, _ = runBin(t, db, []string{"FLEETQ_MAX_HOSTS=-5"}, "ingest", list)
		assert.Equal(t, 2, code)
		assert.Contains(t, errOut, `--max-hosts (from $FLEETQ_MAX_HOSTS) "-5": expected a positive number`)
	})
	out := fqBinOK(t, db, "ingest", "--max-hosts", "4", "--max-source-bytes", "8", list)
	assert.Contains(t, out, "pass 2 sealed", "a source at its bounds is accepted")
}

// docs/limits.md lists every ingest bound with its flag, variable and
// default, as the code has them.
func TestLimitsDocListsEveryBound(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "limits.md"))
	require.NoError(t, err)
	for _, o := range limitOptions() {
		def := formatLimit(o.def, o.bytes)
		if o.bytes {
			def = def[:len(def)-3] + " " + def[len(def)-3:] // 4GiB as 4 GiB
		} else {
			def = humanCount(o.def)
		}
		row := fmt.Sprintf("| %s | `--%s`, `%s` |", def, o.flag, o.env)
		assert.Contains(t, string(doc), row, "docs/limits.md row of --%s", o.flag)
	}
}

// humanCount prints 1000000 as 1,000,000.
func humanCount(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// The files a person writes are read whole, so they are bounded too:
// definitions and scripts at 16 MiB, a policy at 1 MiB.
func TestTextFilesAreBounded(t *testing.T) {
	db := boundsDB(t)
	storetest.RequireNoChange(t, db, func() {
		for _, tc := range []struct {
			args []string
			msg  string
		}{
			{[]string{"defs", "set", "/dev/zero"}, "fleetq: /dev/zero: file too large: more than 16777216 bytes"},
			{[]string{"ingest", "--defs", "/dev/zero", "hosts:/dev/null"}, "fleetq: /dev/zero: file too large: more than 16777216 bytes"},
			{[]string{"run", "/dev/zero"}, "fleetq: /dev/zero: file too large: more than 16777216 bytes"},
			{[]string{"drain", "--policy", "/dev/zero", "--reason", "x", "all"}, "fleetq: /dev/zero: policy file too large: more than 1048576 bytes"},
		} {
			errOut, code, rss := runBin(t, db, nil, tc.args...)
			assert.Equal(t, 1, code, "%v", tc.args)
			assert.True(t, strings.HasPrefix(errOut, tc.msg), "%v: %s", tc.args, errOut)
			assert.Less(t, rss, int64(256<<10), "%v", tc.args)
		}
	})
}

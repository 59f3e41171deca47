package collect

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRedirectToAnotherOriginIsNotFollowed: a source's server that
// answers 302 to another port of the same host (another service), or to
// another host, does not get the token or the headers sent there: Go's
// client keeps Authorization on a redirect to the same host name on any
// port or scheme, and custom headers everywhere. The source fails.
func TestRedirectToAnotherOriginIsNotFollowed(t *testing.T) {
	var stolen atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-Api-Key") != "" {
			stolen.Add(1)
		}
		fmt.Fprintln(w, "web01")
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/here" {
			fmt.Fprintln(w, "web02")
			return
		}
		target := other.URL + "/steal"
		if r.URL.Path == "/same" {
			target = "/here"
		}
		http.Redirect(w, r, target, http.StatusFound)
	}))
	defer srv.Close()
	t.Setenv("COLLECT_REDIRECT_TOKEN", "s3cret")
	src := func(path string) *Source {
		return &Source{Name: "h", Kind: "hosts", URL: srv.URL + path, TokenEnv: "COLLECT_REDIRECT_TOKEN", Headers: map[string]string{"X-Api-Key": "k"}}
	}
	r := runOne(t, context.Background(), src("/away"), Options{})
	require.NotNil(t, r.Failure, "the redirect to another port is not followed")
	assert.Equal(t, "GET "+srv.URL+"/away: redirected to "+other.URL+"/steal, not on "+srv.URL+": not followed (the token and headers go to the source's own host only; put the URL it redirects to in the sources file)", r.Failure.Reason)
	assert.Zero(t, stolen.Load(), "the token reached another server")

	r = runOne(t, context.Background(), src("/same"), Options{})
	require.Nil(t, r.Failure, "a redirect on the source's own host is followed")
	assert.Equal(t, []string{"web02"}, r.Data.Hosts)
}

// TestCommandLeavesNoProcessBehind: what a command started in the
// background does not outlive the read, whether it let go of stdout or
// not: a loop collecting every minute would otherwise pile them up.
func TestCommandLeavesNoProcessBehind(t *testing.T) {
	for _, tc := range []struct{ name, redirect string }{
		{"stdout closed", ">/dev/null 2>&1"},
		{"stdout held", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "child.pid")
			script := fmt.Sprintf("sleep 300 %s & echo $! > %q; echo web01", tc.redirect, pidFile)
			r := runOne(t, context.Background(), &Source{Name: "h", Kind: "hosts", Command: []string{"sh", "-c", script}}, Options{})
			if tc.redirect != "" {
				require.Nil(t, r.Failure)
				assert.Equal(t, []string{"web01"}, r.Data.Hosts)
			} else {
				require.NotNil(t, r.Failure, "a child holding stdout may still be printing: the output is not known whole")
			}
			data, err := os.ReadFile(pidFile)
			require.NoError(t, err)
			pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
			require.NoError(t, err)
			deadline := time.Now().Add(30 * time.Second)
			for running(pid) {
				if !time.Now().Before(deadline) {
					_ = killPid(pid)
					t.Fatalf("the command's child %d still runs after the read", pid)
				}
				time.Sleep(20 * time.Millisecond) // SIGKILL is sent; the poll waits for the exit
			}
		})
	}
}

// running reports whether pid runs (a zombie nobody reaped does not).
func running(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	line := string(data)
	if i := strings.LastIndexByte(line, ')'); i >= 0 && i+2 < len(line) {
		return line[i+2] != 'Z' && line[i+2] != 'X'
	}
	return true
}

func killPid(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

// TestNetBoxPagesThatLoop: a NetBox (or a proxy) whose next links go
// round (A → B → A) fails the source at the first page read twice, not
// after ten thousand requests to the server, and adds no device twice.
func TestNetBoxPagesThatLoop(t *testing.T) {
	var requests atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		next := map[string]string{"": "b", "b": "a", "a": "b"}[r.URL.Query().Get("page")]
		fmt.Fprintf(w, `{"count":2,"next":%q,"results":[{"name":"dev-%s","status":{"value":"active"}}]}`, srv.URL+"/api/dcim/devices/?page="+next, next)
	}))
	defer srv.Close()
	r := runOne(t, context.Background(), &Source{Name: "netbox", Kind: "netbox", URL: srv.URL + "/api/dcim/devices/"}, Options{})
	require.NotNil(t, r.Failure)
	assert.Equal(t, "GET "+srv.URL+"/api/dcim/devices/: page 4 is "+srv.URL+"/api/dcim/devices/?page=b again: the API's next links go round (expected them to end with next: null)", r.Failure.Reason)
	assert.Equal(t, int32(3), requests.Load())
}

// TestTokenAndCAFilesThatHang: a token_file or ca_file that blocks when
// read (a FIFO nobody writes, a hung mount) fails the source at its
// timeout instead of holding the collect past its deadline, and one that
// never ends (/dev/zero) is refused at a bound, not read into memory.
func TestTokenAndCAFilesThatHang(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "web01") }))
	defer srv.Close()
	fifo := filepath.Join(t.TempDir(), "token")
	require.NoError(t, mkfifo(fifo))
	for _, s := range []*Source{
		{Name: "h", Kind: "hosts", URL: srv.URL, TokenFile: fifo, Timeout: 100 * time.Millisecond},
		{Name: "h", Kind: "hosts", URL: srv.URL, CAFile: fifo, Timeout: 100 * time.Millisecond},
	} {
		done := make(chan Result, 1)
		go func() { done <- runOne(t, context.Background(), s, Options{}) }()
		select {
		case r := <-done:
			require.NotNil(t, r.Failure)
			assert.Equal(t, "timed out after 100ms", r.Failure.Reason)
		case <-time.After(30 * time.Second): // far past the 100ms timeout on a loaded machine
			t.Fatalf("the read of %s held the source past its timeout", fifo)
		}
	}
	r := runOne(t, context.Background(), &Source{Name: "h", Kind: "hosts", URL: srv.URL, TokenFile: "/dev/zero"}, Options{})
	require.NotNil(t, r.Failure)
	assert.Equal(t, "token_file /dev/zero is more than 65536 bytes: expected a token on one line", r.Failure.Reason)
}

// TestCommandDirMissing: a dir that does not exist is named as the
// dir, not as the program (the kernel's chdir error came back as
// "cannot run true: no such file or directory").
func TestCommandDirMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	r := runOne(t, context.Background(), &Source{Name: "h", Kind: "hosts", Command: []string{"true"}, Dir: dir}, Options{})
	require.NotNil(t, r.Failure)
	assert.Equal(t, "cannot run true: dir "+dir+": no such file or directory", r.Failure.Reason)
}

// TestUnknownSubtableHasALine: a table under [[source]] that no key
// takes ([source.opts], [[source.extra]]) is reported at its header's
// line, as an unknown key is.
func TestUnknownSubtableHasALine(t *testing.T) {
	for _, header := range []string{"[source.opts]", "[[source.extra]]"} {
		text := "[[source]]\nname = \"h\"\nkind = \"hosts\"\npath = \"h.txt\"\n\n" + header + "\nx = 1\n"
		_, err := Parse("site.toml", []byte(text))
		require.Error(t, err)
		assert.True(t, strings.HasPrefix(err.Error(), "site.toml:6: unknown key "), "%s: %v", header, err)
	}
}

// TestControlCharactersAreRefusedAtLoad: a NUL byte ("\u0000" in TOML)
// in a path, an argument or a variable, or a control character in a
// header or the token scheme, is an error of the sources file at its
// line: it used to load, and then fail that source at every collect
// ("invalid argument", "invalid header field value"), carried forward
// pass after pass.
func TestControlCharactersAreRefusedAtLoad(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`path = "x\u0000y"`, `site.toml:4: source a: path "x\x00y": expected no NUL byte in it`},
		{"command = [\"echo\", \"a\\u0000b\"]", `site.toml:4: source a: command argument 2 "a\x00b": expected no NUL byte in it`},
		{"command = [\"echo\"]\ndir = \"w\\u0000\"", `site.toml:5: source a: dir "w\x00": expected no NUL byte in it`},
		{"command = [\"echo\"]\nenv = { A = \"1\\u00002\" }", `site.toml:5: source a: env A "1\x002": expected no NUL byte in it`},
		{"url = \"http://x/\"\nheaders = { X = \"a\\u0000b\" }", `site.toml:5: source a: header "X": expected a header name and a one-line value without control characters`},
		{"url = \"http://x/\"\nheaders = { \"X(A)\" = \"b\" }", `site.toml:5: source a: header "X(A)": expected a header name and a one-line value without control characters`},
		{"url = \"http://x/\"\ntoken_env = \"T\"\ntoken_scheme = \"B\\u0007\"", `site.toml:6: source a: token_scheme "B\a": expected one word (Bearer, Token)`},
		{"url = \"http://x/\"\ntoken_file = \"t\\u0000\"", `site.toml:5: source a: token_file "t\x00": expected no NUL byte in it`},
	} {
		_, err := Parse("site.toml", []byte("[[source]]\nname = \"a\"\nkind = \"hosts\"\n"+tc.body+"\n"))
		if assert.Error(t, err, tc.body) {
			assert.Equal(t, tc.want, err.Error())
		}
	}
}

// TestCommandOutputStillComingIsNotStored: a command that exits while
// what it started still prints to its stdout (a wrapper that forgot to
// wait) fails, instead of storing what had come 2 s after it exited: a
// half-read source is never stored.
func TestCommandOutputStillComingIsNotStored(t *testing.T) {
	r := runOne(t, context.Background(), &Source{Name: "h", Kind: "hosts", Command: []string{"sh", "-c", "(sleep 30; echo web02) & echo web01"}}, Options{})
	require.NotNil(t, r.Failure, "stored a half-read source: %v", r.Data)
	assert.Equal(t, "sh -c '(sleep 30; echo web02) & echo web01' exited, but what it started still held its stdout 2s later: its output may be cut short (a background process of a script should have its stdout redirected, >/dev/null)", r.Failure.Reason)
}

// TestExampleSourcesFileLoads: the whole site's file docs/collect.md
// points to stays a file fleetq takes as the checks above tighten.
func TestExampleSourcesFileLoads(t *testing.T) {
	f, err := Load(filepath.Join("..", "..", "examples", "sources", "site.toml"))
	require.NoError(t, err)
	assert.NotEmpty(t, f.Sources)
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// served is a real fleetq serve process of the built binary on a port of
// 127.0.0.1 the kernel picked, read off its "listening on" line.
type served struct {
	URL  string
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs bytes.Buffer // stderr after the listening line: the request log
	done chan error
}

// startServe starts fleetq --db db serve --listen 127.0.0.1:0 args… and
// waits for it to listen (an event, not a sleep). Cleanup stops it with
// SIGTERM and waits for it.
func startServe(t *testing.T, db string, args ...string) *served {
	t.Helper()
	cmd := exec.Command(fleetqBin, append([]string{"--db", db, "serve", "--listen", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	s := &served{cmd: cmd, done: make(chan error, 1)}
	url := make(chan string, 1)
	go func() {
		s.readStderr(stderr, url) // to EOF: Wait closes the pipe, so it comes after
		s.done <- cmd.Wait()
	}()
	select {
	case u := <-url:
		s.URL = u
	case err := <-s.done:
		t.Fatalf("fleetq serve exited before listening: %v\n%s", err, s.Logs())
	}
	t.Cleanup(func() { s.Stop(t) })
	return s
}

func (s *served) readStderr(r io.Reader, url chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if _, rest, ok := strings.Cut(line, "fleetq serve: listening on "); ok && url != nil {
			url <- strings.Fields(rest)[0]
			url = nil
		}
		s.mu.Lock()
		s.logs.WriteString(line + "\n")
		s.mu.Unlock()
	}
}

// Logs is what the server wrote on stderr so far.
func (s *served) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// Stop sends SIGTERM and waits for the server to exit 0 (idempotent).
func (s *served) Stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		require.NoError(t, err, "fleetq serve did not exit cleanly:\n%s", s.Logs())
	case <-time.After(time.Minute): // a hung server, not a timing assumption
		_ = s.cmd.Process.Kill()
		t.Fatalf("fleetq serve did not stop within a minute of SIGTERM:\n%s", s.Logs())
	}
}

// call makes one request: body is JSON-encoded when not nil; it returns
// the response (body read) and the body.
func (s *served) call(t *testing.T, method, path, token string, body any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

// apiError decodes an error body.
func apiErrorOf(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var e map[string]any
	require.NoError(t, json.Unmarshal(b, &e), "not a JSON error: %s", b)
	require.NotEmpty(t, e["kind"], "error without a kind: %s", b)
	return e
}

// newToken creates a token with the built binary and returns its secret
// (the one line of stdout).
func newToken(t *testing.T, db, name, role string, extra ...string) string {
	t.Helper()
	out := fqBinOK(t, db, append([]string{"token", "create", name, "--role", role}, extra...)...)
	secret := strings.TrimSpace(out)
	require.NotContains(t, secret, "\n")
	require.True(t, strings.HasPrefix(secret, "fq_"), "token create printed %q", out)
	return secret
}

func urlEscape(s string) string { return url.QueryEscape(s) }

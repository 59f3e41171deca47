package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/auth"
	"github.com/fleetq/fleetq/internal/server"
)

// Every call fleetq serve runs builds a fresh command tree; none may stay
// in memory after it (cobra keeps each flag given completion candidates
// in a package map for good, which kept every tree: about 200 KB a
// request, gigabytes after a day of polling).
func TestServeExecDoesNotRetainCommandTrees(t *testing.T) {
	f := newActionFixture(t)
	x := &serveExec{db: f.db, policy: f.policy, lockWait: time.Second}
	op, ok := server.ForCommand([]string{"passes"}, nil)
	require.True(t, ok)
	call := server.Call{Op: op, Principal: auth.Principal{Name: "ann", Role: auth.Viewer}, Format: "json", Args: []string{"--"}}
	heap := func(calls int) uint64 {
		for i := 0; i < calls; i++ {
			res := x.Exec(context.Background(), call)
			require.Nil(t, res.Err, "%s", res.Stderr)
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap(20)
	after := heap(200)
	grown := int64(after) - int64(before)
	require.Less(t, grown, int64(8<<20), "200 calls kept %d bytes of heap (%d a call)", grown, grown/200)
}

// post sends body as it is (no encoding) to path with token.
func (s *served) post(t *testing.T, path, token, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp, m
}

// A body is one JSON object, each name once, nothing after it: a second
// force, or an object after the first, is what a proxy checking the
// first would miss. Each is refused before any command runs (nothing in
// the ledger).
func TestServeBodyIsOneObject(t *testing.T) {
	f := newActionFixture(t)
	op := newToken(t, f.db, "olga", "operator")
	s := startServe(t, f.db, "--policy", f.policy)
	for _, body := range []string{
		`{"verb": "drain", "expr": "all", "reason": "x", "commit": true} {"force": true}`,
		`{"verb": "drain", "expr": "all", "reason": "x", "commit": true}garbage`,
		`{"verb": "drain", "expr": "all", "reason": "x", "commit": true}{}`,
		`{"verb": "drain", "verb": "reboot", "expr": "all", "reason": "x", "commit": true}`,
		`{"verb": "drain", "expr": "all", "reason": "x", "commit": false, "commit": true}`,
		`["drain"]`,
		`null {}`,
	} {
		resp, e := s.post(t, "/v1/request", op, body)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s: %v", body, e)
		assert.Equal(t, "bad_request", e["kind"], body)
		assert.Contains(t, e["message"], "the body must be one JSON object", body)
	}
	_, e := s.post(t, "/v1/request", op, `{"verb": "drain", "verb": "reboot"}`)
	assert.Contains(t, e["message"], `the name "verb" is given twice`)
	assert.JSONEq(t, "[]", fqBinOK(t, f.db, "leases", "--format", "json"), "a refused body granted leases")
	// What was accepted before still is: no body, null, an empty object.
	for _, body := range []string{"", "null", " {} \n"} {
		resp, e := s.post(t, "/v1/leases", op, body)
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, "%q: %v", body, e)
		resp, e = s.post(t, "/v1/stop", op, body)
		assert.NotEqual(t, "bad_request", e["kind"], "%q: %v", body, e)
		assert.NotEqual(t, http.StatusInternalServerError, resp.StatusCode)
	}
}

// An error repeats at most a few hundred bytes of what the caller sent:
// an unknown parameter named by 100 KB is not 100 KB in the answer, the
// request log and the refusal audit.
func TestServeErrorsEchoInputBounded(t *testing.T) {
	f := newActionFixture(t)
	viewer := newToken(t, f.db, "vera", "viewer")
	s := startServe(t, f.db, "--policy", f.policy)
	long := strings.Repeat("\x1bA", 50000)
	for _, path := range []string{
		"/v1/query?expr=all&" + urlEscape(long) + "=1",
		"/v1/query?expr=all&format=" + urlEscape(long),
		"/v1/check/windows?verb=" + urlEscape(long),
		"/v1/" + urlEscape(long),
	} {
		resp, b := s.call(t, "GET", path, viewer, nil)
		require.GreaterOrEqual(t, resp.StatusCode, 400, "%s", b)
		assert.Less(t, len(b), 2000, "the answer repeats the input: %d bytes", len(b))
		assert.NotContains(t, string(b), "\x1b")
	}
	s.Stop(t)
	for _, line := range strings.Split(s.Logs(), "\n") {
		assert.Less(t, len(line), 4000, "a log line repeats the input: %.200s…", line)
	}
	out := fqBinOK(t, f.db, "audit", "--kind", "refused", "--format", "json")
	assert.Less(t, len(out), 20000, "the refusal audit repeats the input: %d bytes", len(out))
}

// One Authorization header, "Bearer" in any case (RFC 7235): two headers
// are refused whichever comes first, never one of them chosen.
func TestServeAuthorizationHeader(t *testing.T) {
	f := newActionFixture(t)
	viewer := newToken(t, f.db, "vera", "viewer")
	s := startServe(t, f.db, "--policy", f.policy)
	get := func(headers ...string) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodGet, s.URL+"/v1/passes", nil)
		require.NoError(t, err)
		for _, h := range headers {
			req.Header.Add("Authorization", h)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var e map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e
	}
	for _, h := range []string{"Bearer " + viewer, "bearer " + viewer, "BEARER  " + viewer + " "} {
		code, e := get(h)
		assert.Equal(t, http.StatusOK, code, "%q: %v", h, e)
	}
	for _, hs := range [][]string{
		{"Bearer " + viewer, "Bearer fq_wrong"},
		{"Bearer fq_wrong", "Bearer " + viewer},
		{"Bearer " + viewer, "Bearer " + viewer},
	} {
		code, e := get(hs...)
		assert.Equal(t, http.StatusUnauthorized, code, "%v", e)
		assert.Contains(t, e["message"], "2 Authorization headers")
	}
	for _, h := range []string{"Basic " + viewer, "Bearer", "Bearer ", "Bearer" + viewer, viewer} {
		code, _ := get(h)
		assert.Equal(t, http.StatusUnauthorized, code, h)
	}
}

// FleetLock carries no credentials: a caller naming a new id on each
// call is limited by its address, not given a fresh burst per id.
func TestFleetLockRateLimitedByAddress(t *testing.T) {
	f := newActionFixture(t)
	s := startServe(t, f.db, "--policy", f.policy, "--rate", "0.01", "--burst", "3")
	var codes []int
	for i := 0; i < 6; i++ {
		c := &flClient{t: t, base: s.URL + "/fleetlock/", id: fmt.Sprintf("nobody-%d", i), group: "default"}
		r := c.call("v1/pre-reboot")
		codes = append(codes, r.Status)
		if r.Status == http.StatusTooManyRequests {
			assert.Equal(t, "rate_limited", r.Kind)
			assert.Contains(t, r.Value, "127.0.0.1 is over its rate")
		}
	}
	assert.Equal(t, []int{422, 422, 422, 429, 429, 429}, codes)
}

// The CLI client follows no redirect: net/http would resend the token
// to another port of the same host name (and to a subdomain), so a
// redirecting server, or one in the middle, could collect it.
func TestClientFollowsNoRedirect(t *testing.T) {
	var got atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			got.Add(1)
		}
		w.WriteHeader(http.StatusTeapot)
	}))
	defer other.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	for _, args := range [][]string{{"leases"}, {"release", "h1"}} {
		cmd := exec.Command(fleetqBin, args...)
		cmd.Env = append(os.Environ(), "FLEETQ_SERVER="+redirect.URL, "FLEETQ_TOKEN=fq_secret")
		_, stderr, code := runCmd(t, cmd)
		assert.Equal(t, 1, code, stderr)
		assert.Contains(t, stderr, "the server answered 307, a redirect to "+other.URL)
		assert.Contains(t, stderr, "fleetq follows no redirect")
	}
	assert.Zero(t, got.Load(), "the token was sent where the server redirected")
}

// A tokens file rewritten badly while the server runs keeps the last good
// tokens in force (never none, never anyone) and says so in the log, once
// per change: whoever runs the server learns why a revocation did not
// take.
func TestServeTokensFileCorruptedWhileServing(t *testing.T) {
	f := newActionFixture(t)
	viewer := newToken(t, f.db, "vera", "viewer")
	s := startServe(t, f.db, "--policy", f.policy)
	path := filepath.Join(filepath.Dir(f.db), "fleetq.tokens.json")
	good, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(`{"version": 1, "tokens": [{"name": "ve`), 0o600))
	for i := 0; i < 3; i++ {
		resp, b := s.call(t, "GET", "/v1/passes", viewer, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
		resp, _ = s.call(t, "GET", "/v1/passes", "fq_other", nil)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	require.NoError(t, os.WriteFile(path, good, 0o600))
	resp, _ := s.call(t, "GET", "/v1/passes", viewer, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	s.Stop(t)
	assert.Equal(t, 1, strings.Count(s.Logs(), "tokens file changed but does not read: the last good tokens stay in force"), s.Logs())
	assert.Contains(t, s.Logs(), "not a fleetq tokens file")
}

// Writes queued behind a lock another process holds (a cron ingest) each
// wait up to --timeout in all, their turn among this server's writes
// included, then answer 503 locked: the tenth does not wait ten
// timeouts (nor past the server's write timeout, which cuts it off).
func TestServeQueuedWritesWaitOneTimeout(t *testing.T) {
	f := newActionFixture(t)
	rob := newToken(t, f.db, "rob", "requester")
	s := startServe(t, f.db, "--policy", f.policy, "--timeout", "1s")
	_, release := startHolder(t, f.db)
	defer release.Close()
	const writes = 10
	type answer struct {
		status int
		code   string
		kind   any
		took   time.Duration
	}
	answers := make(chan answer, writes)
	start := time.Now()
	for i := 0; i < writes; i++ {
		go func() {
			body := fmt.Sprintf(`{"verb": "drain", "expr": "all", "reason": "queued", "seed": %d}`, i)
			req, err := http.NewRequest(http.MethodPost, s.URL+"/v1/request", strings.NewReader(body))
			if err != nil {
				answers <- answer{}
				return
			}
			req.Header.Set("Authorization", "Bearer "+rob)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				answers <- answer{}
				return
			}
			defer resp.Body.Close()
			var e map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&e)
			answers <- answer{resp.StatusCode, resp.Header.Get("Fleetq-Exit-Code"), e["kind"], time.Since(start)}
		}()
	}
	for i := 0; i < writes; i++ {
		a := <-answers
		assert.Equal(t, http.StatusServiceUnavailable, a.status)
		assert.Equal(t, "locked", a.kind)
		assert.Equal(t, "3", a.code, "the exit status of a lock not had")
		// One --timeout of 1 s, with room for a loaded machine; before,
		// the n-th write answered after n seconds.
		assert.Less(t, a.took, 5*time.Second, "a queued write waited %s with --timeout 1s", a.took)
	}
}

// A query parameter given twice is refused, not the last one taken
// (which one counts differs between parsers); a list takes repeats.
func TestServeQueryParameterOnce(t *testing.T) {
	f := newActionFixture(t)
	viewer := newToken(t, f.db, "vera", "viewer")
	s := startServe(t, f.db, "--policy", f.policy)
	resp, b := s.call(t, "GET", "/v1/query?expr=dead&expr=all", viewer, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s", b)
	e := apiErrorOf(t, b)
	assert.Equal(t, "bad_request", e["kind"])
	assert.Equal(t, "query: expr: given 2 times: expected one value", e["message"])
	resp, b = s.call(t, "GET", "/v1/headroom?verb=drain&verb=reboot", viewer, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
}

package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/auth"
)

// recorder is an Executor that keeps the calls it is given and prints
// nothing: these tests check how requests become command lines; the
// commands themselves run in cmd/fleetq's tests against a real server.
type recorder struct{ calls []Call }

func (r *recorder) Exec(_ context.Context, c Call) Result {
	r.calls = append(r.calls, c)
	return Result{Stdout: []byte("{}\n")}
}

func newTestServer(t *testing.T) (*Server, *recorder, map[string]string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.json")
	secrets := map[string]string{}
	for _, tk := range []struct {
		name string
		role auth.Role
		auto bool
	}{{"vera", auth.Viewer, false}, {"rob", auth.Requester, false}, {"olga", auth.Operator, false}, {"bot", auth.Operator, true}} {
		s, err := auth.Create(path, tk.name, tk.role, tk.auto, "", time.Now())
		require.NoError(t, err)
		secrets[tk.name] = s
	}
	st, err := auth.NewStore(path)
	require.NoError(t, err)
	rec := &recorder{}
	s, err := New(Config{Executor: rec, Tokens: st, Rate: 0})
	require.NoError(t, err)
	return s, rec, secrets
}

func do(t *testing.T, s *Server, method, target, secret, body string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w, m
}

func TestRequestBecomesCommandLine(t *testing.T) {
	s, rec, sec := newTestServer(t)
	w, _ := do(t, s, "POST", "/v1/request?format=text", sec["rob"],
		`{"verb": "reboot", "expr": "--db=/etc/passwd", "reason": "-x", "seed": 42, "commit": true}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Len(t, rec.calls, 1)
	c := rec.calls[0]
	assert.Equal(t, []string{"reboot"}, c.Op.Command)
	assert.Equal(t, "text", c.Format)
	assert.Equal(t, "rob", c.Principal.Name)
	assert.Equal(t, []string{"--reason=-x", "--seed=42", "--commit=true", "--yes", "--", "--db=/etc/passwd"}, c.Args,
		"flags as --name=value, the expression after --: no value is read as a flag")
}

func TestParameterRefusals(t *testing.T) {
	s, rec, sec := newTestServer(t)
	for _, tc := range []struct {
		name, method, target, secret, body, kind string
		status                                   int
	}{
		{"no token", "GET", "/v1/leases", "", "", KindUnauthenticated, 401},
		{"unknown token", "GET", "/v1/leases", "fq_x", "", KindUnauthenticated, 401},
		{"viewer acts", "POST", "/v1/request", sec["vera"], `{"verb":"drain","expr":"a","reason":"r"}`, KindForbidden, 403},
		{"requester forces", "POST", "/v1/request", sec["rob"], `{"verb":"drain","expr":"a","reason":"r","force":true}`, KindForbidden, 403},
		{"automation forces", "POST", "/v1/request", sec["bot"], `{"verb":"drain","expr":"a","reason":"r","force":true}`, KindForbidden, 403},
		{"unknown verb", "POST", "/v1/request", sec["rob"], `{"verb":"nuke","expr":"a","reason":"r"}`, KindBadRequest, 400},
		{"missing reason", "POST", "/v1/request", sec["rob"], `{"verb":"drain","expr":"a"}`, KindBadRequest, 400},
		{"unknown field", "POST", "/v1/request", sec["rob"], `{"verb":"drain","expr":"a","reason":"r","as":"alice"}`, KindBadRequest, 400},
		{"wrong type", "POST", "/v1/request", sec["rob"], `{"verb":"drain","expr":"a","reason":"r","seed":"x"}`, KindBadRequest, 400},
		{"not an object", "POST", "/v1/request", sec["rob"], `[1]`, KindBadRequest, 400},
		{"bad format", "GET", "/v1/leases?format=xml", sec["vera"], "", KindBadRequest, 400},
		{"unknown query param", "GET", "/v1/leases?db=/tmp/x", sec["vera"], "", KindBadRequest, 400},
		{"no endpoint", "GET", "/v1/nothing", sec["vera"], "", KindNotFound, 404},
	} {
		w, e := do(t, s, tc.method, tc.target, tc.secret, tc.body)
		assert.Equal(t, tc.status, w.Code, "%s: %s", tc.name, w.Body.String())
		assert.Equal(t, tc.kind, e["kind"], tc.name)
		assert.NotEmpty(t, e["message"], tc.name)
	}
	assert.Empty(t, rec.calls, "no refused request reaches a command")
	w, _ := do(t, s, "POST", "/v1/request", sec["olga"], `{"verb":"drain","expr":"a","reason":"r","force":true}`)
	assert.Equal(t, http.StatusOK, w.Code, "a human operator forces: %s", w.Body.String())
}

func TestLimiter(t *testing.T) {
	l := newLimiter(2, 3) // 2/s, burst 3
	now := time.Unix(1000, 0)
	for i := range 3 {
		_, ok := l.allow("a", now)
		assert.True(t, ok, "burst request %d", i)
	}
	wait, ok := l.allow("a", now)
	assert.False(t, ok)
	assert.Equal(t, 500*time.Millisecond, wait, "one token at 2/s")
	_, ok = l.allow("b", now)
	assert.True(t, ok, "buckets are per principal")
	_, ok = l.allow("a", now.Add(500*time.Millisecond))
	assert.True(t, ok, "refilled")
	_, ok = newLimiter(0, 1).allow("a", now)
	assert.True(t, ok, "rate 0 is no limit")
}

func TestOpsTableIsConsistent(t *testing.T) {
	require.NoError(t, checkOps(Ops))
	op, ok := ForCommand([]string{"incident"}, []string{"status"})
	require.True(t, ok)
	assert.Equal(t, "incident-status", op.ID)
	op, ok = ForCommand([]string{"firmware"}, []string{"all"})
	require.True(t, ok)
	assert.Equal(t, "request", op.ID)
	_, ok = ForCommand([]string{"ingest"}, nil)
	assert.False(t, ok, "ingest is local only")
}

func TestWrongMethodIs405(t *testing.T) {
	s, _, sec := newTestServer(t)
	w, e := do(t, s, "GET", "/v1/request", sec["rob"], "")
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code, w.Body.String())
	assert.Equal(t, KindMethod, e["kind"])
	assert.Equal(t, "POST", w.Header().Get("Allow"))
	w, _ = do(t, s, "DELETE", "/v1/nothing", sec["rob"], "")
	assert.Equal(t, http.StatusNotFound, w.Code)
}

// A caller with no valid token is limited by its address: guessing
// tokens meets 429, not an endless stream of 401s.
func TestUnauthenticatedIsRateLimited(t *testing.T) {
	s, _, _ := newTestServer(t)
	s.limiter = newLimiter(1, 2)
	var codes []int
	for range 4 {
		w, _ := do(t, s, "GET", "/v1/leases", "fq_guess", "")
		codes = append(codes, w.Code)
	}
	assert.Equal(t, []int{401, 401, 429, 429}, codes)
}

// TestErrorJSONKeepsOperators: an error's JSON writes & < > as they are,
// as --format json does, so a caret under "a & (" reads the same in both
// (json.Marshal alone writes \u0026).
func TestErrorJSONKeepsOperators(t *testing.T) {
	rec := httptest.NewRecorder()
	writeError(rec, &Error{Kind: KindExpression, Message: `1:5: unexpected end of input`, Caret: "  a & (<b>\n      ^"})
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Contains(t, rec.Body.String(), `"caret":"  a & (<b>\n      ^"`)
	assert.NotContains(t, rec.Body.String(), `\u0026`)
	assert.True(t, strings.HasSuffix(rec.Body.String(), "}\n"), "one line, newline-terminated")
}

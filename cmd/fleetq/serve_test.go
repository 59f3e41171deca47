package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeRefusals: each refusal the issue names, from a real server on
// a real database: 401 without a token, 403 for a wrong role, 413 for an
// oversized body, 429 for a flood (with Retry-After), 400 with the caret
// message for a bad expression.
func TestServeRefusals(t *testing.T) {
	f := newActionFixture(t)
	viewer := newToken(t, f.db, "vera", "viewer")
	requester := newToken(t, f.db, "rob", "requester")
	s := startServe(t, f.db, "--policy", f.policy, "--body-limit", "4096", "--rate", "1", "--burst", "5")

	resp, b := s.call(t, "GET", "/v1/query?expr=all", "", nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "unauthenticated", apiErrorOf(t, b)["kind"])
	resp, b = s.call(t, "GET", "/v1/query?expr=all", "fq_notatoken", nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s", b)

	resp, b = s.call(t, "POST", "/v1/request", viewer, map[string]any{"verb": "drain", "expr": "all", "reason": "x"})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, apiErrorOf(t, b)["message"], "needs the requester role")
	resp, b = s.call(t, "POST", "/v1/request", requester, map[string]any{"verb": "drain", "expr": "all", "reason": "x", "force": true})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a requester may not force: %s", b)

	resp, b = s.call(t, "POST", "/v1/request", requester, map[string]any{"verb": "drain", "expr": "all", "reason": strings.Repeat("x", 5000)})
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Equal(t, "too_large", apiErrorOf(t, b)["kind"])

	resp, b = s.call(t, "GET", "/v1/query?expr="+urlEscape(`cluster = "smf1-dense-02" & (`), viewer, nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	e := apiErrorOf(t, b)
	assert.Equal(t, "expression", e["kind"])
	assert.EqualValues(t, 30, e["position"], "%s", b)
	assert.Contains(t, e["caret"], "^")

	// The burst of 5 is spent by now for vera or soon: a flood gets 429.
	var limited *http.Response
	for range 10 {
		resp, _ := s.call(t, "GET", "/v1/passes", viewer, nil)
		if resp.StatusCode == http.StatusTooManyRequests {
			limited = resp
			break
		}
	}
	require.NotNil(t, limited, "ten requests at once past a burst of 5 were never limited")
	assert.NotEmpty(t, limited.Header.Get("Retry-After"))
}

// TestServeDecisionJSON: POST /v1/request answers with the same JSON the
// CLI prints for the same decision (same seed), and the requester is the
// token's name.
func TestServeDecisionJSON(t *testing.T) {
	f := newActionFixture(t)
	rob := newToken(t, f.db, "rob", "requester")
	s := startServe(t, f.db, "--policy", f.policy)
	resp, b := s.call(t, "POST", "/v1/request", rob, map[string]any{"verb": "drain", "expr": `cluster = "smf1-dense-02"`,
		"reason": "disk swap", "seed": 42})
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	var api map[string]any
	require.NoError(t, json.Unmarshal(b, &api))
	out, _, code := f.run("drain", `cluster = "smf1-dense-02"`, "--reason", "disk swap", "--seed", "42", "--as", "rob", "--format", "json")
	require.Equal(t, 0, code)
	var cli map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &cli))
	for _, k := range []string{"token", "audit"} { // each decision has its own
		delete(api, k)
		delete(cli, k)
	}
	assert.Equal(t, cli["approved"], api["approved"])
	assert.Equal(t, len(cli), len(api))
	audit := f.ok("audit", "--format", "json")
	assert.Contains(t, audit, `"requester": "rob"`)
}

// TestServeRefusesExposure: a non-loopback address needs TLS and tokens;
// --insecure is the one way around it, and says what it is.
func TestServeRefusesExposure(t *testing.T) {
	f := newActionFixture(t)
	_, errOut, code := fqBin(t, f.db, "serve", "--listen", "0.0.0.0:0")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "serve: 0.0.0.0:0 is not a loopback address: give --tls-cert/--tls-key and create tokens", "the address as given, not [::]:PORT")
	cert, key := newTestCA(t).issue("127.0.0.1", true)
	_, errOut, code = fqBin(t, f.db, "serve", "--listen", "0.0.0.0:0", "--tls-cert", cert, "--tls-key", key)
	assert.Equal(t, exitFailure, code)
	tokens := filepath.Join(filepath.Dir(f.db), "fleetq.tokens.json")
	assert.Contains(t, errOut, "no tokens in "+tokens+": create one (fleetq token create NAME --role ROLE --tokens "+tokens+")",
		"TLS without tokens names the file the server read")
	newToken(t, f.db, "ops", "admin")
	_, errOut, code = fqBin(t, f.db, "serve", "--listen", "0.0.0.0:0")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "tokens would cross the network in clear")
	s := startServe(t, f.db, "--listen", "0.0.0.0:0", "--insecure")
	assert.NotContains(t, s.URL, "127.0.0.1", "listening on every address")
}

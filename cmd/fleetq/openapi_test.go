package main

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/server"
)

// walkValues are the values the walk gives a required parameter by its
// name: each valid for the fixture (an enum's first value is taken
// before these).
var walkValues = map[string]any{
	"expr": "all", "scope": `cluster = "ams1-zk-01"`, "reason": "openapi walk", "name": "dn0001.smf1",
	"token": "a1.p1.l0.d69adcd00aff.s42", "hosts": []string{"zk00.ams1"},
}

// TestOpenAPIAgainstServer: GET /v1/openapi.json, served without a
// token, is a valid OpenAPI 3 document (kin-openapi's validation) that
// lists every operation of the table; and against the real server each
// of its operations, called with a minimal valid request (its required
// parameters), answers with a status the document lists for it and
// with a listed content type, through the route the document names (the
// request log's route; never the catch-all 404 or a 405).
func TestOpenAPIAgainstServer(t *testing.T) {
	f := newActionFixture(t)
	admin := newToken(t, f.db, "ada", "admin")
	s := startServe(t, f.db, "--policy", f.policy, "--rate", "0")

	resp, b := s.call(t, "GET", server.OpenAPIPath, "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	doc, err := openapi3.NewLoader().LoadFromData(b)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))

	for _, op := range server.Ops {
		require.NotNil(t, doc.Paths.Find(op.Path).GetOperation(op.Method), "%s %s is routed but not in the document", op.Method, op.Path)
	}
	called := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, o := range item.Operations() {
			resp, body := callMinimal(t, s, admin, method, path, o)
			st := strconv.Itoa(resp.StatusCode)
			require.NotNil(t, o.Responses.Value(st), "%s %s answered %s, which the document does not list: %s", method, path, st, body)
			ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
			assert.NotNil(t, o.Responses.Value(st).Value.Content.Get(ct), "%s %s: %s %s is not a documented content type", method, path, st, ct)
			t.Logf("%s %s: %s", method, path, st)
			called[method+" "+path] = true
		}
	}
	// The server logs a request after answering it: wait for the line of
	// each (an event), for a minute at most.
	var routed map[string]bool
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		routed = loggedRoutes(s.Logs())
		if len(routed) >= len(called) || time.Now().After(deadline) {
			break
		}
	}
	for op := range called {
		assert.True(t, routed[op], "%s was not served by its own route (log routes: %v)", op, routed)
	}
	assert.Len(t, called, len(server.Ops)+server.MountedPaths()+3,
		"every operation, what mounts add under /v1 (the FleetLock group), /healthz, /readyz and the document itself")
}

// loggedRoutes are the routes of the request log's lines.
func loggedRoutes(logs string) map[string]bool {
	routed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var l struct{ Route string }
		if json.Unmarshal([]byte(line), &l) == nil && l.Route != "" {
			routed[l.Route] = true
		}
	}
	return routed
}

// callMinimal calls one operation with its required parameters only.
func callMinimal(t *testing.T, s *served, token, method, path string, o *openapi3.Operation) (*http.Response, []byte) {
	t.Helper()
	q := url.Values{}
	for _, pr := range o.Parameters {
		p := pr.Value
		if !p.Required {
			continue
		}
		v := fmt.Sprint(walkValue(p.Name, p.Schema.Value))
		if p.In == "path" {
			path = strings.Replace(path, "{"+p.Name+"}", url.PathEscape(v), 1)
			continue
		}
		q.Set(p.Name, v)
	}
	var body map[string]any
	if o.RequestBody != nil {
		body = map[string]any{}
		schema := o.RequestBody.Value.Content.Get("application/json").Schema.Value
		for _, name := range schema.Required {
			body[name] = walkValue(name, schema.Properties[name].Value)
		}
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	if method == http.MethodPost && body == nil {
		body = map[string]any{}
	}
	return s.call(t, method, path, token, body)
}

func walkValue(name string, s *openapi3.Schema) any {
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	if v, ok := walkValues[name]; ok {
		return v
	}
	switch {
	case s.Type.Is("integer"):
		return 1
	case s.Type.Is("boolean"):
		return false
	}
	return "x"
}

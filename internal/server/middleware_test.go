package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/auth"
)

// panicky is an executor whose every call panics.
type panicky struct{}

func (panicky) Exec(context.Context, Call) Result { panic("boom") }

// observed records what the server reports to its hooks.
type observed struct {
	mu       sync.Mutex
	http     []string
	refusals []Refusal
}

func (o *observed) config(cfg Config) Config {
	cfg.Anonymous = auth.Principal{Name: "anonymous", Role: auth.Admin}
	cfg.ObserveHTTP = func(route string, status int, _ time.Duration) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.http = append(o.http, route+" "+http.StatusText(status))
	}
	cfg.Refused = func(r Refusal) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.refusals = append(o.refusals, r)
	}
	return cfg
}

// TestPanicIsAnsweredLoggedAndMeasured: a handler's panic is a 500 with
// kind internal, and the request is still in the latency metrics.
func TestPanicIsAnsweredLoggedAndMeasured(t *testing.T) {
	var o observed
	s, err := New(o.config(Config{Executor: panicky{}}))
	require.NoError(t, err)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/v1/passes", nil))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Contains(t, w.Body.String(), `"kind":"internal"`)
	assert.Equal(t, []string{"GET /v1/passes Internal Server Error"}, o.http)
}

// TestBodyOverLimitIsRefusedByRoute: a body declared over the limit is
// refused before it is routed, and still reported under its route (a
// bounded name), to the refusal audit and the metrics.
func TestBodyOverLimitIsRefusedByRoute(t *testing.T) {
	var o observed
	s, err := New(o.config(Config{Executor: panicky{}, BodyLimit: 10}))
	require.NoError(t, err)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest("POST", "/v1/request", strings.NewReader(`{"verb":"drain","expr":"all","reason":"x"}`)))
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	require.Len(t, o.refusals, 1)
	assert.Equal(t, "POST /v1/request", o.refusals[0].Op)
	assert.Equal(t, KindTooLarge, o.refusals[0].Kind)
	assert.Equal(t, []string{"POST /v1/request Request Entity Too Large"}, o.http)
}

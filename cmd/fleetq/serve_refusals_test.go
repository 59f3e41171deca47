package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/server"
	"github.com/fleetq/fleetq/internal/store"
)

// fakeAuditWrites records the refusal audit's writes and lets a test
// wait for each.
type fakeAuditWrites struct {
	calls chan []store.AuditEntry
	fail  int // the first fail writes fail
}

func (f *fakeAuditWrites) write(es []*store.AuditEntry) error {
	cp := make([]store.AuditEntry, len(es))
	for i, e := range es {
		cp[i] = *e
		r := *e.Refusal
		cp[i].Refusal = &r
	}
	f.calls <- cp
	if f.fail > 0 {
		f.fail--
		return errors.New("database locked")
	}
	return nil
}

func refusal(who, remote, op, kind string) server.Refusal {
	return server.Refusal{Time: time.Now().UTC(), Principal: who, Remote: remote, Op: op, Kind: kind, Message: kind + " message"}
}

// TestRefusalAuditBatches: the first refusal is written at once, the
// rest of a flood waits for the interval (here longer than the test) and
// is written at stop as one entry per principal or address, operation and
// kind, with its count; a client's port does not split its count.
func TestRefusalAuditBatches(t *testing.T) {
	f := &fakeAuditWrites{calls: make(chan []store.AuditEntry, 10)}
	r := newRefusalAudit(f.write, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Hour)
	r.add(refusal("", "10.0.0.1:5000", "GET /v1/query", server.KindUnauthenticated))
	first := <-f.calls
	require.Len(t, first, 1)
	assert.Equal(t, 1, first[0].Refusal.Count)
	assert.Equal(t, "10.0.0.1", first[0].Requester, "unauthenticated: the client's address")
	for i := range 1000 {
		r.add(refusal("", fmt.Sprintf("10.0.0.1:%d", 5000+i), "GET /v1/query", server.KindUnauthenticated))
	}
	for range 3 {
		r.add(refusal("vera", "10.0.0.2:1", "request", server.KindForbidden))
	}
	r.stop()
	require.Len(t, f.calls, 1, "one write for the whole flood, at stop")
	last := <-f.calls
	require.Len(t, last, 2)
	assert.Equal(t, store.KindRefused, last[0].Kind)
	assert.Equal(t, 1000, last[0].Refusal.Count)
	assert.Equal(t, "vera", last[1].Requester)
	assert.Equal(t, 3, last[1].Refusal.Count)
	assert.Equal(t, "request", last[1].Refusal.Op)
	assert.False(t, last[1].Refusal.First.After(last[1].Refusal.Last))
}

// TestRefusalAuditKeepsWhatAFailedWriteHad: a write that fails (the
// database locked) loses no count: the next write has them all.
func TestRefusalAuditKeepsWhatAFailedWriteHad(t *testing.T) {
	f := &fakeAuditWrites{calls: make(chan []store.AuditEntry, 10), fail: 1}
	r := newRefusalAudit(f.write, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Hour)
	for range 3 {
		r.add(refusal("rob", "127.0.0.1:1", "stop", server.KindRateLimited))
	}
	failed := <-f.calls // the first refusal's write, refused by the fake
	require.Len(t, failed, 1)
	r.add(refusal("rob", "127.0.0.1:1", "stop", server.KindRateLimited))
	r.stop()
	require.Len(t, f.calls, 1, "the failed batch is written with the next one, at stop")
	var total int
	for _, e := range <-f.calls {
		total += e.Refusal.Count
	}
	assert.Equal(t, 4, total, "every refusal written once the database took the write")
}

// TestRefusalAuditBoundsItsBatch: a flood from more addresses than a batch
// keeps is counted under one caller past the bound, not dropped.
func TestRefusalAuditBoundsItsBatch(t *testing.T) {
	f := &fakeAuditWrites{calls: make(chan []store.AuditEntry, 10)}
	r := newRefusalAudit(f.write, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Hour)
	r.add(refusal("", "192.0.2.1:1", "GET /v1/query", server.KindUnauthenticated))
	<-f.calls
	n := maxRefusalKeys + 50
	for i := range n {
		r.add(refusal("", fmt.Sprintf("198.51.%d.%d:1", i/256, i%256), "GET /v1/query", server.KindUnauthenticated))
	}
	r.stop()
	es := <-f.calls
	require.Len(t, es, maxRefusalKeys+1)
	assert.Equal(t, manyCallers, es[maxRefusalKeys].Requester)
	assert.Equal(t, 50, es[maxRefusalKeys].Refusal.Count)
}

// TestServeAuditsRefusals: a real server under a flood of refused
// requests writes them to the audit log counted, in about one entry per
// second per principal, operation and kind (not one per request), and
// what is left at SIGTERM; the log still verifies.
func TestServeAuditsRefusals(t *testing.T) {
	f := newActionFixture(t)
	vera := newToken(t, f.db, "vera", "viewer")
	s := startServe(t, f.db, "--policy", f.policy, "--body-limit", "4096", "--rate", "0")
	start := time.Now()
	const flood = 200
	for range flood {
		resp, _ := s.call(t, "GET", "/v1/query?expr=all", "", nil)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	for range 3 {
		resp, _ := s.call(t, "POST", "/v1/request", vera, map[string]any{"verb": "drain", "expr": "all", "reason": "x"})
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
	}
	resp, _ := s.call(t, "POST", "/v1/request", vera, map[string]any{"verb": "drain", "expr": "all", "reason": strings.Repeat("x", 5000)})
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	resp, _ = s.call(t, "GET", "/v1/query?expr=all&bogus=1", vera, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	s.Stop(t)
	elapsed := time.Since(start) // the last write is at the stop, before the exit

	counts, entries := map[string]int{}, map[string]int{}
	refused := f.auditEntries("--kind", "refused")
	require.NotEmpty(t, refused)
	assert.Contains(t, f.fail(1, "audit", "replay", fmt.Sprint(refused[0].ID)), "not a decision: nothing to replay")
	for _, e := range refused {
		require.NotNil(t, e.Refusal, "a refused entry without its count: %+v", e)
		k := e.Requester + " " + e.Refusal.Op + " " + e.Refusal.Kind
		counts[k] += e.Refusal.Count
		entries[k]++
	}
	unauth := "127.0.0.1 GET /v1/query unauthenticated"
	assert.Equal(t, flood, counts[unauth], "%v", counts)
	assert.LessOrEqual(t, entries[unauth], int(math.Ceil(elapsed.Seconds()))+2, "at most about one write a second, in %s", elapsed)
	assert.Equal(t, 3, counts["vera request forbidden"], "%v", counts)
	assert.Equal(t, 1, counts["127.0.0.1 POST /v1/request too_large"], "a body over the limit is refused before the route's principal is known: %v", counts)
	assert.Equal(t, 1, counts["vera query bad_request"], "%v", counts)
	assert.Contains(t, f.ok("audit", "verify"), "audit log verified")
	assert.Contains(t, f.ok("audit", "--kind", "refused"), "refused unauthenticated ×")
}

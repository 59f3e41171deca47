package dashboard

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/auth"
	"github.com/fleetq/fleetq/internal/server"
)

var anonymousViewer = auth.Principal{Name: "anonymous", Role: auth.Viewer}

type noExec struct{}

func (noExec) Exec(context.Context, server.Call) server.Result {
	return server.Result{Code: 1, Err: &server.Error{Kind: server.KindInternal, Message: "no commands in this test"}}
}

// stateSource is a Config.State whose stamp the test moves, counting
// its reads.
type stateSource struct {
	mu    sync.Mutex
	st    server.State
	reads atomic.Int64
}

func (s *stateSource) read(context.Context) (server.State, error) {
	s.reads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st, nil
}

func (s *stateSource) bump() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Ledger++
}

// serveEvents serves a server with only the dashboard, its live refresh
// polling every poll, on a loopback port, with the given WriteTimeout.
func serveEvents(t *testing.T, src *stateSource, o Options, writeTimeout time.Duration) string {
	t.Helper()
	srv, err := server.New(server.Config{Executor: noExec{}, Anonymous: anonymousViewer, State: src.read,
		WriteTimeout: writeTimeout, Mount: []func(*server.Mux){Mount(o)}})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, time.Minute) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	return "http://" + ln.Addr().String()
}

// stream opens GET /events and returns its lines.
func stream(t *testing.T, base string) <-chan string {
	t.Helper()
	resp, err := http.Get(base + "/events")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	lines := make(chan string, 64)
	go func() {
		defer resp.Body.Close()
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { resp.Body.Close() })
	return lines
}

// nextData is the data of the next event, skipping comments; "" when
// the stream ended.
func nextData(t *testing.T, lines <-chan string, skipped *int) string {
	t.Helper()
	for l := range lines {
		switch {
		case strings.HasPrefix(l, "data: "):
			return strings.TrimPrefix(l, "data: ")
		case strings.HasPrefix(l, ":"):
			*skipped++
		}
	}
	return ""
}

// TestEventsOnePoller: three streams are fed by one poller (the reads
// of the stamp do not grow with the streams), each hears a change, and
// the cap refuses one stream more with a 503.
func TestEventsOnePoller(t *testing.T) {
	const poll = 20 * time.Millisecond
	src := &stateSource{st: server.State{Pass: 3}}
	base := serveEvents(t, src, Options{Poll: poll, Streams: 3}, 0)
	var streams []<-chan string
	var n int
	for range 3 {
		s := stream(t, base)
		assert.Equal(t, `{"stamp":"3.0.0","pass":3,"ledger":0,"audit":0}`, nextData(t, s, &n))
		streams = append(streams, s)
	}
	resp, err := http.Get(base + "/events")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "past Options.Streams")

	for round := 1; round <= 3; round++ {
		start, before := time.Now(), src.reads.Load()
		src.bump()
		for _, s := range streams {
			assert.Contains(t, nextData(t, s, &n), fmt.Sprintf(`"ledger":%d`, round))
		}
		// One ticker fires at most once per poll (a late tick is dropped,
		// never doubled): one poller reads at most elapsed/poll + 1 times,
		// a poller per stream three times that.
		reads, most := src.reads.Load()-before, int64(time.Since(start)/poll)+1
		assert.LessOrEqual(t, reads, most, "%d reads of the stamp in %s: more than one poller", reads, time.Since(start))
	}
}

// TestEventsOutliveWriteTimeout: a stream lives past the server's
// WriteTimeout (its write deadline moves with each write), sending a
// heartbeat comment every Options.Heartbeat.
func TestEventsOutliveWriteTimeout(t *testing.T) {
	src := &stateSource{st: server.State{Pass: 1}}
	base := serveEvents(t, src, Options{Poll: time.Hour, Heartbeat: 50 * time.Millisecond}, 200*time.Millisecond)
	s := stream(t, base)
	var beats int
	require.NotEmpty(t, nextData(t, s, &beats))
	start := time.Now()
	for l := range s {
		if strings.HasPrefix(l, ":") {
			beats++
		}
		if time.Since(start) > time.Second && beats >= 5 { // five times the WriteTimeout
			return
		}
	}
	t.Fatalf("the stream ended after %s and %d heartbeats: the WriteTimeout cut it", time.Since(start), beats)
}

package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/fleetq/fleetq/internal/server"
)

// The live refresh (docs/dashboard.md#refreshing): every page carries the
// database's state stamp it was rendered from (data-stamp on <body>), and
// assets/refresh.js listens on GET /events, a stream of server-sent
// events, for the stamp to change. One poller reads the stamp every
// Options.Poll while anyone listens and hands a change to every stream;
// the streams only write.

// The defaults of Options' refresh fields.
const (
	defaultHeartbeat = 15 * time.Second
	defaultStreams   = 256
	// retryMillis is the reconnect delay a stream asks of EventSource
	// (it reconnects by itself after a network error or a restart).
	retryMillis = 5000
)

// broker is the one poller and its listeners.
type broker struct {
	mux       *server.Mux
	poll      time.Duration
	heartbeat time.Duration
	max       int

	mu      sync.Mutex
	subs    map[chan server.State]struct{}
	last    server.State
	polling bool
}

func newBroker(m *server.Mux, o Options) *broker {
	return &broker{mux: m, poll: o.Poll, heartbeat: o.Heartbeat, max: o.Streams, subs: map[chan server.State]struct{}{}}
}

// subscribe adds a listener, starting the poller when it is the first;
// false when Options.Streams streams are open already.
func (b *broker) subscribe() (chan server.State, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.subs) >= b.max {
		return nil, false
	}
	ch := make(chan server.State, 1)
	b.subs[ch] = struct{}{}
	if !b.polling {
		b.polling = true
		go b.run()
	}
	return ch, true
}

func (b *broker) unsubscribe(ch chan server.State) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs, ch)
}

// run polls the stamp until no one listens or the server drains, and
// sends each change to every listener. A listener's channel holds one
// stamp: a newer one replaces a stamp it has not read yet.
func (b *broker) run() {
	t := time.NewTicker(b.poll)
	defer t.Stop()
	for {
		select {
		case <-b.mux.Draining():
			b.stop()
			return
		case <-t.C:
		}
		if !b.listened() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), b.poll)
		st, err := b.mux.State(ctx)
		cancel()
		if err != nil { // locked by a writer, most likely: the next poll sees its result
			continue
		}
		b.publish(st)
	}
}

// listened says whether anyone listens, and else ends the polling
// under the same lock a subscribe would start it under.
func (b *broker) listened() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.subs) == 0 {
		b.polling = false
		return false
	}
	return true
}

func (b *broker) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.polling = false
}

func (b *broker) publish(st server.State) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if st == b.last {
		return
	}
	b.last = st
	for ch := range b.subs {
		select { // only run sends: after the drain the buffer is free
		case <-ch:
		default:
		}
		ch <- st
	}
}

// events is GET /events: text/event-stream of "stamp" events, the first
// the stamp now, then one per change; a comment line every
// Options.Heartbeat keeps proxies from closing an idle connection. The
// stream ends when the client goes, or when the server begins to shut
// down (EventSource then reconnects to the next server by itself).
func (b *broker) events(w http.ResponseWriter, r *http.Request) {
	ch, ok := b.subscribe()
	if !ok {
		w.Header().Set("Retry-After", "60")
		http.Error(w, fmt.Sprintf("dashboard: %d event streams are open already, the most this server serves: the pages still work, reload them by hand", b.max), http.StatusServiceUnavailable)
		return
	}
	defer b.unsubscribe(ch)
	st, err := b.mux.State(r.Context())
	if err != nil {
		http.Error(w, "dashboard: the database's state: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(msg []byte) bool {
		// Each write gets its own deadline, past the next heartbeat: the
		// server's WriteTimeout would otherwise cut the stream at 5 min,
		// and a client that stopped reading is still let go.
		_ = rc.SetWriteDeadline(time.Now().Add(b.heartbeat + 30*time.Second)) // unsupported: the WriteTimeout ends the stream and EventSource reconnects
		if _, err := w.Write(msg); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(append(fmt.Appendf(nil, "retry: %d\n", retryMillis), stampEvent(st)...)) {
		return
	}
	beat := time.NewTicker(b.heartbeat)
	defer beat.Stop()
	for {
		var msg []byte
		select {
		case <-r.Context().Done():
			return
		case <-b.mux.Draining():
			return
		case next := <-ch:
			if next == st { // the poller's first read: the stamp this stream began with
				continue
			}
			st, msg = next, stampEvent(next)
		case <-beat.C:
			msg = []byte(": keep-alive\n\n")
		}
		if !send(msg) {
			return
		}
	}
}

// stampEvent is one "stamp" event: {"stamp": "P.L.A", "pass": P, …}.
func stampEvent(st server.State) []byte {
	data, _ := json.Marshal(struct {
		Stamp string `json:"stamp"`
		server.State
	}{st.String(), st})
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "event: stamp\ndata: %s\n\n", data)
	return buf.Bytes()
}

// stamped wraps a page so that it is rendered with the state stamp read
// before any of its operations ran: a change that lands while the page
// is being built makes the page's stamp old, and the page reloads. It
// also hands render the page's viewer, which the error page's header
// shows as every page's does.
func (d *dashboard) stamped(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &stampWriter{ResponseWriter: w, viewer: viewerOf(r)}
		if d.events != nil {
			// without a stamp now, render reads one after the operations
			if st, err := d.mux.State(r.Context()); err == nil {
				sw.stamp = st.String()
			}
		}
		h(sw, r)
	})
}

// stampWriter carries a page's stamp ("" when none was read) and viewer
// to render.
type stampWriter struct {
	http.ResponseWriter
	stamp, viewer string
}

func (w *stampWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withStamp sets the page's data-stamp on its <body> (the layout's first
// one; a stamp is digits and dots, nothing to escape) and adds the
// script that reads it to its <head>. A page not
// wrapped in stamped reads the stamp now, after its operations: a change
// landing while it was built then shows at the next change only. The
// login form has none: its visitor may not listen yet.
func (d *dashboard) withStamp(w http.ResponseWriter, name string, page []byte) []byte {
	if d.events == nil || name == "login" {
		return page
	}
	var stamp string
	if sw, ok := w.(*stampWriter); ok && sw.stamp != "" {
		stamp = sw.stamp
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), d.events.poll)
		st, err := d.mux.State(ctx)
		cancel()
		if err != nil {
			return page
		}
		stamp = st.String()
	}
	page = bytes.Replace(page, []byte("</head>"), []byte(refreshScript+"</head>"), 1)
	return bytes.Replace(page, []byte("<body>"), []byte(`<body data-stamp="`+stamp+`">`), 1)
}

// refreshScript is the live refresh's one script, added to a page with
// a stamp only: a page without carries no script at all. It is a file
// of /assets/, as the Content-Security-Policy (default-src 'self')
// allows, never inline.
const refreshScript = `<script src="/assets/refresh.js" defer></script>` + "\n"

// unauthorized answers a stream request without valid credentials: 401,
// not the login page's redirect (EventSource would read the form as a
// broken stream); the script then leaves the page as it is.
func unauthorized(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "dashboard: sign in first (/login)", http.StatusUnauthorized)
}

// refreshDefaults fills the live refresh's unset limits.
func (o Options) refreshDefaults() Options {
	if o.Heartbeat <= 0 {
		o.Heartbeat = defaultHeartbeat
	}
	if o.Streams <= 0 {
		o.Streams = defaultStreams
	}
	return o
}

package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetq/fleetq/internal/auth"
)

// Config is what a server serves and how.
type Config struct {
	Executor Executor
	// Tokens are the principals; nil serves everyone as Anonymous (only
	// allowed on loopback, or with --insecure).
	Tokens    *auth.Store
	Anonymous auth.Principal
	// CertRoles maps a verified client certificate's common name to its
	// principal (mutual TLS); nil when client certificates are not asked.
	CertRoles func(cn string) (auth.Principal, bool)
	TLS       *tls.Config

	BodyLimit int64   // bytes; 413 past it
	Rate      float64 // requests/s per principal; 0 for no limit
	Burst     int

	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// LockWait is how long a write waits for the database, its turn
	// among this process's writes included (the global --timeout); then
	// 503 locked. 0 waits as long as it takes.
	LockWait time.Duration

	Log *slog.Logger
	// Observe sees every call and its result (metrics); ObserveHTTP every
	// request's route, status and duration.
	Observe     func(Call, Result)
	ObserveHTTP func(route string, status int, d time.Duration)
	// Refused sees every request refused before a command ran (401, 403,
	// 413, 429, a bad parameter), for the audit log.
	Refused func(Refusal)
	// Ready, when set, is asked by every GET /readyz: an error answers
	// 503 with its message (the database cannot be read). It must not
	// wait long: a probe has a short timeout.
	Ready func() error
	// Mount adds handlers outside /v1 (FleetLock, /metrics, the
	// dashboard): each gets the mux and the server's middleware chain.
	Mount []func(*Mux)
	// State, when set, reads the database's state stamp (Mux.State,
	// stamp.go): the newest pass and the ledger's and audit log's
	// counters, for the dashboard's live refresh.
	State func(context.Context) (State, error)
}

// Mux is what a Mount function registers on.
type Mux struct {
	mux *http.ServeMux
	s   *Server
}

// Handle registers h at pattern behind the server's authentication.
func (m *Mux) Handle(pattern string, h http.Handler) { m.mux.Handle(pattern, m.s.authenticate(h)) }

// HandlePublic registers h at pattern with no authentication (health
// checks, FleetLock, which checks its own callers).
func (m *Mux) HandlePublic(pattern string, h http.Handler) { m.mux.Handle(pattern, h) }

// Server is fleetq serve's HTTP server.
type Server struct {
	cfg     Config
	log     *slog.Logger
	limiter *limiter
	handler http.Handler
	mux     *http.ServeMux
	// dbMu keeps this process's write operations one at a time and lets
	// reads share, as the database's file lock does across processes,
	// so no request polls for a lock another request of this process
	// holds.
	dbMu sync.RWMutex
	// turn is the write that may take dbMu next: a write waits for it
	// at most LockWait, so writes queued behind a lock another process
	// holds do not wait one --timeout each.
	turn    chan struct{}
	closing atomic.Bool
	// draining is closed when shutdown begins (Mux.Draining).
	draining chan struct{}
	ready    atomic.Bool
	http     *http.Server
}

// New builds the server: every operation of Ops, and what cfg.Mount adds.
func New(cfg Config) (*Server, error) {
	if err := checkOps(Ops); err != nil {
		return nil, err
	}
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = 1 << 20
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	mux := http.NewServeMux()
	s := &Server{cfg: cfg, log: cfg.Log, limiter: newLimiter(cfg.Rate, cfg.Burst), mux: mux,
		turn: make(chan struct{}, 1), draining: make(chan struct{})}
	for _, op := range Ops {
		mux.Handle(op.pattern(), s.authenticate(s.opHandler(op)))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	m := &Mux{mux: mux, s: s}
	for _, mount := range cfg.Mount {
		mount(m)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, errorf(KindMethod, fmt.Sprintf("%s %s: the endpoint takes %s", clip(r.Method), clip(r.URL.Path), strings.Join(allow, " or "))))
			return
		}
		writeError(w, errorf(KindNotFound, fmt.Sprintf("no endpoint %s %s (GET /v1/openapi.json lists them)", clip(r.Method), clip(r.URL.Path))))
	})
	// The request log is outermost, so a request whose handler panicked is
	// logged and measured with the 500 recoverPanics answered.
	s.handler = s.logRequests(s.recoverPanics(s.refuseWhenDraining(s.limitBody(mux))))
	s.ready.Store(true)
	return s, nil
}

// Handler is the server's whole handler chain (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.handler }

// SetReady sets whether /readyz may answer 200: a program embedding the
// server holds it back with false. Config.Ready is asked as well.
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// readyz is the readiness check: 503 once shutdown began, while held back
// (SetReady) or while Config.Ready fails; else 200.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	notReady := func(reason string) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": reason})
	}
	switch {
	case s.closing.Load():
		notReady("shutting down")
		return
	case !s.ready.Load():
		notReady("held back")
		return
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(); err != nil {
			notReady(err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// Serve serves on ln until ctx is cancelled, then shuts down gracefully:
// no new requests (503), in-flight ones finish within grace, then the
// listener closes. A request still running after grace is cut off; its
// command's transaction rolls back, so nothing is half-written.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	s.http = &http.Server{
		Handler:           s.handler,
		TLSConfig:         s.cfg.TLS,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() {
		if s.cfg.TLS != nil {
			errc <- s.http.ServeTLS(ln, "", "")
			return
		}
		errc <- s.http.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.closing.Store(true)
	close(s.draining) // long-lived streams end now, so Shutdown need not wait for them
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := s.http.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.http.Close()
		err = fmt.Errorf("requests still running after %s were cut off (their transactions rolled back)", grace)
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

// allowedMethods are the methods some route of mux serves r's path with:
// the catch-all "/" matches every method, so without this a known path
// asked with the wrong method would read as unknown (404, not 405).
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	return allow
}

package server

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/auth"
)

type ctxKey int

const principalKey ctxKey = iota

// principalOf is the authenticated principal of r (set by authenticate).
func principalOf(r *http.Request) auth.Principal {
	p, _ := r.Context().Value(principalKey).(auth.Principal)
	return p
}

// reqInfo is what the request log says of a request, filled as it passes
// the middleware.
type reqInfo struct {
	principal string
	status    int
	bytes     int64
}

type infoKey struct{}

func infoOf(r *http.Request) *reqInfo {
	ri, _ := r.Context().Value(infoKey{}).(*reqInfo)
	if ri == nil {
		return &reqInfo{}
	}
	return ri
}

// statusWriter records the status and size a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	ri *reqInfo
}

func (w *statusWriter) WriteHeader(code int) {
	if w.ri.status == 0 {
		w.ri.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.ri.status == 0 {
		w.ri.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.ri.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (a stream
// extends its write deadline).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// logRequests writes one structured line per request: method, path (no
// query string: it may hold an expression, never a token, but is long),
// status, bytes, duration, principal and remote address. Tokens are
// never logged: the Authorization header is not read here.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, ri))
		next.ServeHTTP(&statusWriter{ResponseWriter: w, ri: ri}, r)
		d := time.Since(start)
		if ri.status == 0 {
			ri.status = http.StatusOK // a handler that wrote nothing: net/http sent 200
		}
		if s.cfg.ObserveHTTP != nil {
			s.cfg.ObserveHTTP(routeOf(r), ri.status, d)
		}
		s.log.Info("request", "method", clip(r.Method), "path", clip(r.URL.Path), "route", routeOf(r), "status", ri.status,
			"bytes", ri.bytes, "duration_ms", float64(d.Microseconds())/1000, "principal", ri.principal, "remote", r.RemoteAddr)
	})
}

// routeOf is the pattern that served r (bounded, for metrics labels), or
// "other" for a request no route matched.
func routeOf(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return "other"
}

// recoverPanics turns a handler's panic into a 500 with the stack in the
// log: one bad request never takes the server down.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "path", clip(r.URL.Path), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeError(w, errorf(KindInternal, "internal error (logged)"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody caps every request body (413 past it). A body declared too
// large is refused before the mux routes it, so its refusal names the
// route the mux would have chosen: a bounded name for the audit log and
// the metrics, never the raw path.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.cfg.BodyLimit {
			_, route := s.mux.Handler(r)
			r.Pattern = route // for the request log and the latency's route label
			s.refuse(w, r, Op{ID: route}, errorf(KindTooLarge, fmt.Sprintf("request body of %d bytes is over the server's limit of %d (fleetq serve --body-limit)", r.ContentLength, s.cfg.BodyLimit)))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.BodyLimit)
		next.ServeHTTP(w, r)
	})
}

// authenticate finds the principal of a bearer token (401 without one),
// then applies its rate limit (429). With no tokens store (--insecure on
// loopback with no tokens file), every caller is the anonymous admin the
// server was started as.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return s.authenticateOr(next, nil, func(w http.ResponseWriter, r *http.Request, aerr *Error) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="fleetq"`)
		s.refuse(w, r, Op{ID: routeOf(r)}, aerr)
	})
}

// authenticateOr is authenticate with what a caller without a valid
// token gets (after its address's rate limit) and, when secret is not
// nil, a bearer secret read from elsewhere in a request that has no
// Authorization header (the dashboard's session cookie).
func (s *Server) authenticateOr(next http.Handler, secret func(*http.Request) string, unauthenticated func(http.ResponseWriter, *http.Request, *Error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if secret != nil && r.Header.Get("Authorization") == "" {
			if sec := secret(r); sec != "" {
				r = r.Clone(r.Context())
				r.Header = r.Header.Clone()
				r.Header.Set("Authorization", "Bearer "+sec)
			}
		}
		p, aerr := s.principal(r)
		if aerr != nil {
			// A caller without a valid token is limited by its address,
			// so guessing tokens costs the guesser, not the server.
			if s.rateLimited(w, r, "addr:"+remoteIP(r), "this address") {
				return
			}
			unauthenticated(w, r, aerr)
			return
		}
		infoOf(r).principal = p.Name
		if s.rateLimited(w, r, p.Name, p.Name) {
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey, p)))
	})
}

func (s *Server) principal(r *http.Request) (auth.Principal, *Error) {
	p, cn, ok := s.certPrincipal(r)
	if ok {
		return p, nil
	}
	if s.cfg.Tokens == nil {
		return s.cfg.Anonymous, nil
	}
	secret, aerr := bearer(r.Header.Values("Authorization"))
	if aerr != nil && cn != "" && len(r.Header.Values("Authorization")) == 0 {
		return auth.Principal{}, errorf(KindUnauthenticated, fmt.Sprintf("the client certificate's common name %q is no token's name, and no bearer token was sent: create the token (fleetq token create %q --role ROLE) or send Authorization: Bearer TOKEN", cn, cn))
	}
	if aerr != nil {
		return auth.Principal{}, aerr
	}
	p, err := s.cfg.Tokens.Lookup(secret)
	if err != nil {
		return auth.Principal{}, errorf(KindUnauthenticated, "the bearer token is unknown or revoked")
	}
	return p, nil
}

// bearer is the secret of the request's one Authorization header,
// "Bearer SECRET" with the scheme in any case (RFC 7235). Two headers
// are refused, not one of them chosen: a proxy in front may have checked
// the other.
func bearer(headers []string) (string, *Error) {
	if len(headers) > 1 {
		return "", errorf(KindUnauthenticated, fmt.Sprintf("%d Authorization headers: send one, Authorization: Bearer TOKEN", len(headers)))
	}
	var h string
	if len(headers) == 1 {
		h = strings.TrimSpace(headers[0])
	}
	scheme, secret, _ := strings.Cut(h, " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return "", errorf(KindUnauthenticated, "no bearer token: send Authorization: Bearer TOKEN (fleetq token create)")
	}
	return secret, nil
}

// certPrincipal is the principal a verified client certificate names
// (mutual TLS): its common name, looked up among the tokens' names for
// its role. A certificate for no token's name is no principal; its common
// name is still returned, for the refusal to name.
func (s *Server) certPrincipal(r *http.Request) (auth.Principal, string, bool) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || s.cfg.CertRoles == nil {
		return auth.Principal{}, "", false
	}
	cn := r.TLS.VerifiedChains[0][0].Subject.CommonName
	p, ok := s.cfg.CertRoles(cn)
	return p, cn, ok
}

// refuse answers with aerr and counts the refusal for the audit log.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, op Op, aerr *Error) {
	s.record(r, op, aerr)
	writeError(w, aerr)
}

// record counts a refusal for the audit log, answering nothing.
func (s *Server) record(r *http.Request, op Op, aerr *Error) {
	if s.cfg.Refused != nil {
		s.cfg.Refused(Refusal{Time: time.Now().UTC(), Principal: infoOf(r).principal, Remote: r.RemoteAddr,
			Op: op.ID, Kind: aerr.Kind, Message: aerr.Message})
	}
}

// Refusal is a request the server refused before any command ran.
type Refusal struct {
	Time      time.Time
	Principal string // empty when unauthenticated
	Remote    string
	Op        string
	Kind      string
	Message   string
}

// draining reports 503 for new requests once shutdown began.
func (s *Server) refuseWhenDraining(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.closing.Load() {
			w.Header().Set("Connection", "close")
			writeError(w, errorf(KindUnavailable, "the server is shutting down"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// rateLimited answers 429 with Retry-After when key is over its rate.
func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request, key, who string) bool {
	wait, ok := s.limiter.allow(key, time.Now())
	if ok {
		return false
	}
	secs := max(1, int((wait+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", fmt.Sprint(secs))
	s.refuse(w, r, Op{ID: routeOf(r)}, errorf(KindRateLimited,
		fmt.Sprintf("%s is over its rate of %g requests/s (burst %d); retry after %d s", who, s.cfg.Rate, s.cfg.Burst, secs)))
	return true
}

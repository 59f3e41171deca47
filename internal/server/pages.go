package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/fleetq/fleetq/internal/auth"
)

// Pages are what a Mount serving HTML to a browser (the dashboard) needs
// beyond Handle: authentication that sends a visitor without credentials
// to a login page instead of a 401, a way to check a token a login form
// was given, and the API's own operations to read its data through.

// HandlePage registers h at pattern behind the server's authentication,
// for a browser: secret reads a bearer secret from the request when it
// has no Authorization header (a session cookie); a request without a
// valid one is counted as a refusal (rate limited by address, audited
// like any other) and handed to login instead of answered 401; one whose
// own Authorization header is refused (a script) is answered 401.
func (m *Mux) HandlePage(pattern string, secret func(*http.Request) string, login, h http.Handler) {
	refused := func(bearer bool) func(http.ResponseWriter, *http.Request, *Error) {
		return func(w http.ResponseWriter, r *http.Request, aerr *Error) {
			m.s.record(r, Op{ID: routeOf(r)}, aerr)
			if bearer {
				// A script that sent a token is told it was refused, as
				// the API tells it; the form is for a browser, whose
				// cookie is no Authorization header of its own.
				w.Header().Set("WWW-Authenticate", `Bearer realm="fleetq"`)
				writeError(w, aerr)
				return
			}
			login.ServeHTTP(w, r)
		}
	}
	withBearer, withCookie := m.s.authenticateOr(h, nil, refused(true)), m.s.authenticateOr(h, secret, refused(false))
	m.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			withBearer.ServeHTTP(w, r)
			return
		}
		withCookie.ServeHTTP(w, r)
	}))
}

// CheckToken is the principal of secret, as a bearer token would be
// authenticated; a failure is counted as a refusal of r (rate limited
// by address), and a 429 is answered on w (ok false, answered true).
func (m *Mux) CheckToken(w http.ResponseWriter, r *http.Request, secret string) (p auth.Principal, answered bool, err error) {
	probe := r.Clone(r.Context())
	probe.Header = r.Header.Clone()
	probe.Header.Set("Authorization", "Bearer "+secret)
	p, aerr := m.s.principal(probe)
	if aerr == nil {
		return p, false, nil
	}
	if m.s.rateLimited(w, r, "addr:"+remoteIP(r), "this address") {
		return auth.Principal{}, true, aerr
	}
	m.s.record(r, Op{ID: routeOf(r)}, aerr)
	return auth.Principal{}, false, aerr
}

// AuthRequired says whether callers must authenticate (a tokens store
// is served); without one every caller is the anonymous principal.
func (m *Mux) AuthRequired() bool { return m.s.cfg.Tokens != nil }

// TLS says whether the server serves HTTPS (a cookie is then Secure).
func (m *Mux) TLS() bool { return m.s.cfg.TLS != nil }

// Principal is the authenticated principal of a request a Handle or
// HandlePage handler serves.
func Principal(r *http.Request) auth.Principal { return principalOf(r) }

// Run runs the operation opID as GET /v1/… with params would, for r's
// principal: the same role check, the same command line, the same lock
// and observers, in JSON. So a page shows exactly what the API returns.
func (m *Mux) Run(r *http.Request, opID string, params url.Values) Result {
	return m.RunFormat(r, opID, params, "json")
}

// RunFormat is Run with the answer in format, one of Formats (the API's
// ?format=): a page that shows what `--format folded` prints asks for it.
func (m *Mux) RunFormat(r *http.Request, opID string, params url.Values, format string) Result {
	op, ok := opByID(opID)
	if !ok {
		return Result{Code: 1, Err: errorf(KindInternal, fmt.Sprintf("no operation %q", opID))}
	}
	if op.Write {
		return Result{Code: 1, Err: errorf(KindInternal, fmt.Sprintf("%s writes: a page runs read-only operations", op.ID))}
	}
	p := principalOf(r)
	if !p.Role.Allows(op.Role) {
		return Result{Code: 1, Err: errorf(KindForbidden, fmt.Sprintf("%s needs the %s role; %s is %s", op.ID, op.Role, p.Name, p.Role))}
	}
	q, path := url.Values{}, map[string]string{}
	for k, v := range params {
		q[k] = v
	}
	for _, prm := range op.Params {
		if prm.In == "path" {
			path[prm.Name] = q.Get(prm.Name)
			q.Del(prm.Name)
		}
	}
	q.Set("format", format)
	req, err := http.NewRequestWithContext(r.Context(), op.Method, "/?"+q.Encode(), http.NoBody)
	if err != nil {
		return Result{Code: 1, Err: errorf(KindInternal, err.Error())}
	}
	for k, v := range path {
		req.SetPathValue(k, v) // a path parameter is given as /v1/…/{name} would give it
	}
	call, aerr := buildCall(op, p, req)
	if aerr != nil {
		return Result{Code: 2, Err: aerr}
	}
	call.Remote, call.Compact = r.RemoteAddr, format == "json"
	return m.s.exec(req.WithContext(context.WithValue(r.Context(), principalKey, p)), call)
}

func opByID(id string) (Op, bool) {
	for _, op := range Ops {
		if op.ID == id {
			return op, true
		}
	}
	return Op{}, false
}

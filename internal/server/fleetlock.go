package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/auth"
)

// FleetLock is the protocol Zincati and other reboot managers speak
// (coreos/zincati docs/development/fleetlock/protocol.md): POST
// {base}/v1/pre-reboot takes a reboot slot, POST {base}/v1/steady-state
// gives it back, each with the header fleet-lock-protocol: true and the
// body {"client_params": {"id", "group"}}; 200 is success, anything else a
// JSON error {"kind", "value"} with a kind of a small fixed set.
//
// This file is the protocol: parsing, the header, who may call (the
// protocol carries no credentials, so a network allow-list or a verified
// client certificate decides), the error kinds and the write lock every
// call runs under. What a lock means — a reboot lease on the host the id
// maps to, decided by the policy — is the backend's (cmd/fleetq).

// FleetLock error kinds: the bounded set a FleetLock client sees (Zincati
// counts them in a metric label). Each has its HTTP status in
// FleetLockStatuses.
const (
	FLMissingHeader   = "missing_protocol_header"    // 400: no fleet-lock-protocol: true
	FLBadRequest      = "bad_request"                // 400: the body is not {"client_params": {"id", "group"}} or a value is invalid
	FLForbidden       = "forbidden"                  // 403: the caller's address is not allowed and it shows no verified client certificate
	FLNotFound        = "not_found"                  // 404: no FleetLock endpoint at this path
	FLMethod          = "method_not_allowed"         // 405: FleetLock endpoints take POST only
	FLTooLarge        = "too_large"                  // 413
	FLUnknownID       = "unknown_id"                 // 422: no host of the newest pass maps to the id
	FLAmbiguousID     = "ambiguous_id"               // 422: more than one host maps to the id
	FLRateLimited     = "rate_limited"               // 429
	FLSemaphoreFull   = "failed_lock_semaphore_full" // 409: a budget (cluster, rack, rate, cooldown, …) has no room now
	FLWindow          = "failed_lock_window"         // 409: outside the host's maintenance window
	FLFrozen          = "failed_lock_frozen"         // 409: the host's cluster (or the fleet) is frozen
	FLIncident        = "failed_lock_incident"       // 409: incident mode is on
	FLHeld            = "failed_lock_held"           // 409: the host holds another operation's lease
	FLGate            = "failed_lock_gate"           // 409: a cluster gate fails
	FLPolicy          = "failed_lock_policy"         // 409: the policy gives the host no reboot budget
	FLInvariant       = "failed_lock_invariant"      // 409: another safety invariant (stale evidence, rollout halted, replica groups)
	FLUnlockUnhealthy = "failed_unlock_unhealthy"    // 409: steady-state kept the lease: the host is not shown healthy yet
	FLLocked          = "locked"                     // 503: the database lock was not had in time; retry
	FLInternal        = "internal"                   // 500
)

// FleetLockStatuses maps each FleetLock kind to its HTTP status.
var FleetLockStatuses = map[string]int{
	FLMissingHeader: http.StatusBadRequest, FLBadRequest: http.StatusBadRequest, FLForbidden: http.StatusForbidden,
	FLNotFound: http.StatusNotFound, FLMethod: http.StatusMethodNotAllowed, FLTooLarge: http.StatusRequestEntityTooLarge,
	FLUnknownID: http.StatusUnprocessableEntity, FLAmbiguousID: http.StatusUnprocessableEntity,
	FLRateLimited:   http.StatusTooManyRequests,
	FLSemaphoreFull: http.StatusConflict, FLWindow: http.StatusConflict, FLFrozen: http.StatusConflict,
	FLIncident: http.StatusConflict, FLHeld: http.StatusConflict, FLGate: http.StatusConflict, FLPolicy: http.StatusConflict,
	FLInvariant: http.StatusConflict, FLUnlockUnhealthy: http.StatusConflict,
	FLLocked: http.StatusServiceUnavailable, FLInternal: http.StatusInternalServerError,
}

// FleetLockError is the protocol's error body.
type FleetLockError struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

func (e *FleetLockError) Error() string { return e.Kind + ": " + e.Value }

// Status is e's HTTP status (500 for a kind outside the set).
func (e *FleetLockError) Status() int {
	if s, ok := FleetLockStatuses[e.Kind]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// FleetLockErr is the error of kind with the message value.
func FleetLockErr(kind, value string) *FleetLockError {
	return &FleetLockError{Kind: kind, Value: value}
}

// FleetLockDenied is the error of a refused pre-reboot: the kind of the
// denial's rule class, the rule and its detail as the value.
func FleetLockDenied(rule, detail, host string) *FleetLockError {
	v := fmt.Sprintf("reboot of %s denied by %s", host, rule)
	if detail != "" {
		v += ": " + detail
	}
	return FleetLockErr(DenialKind(rule), v)
}

// DenialKind is the FleetLock kind of a decision's denial rule
// (docs/actions.md): one per class of rule, so the set stays small
// whatever rules the policy grows.
func DenialKind(rule string) string {
	switch {
	case strings.HasPrefix(rule, "budget:"):
		return FLSemaphoreFull
	case strings.HasPrefix(rule, "window:"):
		return FLWindow
	case rule == "invariant:freeze":
		return FLFrozen
	case rule == "invariant:incident":
		return FLIncident
	case rule == "invariant:one-operation":
		return FLHeld
	case strings.HasPrefix(rule, "gate:"):
		return FLGate
	case strings.HasPrefix(rule, "policy:"):
		return FLPolicy
	}
	return FLInvariant
}

// FleetLockClient is one validated call's client_params and where it
// came from.
type FleetLockClient struct {
	ID, Group string
	Remote    string
}

// FleetLockPrincipalPrefix starts the principal every FleetLock client is
// recorded under: fleetlock:<id>. No token name can take it (auth.CheckName
// refuses ':').
const FleetLockPrincipalPrefix = "fleetlock:"

// Principal is who the call is recorded under: fleetlock:<id>, an
// automation principal with the requester role, so it never forces.
func (c FleetLockClient) Principal() auth.Principal {
	return auth.Principal{Name: FleetLockPrincipalPrefix + c.ID, Role: auth.Requester, Automation: true}
}

// Runner runs a call through the server's executor while the FleetLock
// handler holds the database lock (it must not take it again).
type Runner func(ctx context.Context, c Call) Result

// FleetLockBackend decides what a lock and an unlock are. Both run with
// the server's write lock held, so one process's FleetLock calls and
// write operations take turns; nil means success (200).
type FleetLockBackend interface {
	PreReboot(ctx context.Context, run Runner, c FleetLockClient) *FleetLockError
	SteadyState(ctx context.Context, run Runner, c FleetLockClient) *FleetLockError
	// Group is the introspection of a group: who holds slots and why
	// others wait, as a JSON value. It runs under the read lock.
	Group(ctx context.Context, run Runner, group string, since time.Duration) (any, *Error)
}

// FleetLockConfig is how fleetq serve serves FleetLock.
type FleetLockConfig struct {
	// Base is the path the endpoints are under ("/fleetlock"): a client
	// is configured with http://HOST:PORT/fleetlock/.
	Base string
	// Allow are the networks a caller's address must be in; a caller
	// with a verified client certificate (mutual TLS) is admitted too.
	Allow   []*net.IPNet
	Backend FleetLockBackend
}

// DefaultFleetLockAllow is the default allow-list: loopback only.
var DefaultFleetLockAllow = []string{"127.0.0.0/8", "::1/128"}

// ParseAllow reads an allow-list: CIDRs (10.0.0.0/8, fd00::/8) or single
// addresses (10.1.2.3, a /32 or /128).
func ParseAllow(items []string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, s := range items {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			ip := net.ParseIP(s)
			if ip == nil {
				return nil, fmt.Errorf("%q: expected a CIDR (10.0.0.0/8) or an IP address", s)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("%q: expected a CIDR (10.0.0.0/8) or an IP address", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// CheckFleetLockBase says whether base may hold the FleetLock endpoints:
// an absolute path of its own, outside /v1 and the health checks.
func CheckFleetLockBase(base string) error {
	switch {
	case !strings.HasPrefix(base, "/") || base == "/":
		return fmt.Errorf("%q: expected an absolute path such as /fleetlock (not /)", base)
	case strings.ContainsAny(base, "{}?#% \t") || strings.Contains(base, "//"):
		return fmt.Errorf("%q: expected a plain path of letters, digits and /-._", base)
	case base == "/v1" || strings.HasPrefix(base, "/v1/") || base == "/healthz" || base == "/readyz" || base == "/metrics":
		return fmt.Errorf("%q: taken by the API; use a path of its own such as /fleetlock", base)
	}
	return nil
}

// validGroup is the protocol's rule for a group.
var validGroup = regexp.MustCompile(`^[a-zA-Z0-9.-]+$`)

// maxIDLen bounds a client id: Zincati's is 32 hex digits, a node name
// at most 253 bytes.
const maxIDLen = 253

func init() {
	documentMounted("/v1/fleetlock/groups/{group}", "fleetlock-group",
		"Who holds a FleetLock group's slots and why the others wait (served while FleetLock is on; docs/serve.md)", []Param{
			{Name: "group", In: "path", Type: "string", Required: true, Doc: "the FleetLock group"},
			{Name: "since", In: "query", Type: "string", Doc: "how far back refused pre-reboots count as waiting (default 1h, at most 7d)"},
		})
}

// FleetLock mounts the protocol's endpoints under cfg.Base and beside it
// (for a base URL written without its trailing slash), and the introspection
// GET /v1/fleetlock/groups/{group} behind the server's authentication.
func FleetLock(cfg FleetLockConfig) func(*Mux) {
	return func(m *Mux) {
		fl := &fleetLock{cfg: cfg, s: m.s}
		m.HandlePublic(cfg.Base+"/v1/pre-reboot", fl.admit(fl.endpoint(cfg.Backend.PreReboot)))
		m.HandlePublic(cfg.Base+"/v1/steady-state", fl.admit(fl.endpoint(cfg.Backend.SteadyState)))
		m.HandlePublic(cfg.Base+"/", fl.admit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeFleetLockError(w, FleetLockErr(FLNotFound, fmt.Sprintf("no FleetLock endpoint %s: expected POST %s/v1/pre-reboot or %s/v1/steady-state", clip(r.URL.Path), cfg.Base, cfg.Base)))
		})))
		// A base URL written without its trailing slash
		// (http://HOST:PORT/fleetlock) is resolved by Zincati as a
		// directory's sibling: v1/pre-reboot lands beside it. Serving the
		// endpoints there too makes both spellings work.
		if alias := path.Dir(cfg.Base); alias != cfg.Base {
			alias = strings.TrimSuffix(alias, "/")
			m.HandlePublic("POST "+alias+"/v1/pre-reboot", fl.admit(fl.endpoint(cfg.Backend.PreReboot)))
			m.HandlePublic("POST "+alias+"/v1/steady-state", fl.admit(fl.endpoint(cfg.Backend.SteadyState)))
		}
		m.Handle("GET /v1/fleetlock/groups/{group}", http.HandlerFunc(fl.group))
	}
}

type fleetLock struct {
	cfg FleetLockConfig
	s   *Server
}

// admit lets through callers from an allowed network or with a verified
// client certificate; the others get 403, with their address.
func (fl *fleetLock) admit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fl.allowed(r) {
			next.ServeHTTP(w, r)
			return
		}
		fl.refuse(w, r, "", FleetLockErr(FLForbidden, fmt.Sprintf("%s may not call FleetLock: its address is not in the allow-list (fleetq serve --fleetlock-allow) and it shows no verified client certificate", remoteIP(r))))
	})
}

func (fl *fleetLock) allowed(r *http.Request) bool {
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		return true
	}
	ip := net.ParseIP(remoteIP(r))
	if ip == nil {
		return false
	}
	for _, n := range fl.cfg.Allow {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// remoteIP is the address of the connection's peer (the FleetLock
// allow-list, the rate limit of callers without a token). Forwarding
// headers are not read: a caller can write them, so they admit no one.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// endpoint serves one FleetLock operation: POST, the header, the body,
// the rate limit, then op under the server's write lock.
func (fl *fleetLock) endpoint(op func(context.Context, Runner, FleetLockClient) *FleetLockError) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			fl.refuse(w, r, "", FleetLockErr(FLMethod, fmt.Sprintf("%s %s: FleetLock endpoints take POST only", clip(r.Method), clip(r.URL.Path))))
			return
		}
		if r.Header.Get("fleet-lock-protocol") != "true" {
			fl.refuse(w, r, "", FleetLockErr(FLMissingHeader, "the request lacks the header fleet-lock-protocol: true (FleetLock protocol)"))
			return
		}
		c, ferr := readClient(r)
		if ferr != nil {
			fl.refuse(w, r, "", ferr)
			return
		}
		p := c.Principal()
		infoOf(r).principal = p.Name
		if fl.rateLimited(w, r, p.Name) {
			return
		}
		release, wait, aerr := fl.s.lockWrite(r.Context())
		if aerr != nil {
			writeFleetLockError(w, FleetLockErr(FLLocked, aerr.Message))
			return
		}
		ferr = op(r.Context(), fl.runner(wait), c)
		release()
		if ferr != nil {
			writeFleetLockError(w, ferr)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"result": "ok", "principal": p.Name})
	})
}

// rateLimited answers 429 when the caller's address, or the id it
// claims, is over the rate. The address comes first: the protocol has no
// credentials, so a caller that names a new id each time would otherwise
// get a fresh burst each time (and a bucket each in the limiter).
func (fl *fleetLock) rateLimited(w http.ResponseWriter, r *http.Request, principal string) bool {
	now := time.Now()
	who := remoteIP(r)
	wait, ok := fl.s.limiter.allow("fleetlock-addr:"+who, now)
	if ok {
		who = principal
		wait, ok = fl.s.limiter.allow(principal, now)
	}
	if ok {
		return false
	}
	secs := max(1, int((wait+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", fmt.Sprint(secs))
	fl.refuse(w, r, principal, FleetLockErr(FLRateLimited, fmt.Sprintf("%s is over its rate of %g requests/s; retry after %d s", who, fl.s.cfg.Rate, secs)))
	return true
}

// runner runs calls through the executor without taking the lock the
// caller holds, and lets the observer (metrics) see each.
func (fl *fleetLock) runner(lockWait time.Duration) Runner {
	return func(ctx context.Context, c Call) Result {
		if c.Op.Write {
			c.LockWait = lockWait
		}
		res := fl.s.cfg.Executor.Exec(ctx, c)
		if fl.s.cfg.Observe != nil {
			fl.s.cfg.Observe(c, res)
		}
		return res
	}
}

// flBody is the protocol's request body. node_uuid is what early Zincati
// releases sent in place of id; it is read only when id is absent.
type flBody struct {
	ClientParams *struct {
		ID       *string `json:"id"`
		NodeUUID *string `json:"node_uuid"`
		Group    *string `json:"group"`
	} `json:"client_params"`
}

// readClient reads and checks the body: a JSON object with client_params,
// a non-empty id of printable ASCII, a group matching ^[a-zA-Z0-9.-]+$.
func readClient(r *http.Request) (FleetLockClient, *FleetLockError) {
	var b flBody
	dec := json.NewDecoder(r.Body)
	err := dec.Decode(&b)
	if err == nil {
		err = endOfBody(dec)
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return FleetLockClient{}, FleetLockErr(FLTooLarge, fmt.Sprintf("request body over the server's limit of %d bytes (fleetq serve --body-limit)", mbe.Limit))
		}
		return FleetLockClient{}, FleetLockErr(FLBadRequest, fmt.Sprintf("the body must be a JSON object {\"client_params\": {\"id\": ID, \"group\": GROUP}}: %v", err))
	}
	cp := b.ClientParams
	if cp == nil {
		return FleetLockClient{}, FleetLockErr(FLBadRequest, `the body has no "client_params": expected {"client_params": {"id": ID, "group": GROUP}}`)
	}
	id := cp.ID
	if id == nil {
		id = cp.NodeUUID
	}
	switch {
	case id == nil || *id == "":
		return FleetLockClient{}, FleetLockErr(FLBadRequest, `client_params.id is missing or empty: expected the client's identifier`)
	case len(*id) > maxIDLen || !printableASCII(*id):
		return FleetLockClient{}, FleetLockErr(FLBadRequest, fmt.Sprintf("client_params.id: expected 1 to %d printable ASCII characters without spaces", maxIDLen))
	case cp.Group == nil || !validGroup.MatchString(*cp.Group) || len(*cp.Group) > maxIDLen:
		return FleetLockClient{}, FleetLockErr(FLBadRequest, `client_params.group is missing or invalid: expected a label matching ^[a-zA-Z0-9.-]+$ (Zincati's default is "default")`)
	}
	return FleetLockClient{ID: *id, Group: *cp.Group, Remote: r.RemoteAddr}, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// refuse answers a call refused before the backend ran and tells the
// server's refusal observer (the audit of refusals), under the principal
// when the body named one.
func (fl *fleetLock) refuse(w http.ResponseWriter, r *http.Request, principal string, e *FleetLockError) {
	if fl.s.cfg.Refused != nil {
		fl.s.cfg.Refused(Refusal{Time: time.Now().UTC(), Principal: principal, Remote: r.RemoteAddr,
			Op: "fleetlock", Kind: e.Kind, Message: e.Value})
	}
	writeFleetLockError(w, e)
}

func writeFleetLockError(w http.ResponseWriter, e *FleetLockError) {
	writeJSON(w, e.Status(), e)
}

// maxGroupSince bounds how far back the introspection reads the audit
// log for waiting clients.
const maxGroupSince = 7 * 24 * time.Hour

// group serves GET /v1/fleetlock/groups/{group}?since=1h: the holders of
// the group's slots and the clients whose latest pre-reboot was refused.
func (fl *fleetLock) group(w http.ResponseWriter, r *http.Request) {
	g := r.PathValue("group")
	if !validGroup.MatchString(g) {
		writeError(w, errorf(KindBadRequest, fmt.Sprintf("group %s: expected a label matching ^[a-zA-Z0-9.-]+$", quoteInput(g))))
		return
	}
	since := time.Hour
	for name, vs := range r.URL.Query() {
		if name != "since" {
			writeError(w, errorf(KindBadRequest, fmt.Sprintf("fleetlock-group: unknown parameter %s (expected since)", quoteInput(name))))
			return
		}
		d, err := time.ParseDuration(vs[len(vs)-1])
		if err != nil || d <= 0 || d > maxGroupSince {
			writeError(w, errorf(KindBadRequest, fmt.Sprintf("since %s: expected a duration such as 1h or 30m, at most %s", quoteInput(vs[len(vs)-1]), maxGroupSince)))
			return
		}
		since = d
	}
	fl.s.dbMu.RLock()
	v, aerr := fl.cfg.Backend.Group(r.Context(), fl.runner(0), g, since)
	fl.s.dbMu.RUnlock()
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

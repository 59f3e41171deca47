package server

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// Error kinds: the stable "kind" of every error the API returns, each
// with its HTTP status. Clients switch on the kind, not the message.
const (
	KindBadRequest      = "bad_request"     // 400: a parameter is missing, unknown or of the wrong type
	KindUsage           = "usage"           // 400: the command refused its arguments (exit 2)
	KindExpression      = "expression"      // 400: the expression does not parse or check; has position
	KindUnauthenticated = "unauthenticated" // 401: no token, or one the server does not know
	KindForbidden       = "forbidden"       // 403: the principal's role may not do this
	KindNotFound        = "not_found"       // 404: no such endpoint or object
	KindMethod          = "method_not_allowed"
	KindRefused         = "refused"      // 409: a plan token refused (stale, applied), leases kept
	KindTooLarge        = "too_large"    // 413: the body is over the limit
	KindFailed          = "failed"       // 422: the command failed (exit 1): unknown set, bad value
	KindCheckFailed     = "check_failed" // 422: a check found what it looks for (exit 4)
	KindRateLimited     = "rate_limited" // 429: over the principal's request rate; see Retry-After
	KindInternal        = "internal"     // 500
	KindLocked          = "locked"       // 503: the database lock was not had in time; retry
	KindUnavailable     = "unavailable"  // 503: the server is shutting down
	KindInterrupted     = "interrupted"  // 503: the request was cancelled before it committed
)

// Statuses maps each kind to its HTTP status.
var Statuses = map[string]int{
	KindBadRequest: http.StatusBadRequest, KindUsage: http.StatusBadRequest, KindExpression: http.StatusBadRequest,
	KindUnauthenticated: http.StatusUnauthorized, KindForbidden: http.StatusForbidden, KindNotFound: http.StatusNotFound,
	KindMethod: http.StatusMethodNotAllowed, KindRefused: http.StatusConflict, KindTooLarge: http.StatusRequestEntityTooLarge,
	KindFailed: http.StatusUnprocessableEntity, KindCheckFailed: http.StatusUnprocessableEntity,
	KindRateLimited: http.StatusTooManyRequests, KindInternal: http.StatusInternalServerError,
	KindLocked: http.StatusServiceUnavailable, KindUnavailable: http.StatusServiceUnavailable,
	KindInterrupted: http.StatusServiceUnavailable,
}

// Error is the JSON body of every error: {"kind", "message"}, and for an
// expression the 1-based column of the mistake and the caret lines the
// CLI prints under it. Result carries what the command printed before it
// failed (a release that kept leases lists every host).
type Error struct {
	Kind     string          `json:"kind"`
	Message  string          `json:"message"`
	Position int             `json:"position,omitempty"`
	Caret    string          `json:"caret,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Status is e's HTTP status.
func (e *Error) Status() int {
	if s, ok := Statuses[e.Kind]; ok {
		return s
	}
	return http.StatusInternalServerError
}

func errorf(kind, msg string) *Error { return &Error{Kind: kind, Message: msg} }

// writeError writes e as the response.
func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.Status(), e)
}

// writeJSON writes v as one line of JSON. & < > stay as they are, as the
// command line's --format json prints them: they are the language's
// operators (a caret under "a & b"), not HTML.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	b := []byte(`{"kind":"internal","message":"encoding the response failed"}` + "\n")
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
	} else {
		b = buf.Bytes()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // the client went away: nothing to tell
}

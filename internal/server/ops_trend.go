package server

import (
	"net/http"

	"github.com/fleetq/fleetq/internal/auth"
)

// GET /v1/trend: the sizes of named sets across passes, oldest first
// (fleetq trend), read-only.
func init() {
	register(Op{ID: "trend", Method: http.MethodGet, Path: "/v1/trend",
		Summary: "The sizes of named sets in every pass, oldest first (fleetq trend)",
		Command: []string{"trend"}, Role: auth.Viewer, Params: []Param{
			{Name: "last", In: "query", Type: "integer", Flag: "last", Doc: "only the newest N passes (default: every pass)"},
			{Name: "sets", In: "query", Type: "array", Doc: "the sets (default: every set of the newest pass)"},
		}})
}

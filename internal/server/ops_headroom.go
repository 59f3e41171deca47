package server

import (
	"net/http"

	"github.com/fleetq/fleetq/internal/auth"
)

// GET /v1/headroom: every cluster's budget for each verb now (fleetq
// headroom), read-only.
func init() {
	register(Op{ID: "headroom", Method: http.MethodGet, Path: "/v1/headroom",
		Summary: "Each cluster's budget for each verb now: cap, hosts out by cause, headroom (fleetq headroom)",
		Command: []string{"headroom"}, Role: auth.Viewer, Params: []Param{
			{Name: "verb", In: "query", Type: "array", Flag: "verb", Doc: "only these verbs (default: every verb)"},
			{Name: "cluster", In: "query", Type: "array", Flag: "cluster", Doc: "only these clusters (default: every cluster of the newest pass)"},
		}})
}

package server

import (
	"net/http"

	"github.com/fleetq/fleetq/internal/auth"
)

// GET /v1/check/freshness: the newest pass's and its sources' ages
// against the policy's evidence ages, read-only (the dashboard's
// overview marks stale sources with it).
func init() {
	register(Op{ID: "check-freshness", Method: http.MethodGet, Path: "/v1/check/freshness",
		Summary: "The age of the newest pass and of each of its sources against the policy's evidence ages; 422 check_failed when one is stale (fleetq check freshness)",
		Command: []string{"check", "freshness"}, Role: auth.Viewer, Params: []Param{
			{Name: "at", In: "query", Type: "string", Flag: "at", Doc: "judge as if the clock read this: RFC 3339, or a duration from now"},
		}})
}

package server

import (
	"net/http"

	"github.com/fleetq/fleetq/internal/auth"
)

func init() {
	register(
		Op{ID: "rollout-status", Method: http.MethodGet, Path: "/v1/rollout",
			Summary: "A rollout's waves: size, verdict and evidence of each; read-only (fleetq rollout status)",
			Command: []string{"rollout", "status"}, Role: auth.Viewer, Params: []Param{
				{Name: "rollout", In: "query", Type: "string", Doc: "an id like r3, or a name (default: the newest rollout)"},
			}},
	)
}

package server

import (
	"net/http"

	"github.com/fleetq/fleetq/internal/auth"
)

// GET /v1/policy/clusters/{name}: what the policy sets for one cluster
// and where each part is written (fleetq policy show), read-only.
func init() {
	register(Op{ID: "policy-show", Method: http.MethodGet, Path: "/v1/policy/clusters/{name}",
		Summary: "The effective policy of one cluster: its archetype, each verb's budget, every key that applies and where it is written (fleetq policy show)",
		Command: []string{"policy", "show"}, Role: auth.Viewer, Params: []Param{
			{Name: "name", In: "path", Type: "string", Required: true, Doc: "the cluster"},
		}})
}

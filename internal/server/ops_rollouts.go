package server

import (
	"net/http"

	"github.com/fleetq/fleetq/internal/auth"
)

func init() {
	register(
		Op{ID: "rollouts", Method: http.MethodGet, Path: "/v1/rollouts",
			Summary: "Every rollout: state, waves go of total, the current wave's verdict, verbs; read-only (fleetq rollout list)",
			Command: []string{"rollout", "list"}, Role: auth.Viewer},
	)
}

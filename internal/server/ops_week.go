package server

import (
	"net/http"

	"github.com/fleetq/fleetq/internal/auth"
)

func init() {
	register(
		Op{ID: "weeks", Method: http.MethodGet, Path: "/v1/weeks",
			Summary: "Every maintenance week: state, span, steps, hosts, unslotted (fleetq week list)",
			Command: []string{"week", "list"}, Role: auth.Viewer},
		Op{ID: "week", Method: http.MethodGet, Path: "/v1/week",
			Summary: "A maintenance week: its steps with slot times, hosts per day, the cross-check (fleetq week show)",
			Command: []string{"week", "show"}, Role: auth.Viewer, Params: []Param{
				{Name: "week", In: "query", Type: "string", Doc: "an id like w2, or a name (default: the newest week)"},
			}},
	)
}

package server

import (
	"net/http"

	"github.com/fleetq/fleetq/internal/auth"
)

func init() {
	register(
		Op{ID: "check-windows", Method: http.MethodGet, Path: "/v1/check/windows",
			Summary: "Whether every host of a selection has a maintenance window or a week slot; 422 check_failed lists the gaps (fleetq check windows)",
			Command: []string{"check", "windows"}, Role: auth.Viewer, Params: []Param{
				{Name: "expr", In: "query", Type: "string", Doc: "the hosts to check (default: all)"},
				{Name: "verb", In: "query", Type: "string", Flag: "verb", Enum: Verbs, Doc: "judge only the windows that gate this verb"},
				{Name: "at", In: "query", Type: "string", Flag: "at", Doc: "judge as if the clock read this: RFC 3339, or a duration from now"},
			}},
	)
}

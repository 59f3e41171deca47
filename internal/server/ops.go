package server

import (
	"net/http"

	"github.com/fleetq/fleetq/internal/auth"
)

// The parameters several operations share.
var (
	exprArg  = Param{Name: "expr", Type: "string", Required: true, Doc: "a set expression (fleetq help language)"}
	passFlag = Param{Name: "pass", Type: "integer", Flag: "pass", Doc: "the pass to read (default: the newest)"}
)

func in(where string, p Param) Param { p.In = where; return p }

func init() {
	register(
		Op{ID: "query", Method: http.MethodGet, Path: "/v1/query", Summary: "Evaluate a set expression (fleetq query)",
			Command: []string{"query"}, Role: auth.Viewer, Params: []Param{
				in("query", exprArg), in("query", passFlag),
				{Name: "seed", In: "query", Type: "integer", Flag: "seed", Doc: "seed for sample, spread, stratify and split"},
			}},
		Op{ID: "explain", Method: http.MethodGet, Path: "/v1/explain", Summary: "The expression's tree with every intermediate size (fleetq explain)",
			Command: []string{"explain"}, Role: auth.Viewer, Params: []Param{in("query", exprArg)}},
		Op{ID: "schema", Method: http.MethodGet, Path: "/v1/schema", Summary: "Sets and attributes of a pass (fleetq schema)",
			Command: []string{"schema"}, Role: auth.Viewer, Params: []Param{in("query", passFlag)}},
		Op{ID: "sets", Method: http.MethodGet, Path: "/v1/sets", Summary: "The sets of a pass with their sizes (fleetq sets)",
			Command: []string{"sets"}, Role: auth.Viewer, Params: []Param{in("query", passFlag)}},
		Op{ID: "passes", Method: http.MethodGet, Path: "/v1/passes", Summary: "Every pass with its sources (fleetq passes)",
			Command: []string{"passes"}, Role: auth.Viewer},
		Op{ID: "host", Method: http.MethodGet, Path: "/v1/hosts/{name}", Summary: "One host: its sets and attributes (fleetq host)",
			Command: []string{"host"}, Role: auth.Viewer, Params: []Param{
				{Name: "name", In: "path", Type: "string", Required: true, Doc: "the host name"}, in("query", passFlag),
			}},
		Op{ID: "request", Method: http.MethodPost, Path: "/v1/request",
			Summary: "Decide which hosts of expr may take verb now: the allowed subset with per-host reasons, the arithmetic and a plan token (fleetq VERB)",
			Command: []string{"{verb}"}, Role: auth.Requester, Write: true, Params: []Param{
				{Name: "verb", In: "body", Type: "string", Required: true, Enum: Verbs, Doc: "the action"},
				in("body", exprArg),
				{Name: "reason", In: "body", Type: "string", Flag: "reason", Required: true, Doc: "why; recorded"},
				{Name: "duration", In: "body", Type: "string", Flag: "duration", Doc: "lease length to ask for (2h, 1d12h), at most the verb's max_duration"},
				{Name: "seed", In: "body", Type: "integer", Flag: "seed", Doc: "seed for the shuffle (default: random, recorded)"},
				{Name: "force", In: "body", Type: "boolean", Flag: "force", Role: auth.Operator, Doc: "act on a frozen cluster or during an incident (operators; recorded)"},
				{Name: "commit", In: "body", Type: "boolean", Flag: "commit", Doc: "grant the leases now instead of returning a plan to start"},
			}},
		Op{ID: "start", Method: http.MethodPost, Path: "/v1/start",
			Summary: "Start maintenance: apply exactly the plan a request returned, or a subset of it, granting its leases (fleetq apply)",
			Command: []string{"apply"}, Role: auth.Requester, Write: true, Params: []Param{
				{Name: "token", In: "body", Type: "string", Required: true, Doc: "the plan token of a request"},
				{Name: "hosts", In: "body", Type: "array", Flag: "hosts", Doc: "start only these of the plan's approved hosts"},
			}},
		Op{ID: "stop", Method: http.MethodPost, Path: "/v1/stop",
			Summary: "Maintenance done: release the hosts' leases, each once the host is healthy again (fleetq release)",
			Command: []string{"release"}, Role: auth.Requester, Write: true, Params: []Param{
				{Name: "hosts", In: "body", Type: "array", Doc: "the hosts whose leases end"},
				{Name: "ghosts", In: "body", Type: "boolean", Flag: "ghosts", Role: auth.Operator, Doc: "release every ghost lease"},
				{Name: "force", In: "body", Type: "boolean", Flag: "force", Role: auth.Operator, Doc: "release hosts that are not healthy (operators; needs reason)"},
				{Name: "reason", In: "body", Type: "string", Flag: "reason", Doc: "why (required with force)"},
			}},
		Op{ID: "leases", Method: http.MethodGet, Path: "/v1/leases", Summary: "Active, stuck and ghost leases (fleetq leases)",
			Command: []string{"leases"}, Role: auth.Viewer, Params: []Param{
				{Name: "all", In: "query", Type: "boolean", Flag: "all", Doc: "also expired leases whose hosts recovered"},
			}},
		Op{ID: "audit", Method: http.MethodGet, Path: "/v1/audit", Summary: "The audit log (fleetq audit)",
			Command: []string{"audit"}, Role: auth.Viewer, Params: []Param{
				{Name: "since", In: "query", Type: "string", Flag: "since", Doc: "only newer entries: a duration ago (24h) or an RFC 3339 time"},
				{Name: "kind", In: "query", Type: "string", Flag: "kind", Doc: "only these kinds, comma-separated"},
			}},
		Op{ID: "freezes", Method: http.MethodGet, Path: "/v1/freezes", Summary: "Freezes in force (fleetq freezes)",
			Command: []string{"freezes"}, Role: auth.Viewer},
		Op{ID: "freeze", Method: http.MethodPost, Path: "/v1/freeze", Summary: "Freeze a cluster, an expression's hosts or all (fleetq freeze)",
			Command: []string{"freeze"}, Role: auth.Admin, Write: true, Params: []Param{
				{Name: "scope", In: "body", Type: "string", Required: true, Doc: "EXPR, CLUSTER or all"},
				{Name: "reason", In: "body", Type: "string", Flag: "reason", Required: true, Doc: "why; recorded"},
				{Name: "until", In: "body", Type: "string", Flag: "until", Doc: "when it ends by itself: RFC 3339 or a duration from now"},
			}},
		Op{ID: "unfreeze", Method: http.MethodPost, Path: "/v1/unfreeze", Summary: "End a freeze (fleetq unfreeze)",
			Command: []string{"unfreeze"}, Role: auth.Admin, Write: true, Params: []Param{
				{Name: "scope", In: "body", Type: "string", Required: true, Doc: "EXPR, CLUSTER or all, as frozen"},
				{Name: "reason", In: "body", Type: "string", Flag: "reason", Doc: "why; recorded"},
			}},
		Op{ID: "incident-status", Method: http.MethodGet, Path: "/v1/incident", Summary: "Whether incident mode is on (fleetq incident status)",
			Command: []string{"incident"}, Fixed: []string{"status"}, Role: auth.Viewer},
		Op{ID: "incident", Method: http.MethodPost, Path: "/v1/incident", Summary: "Start or stop incident mode (fleetq incident)",
			Command: []string{"incident"}, Role: auth.Admin, Write: true, Params: []Param{
				{Name: "action", In: "body", Type: "string", Required: true, Enum: []string{"start", "stop"}, Doc: "start or stop"},
				{Name: "reason", In: "body", Type: "string", Flag: "reason", Doc: "why (required to start); recorded"},
				{Name: "scope", In: "body", Type: "string", Flag: "scope", Doc: "start: only the hosts of this expression"},
			}},
	)
}

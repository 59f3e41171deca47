package server

import (
	"net/http"

	"github.com/fleetq/fleetq/internal/auth"
)

// The tokens of the server's own tokens file (fleetq serve --tokens):
// only admins manage them. A created token works from the next request
// on, a revoked one stops then.
func init() {
	register(
		Op{ID: "token-create", Method: http.MethodPost, Path: "/v1/tokens",
			Summary: "Create a token; the answer is its secret, shown once (fleetq token create)",
			Command: []string{"token", "create"}, Role: auth.Admin, Write: true, Params: []Param{
				{Name: "name", In: "body", Type: "string", Required: true, Doc: "the token's name: the requester its calls are recorded under"},
				{Name: "role", In: "body", Type: "string", Flag: "role", Required: true, Enum: auth.Roles, Doc: "what it may do"},
				{Name: "automation", In: "body", Type: "boolean", Flag: "automation", Doc: "no human stands behind it (cron, a controller): it may never force"},
			}},
		Op{ID: "tokens", Method: http.MethodGet, Path: "/v1/tokens",
			Summary: "The tokens: name, role, automation, created (never a secret) (fleetq token list)",
			Command: []string{"token", "list"}, Role: auth.Admin},
		Op{ID: "token-revoke", Method: http.MethodDelete, Path: "/v1/tokens/{name}",
			Summary: "Revoke a token: the server refuses it from its next request (fleetq token revoke)",
			Command: []string{"token", "revoke"}, Role: auth.Admin, Write: true, Params: []Param{
				{Name: "name", In: "path", Type: "string", Required: true, Doc: "the token's name"},
			}},
	)
}

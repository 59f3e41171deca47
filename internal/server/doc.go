// Package server is the HTTP side of fleetq serve: the /v1 API as one
// table of operations (api.go), the middleware every request passes
// (authentication, roles, body limit, rate limit, request log), JSON
// errors with a stable kind, and the listener's lifecycle.
//
// It decides nothing itself. Each operation names the fleetq command it
// runs and how its parameters become that command's arguments; an
// Executor (the command, cmd/fleetq) runs it in-process against the
// database and returns what it printed, so the API answers with exactly
// the JSON (or text) the CLI prints. The same table tells the CLI's
// --server client which endpoint a command goes to.
package server

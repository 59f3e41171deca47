// Package dashboard is fleetq serve's read-only web dashboard: pages
// rendered on the server with html/template from the same operations the
// JSON API serves (server.Mux.Run), so a page shows exactly the numbers
// GET /v1/… returns for the same pass. Every template and stylesheet is
// embedded in the binary; the pages need no JavaScript. One script,
// assets/refresh.js, reloads an open page when GET /events (events.go)
// says the database's state stamp moved: a new pass, a ledger change.
//
// A browser signs in at /login with a token (fleetq token create, a
// viewer is enough); the server keeps the token in memory under a random
// session id and sets only that id as an HttpOnly, SameSite=Strict
// cookie (Secure under TLS). Every request is authenticated by the
// server's own middleware as if it carried the token as a bearer, so a
// revoked token ends its sessions at once. A client may also send
// Authorization: Bearer TOKEN instead of the cookie.
package dashboard

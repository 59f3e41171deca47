package server

import (
	"net/http"

	"github.com/fleetq/fleetq/internal/auth"
)

// The lifecycle's last step beside request, start and stop: cancel
// withdraws a plan, or ends leases whose hosts were never taken down.
// Who may cancel whose is checked by the command, in the transaction
// that writes (a requester its own; an operator anyone's).
func init() {
	register(Op{ID: "cancel", Method: http.MethodPost, Path: "/v1/cancel",
		Summary: "Withdraw an approved plan, or end leases whose hosts were never taken down, recorded as cancelled (fleetq cancel)",
		Command: []string{"cancel"}, Role: auth.Requester, Write: true, Params: []Param{
			{Name: "token", In: "body", Type: "string", Doc: "the plan token to withdraw (or hosts)"},
			{Name: "hosts", In: "body", Type: "array", Flag: "hosts", Doc: "the hosts whose leases end, never taken down (or token)"},
			{Name: "reason", In: "body", Type: "string", Flag: "reason", Required: true, Doc: "why; recorded"},
		}})
}

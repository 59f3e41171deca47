package main

import "fmt"

// warnPolicy says on stderr, before the server listens, when the policy
// it would decide by does not load: the server still serves reads
// (query, leases, audit), but every decision fails until the policy
// loads, and /readyz cannot tell, so the operator hears it at start-up
// rather than from the first refused request.
func warnPolicy(a *app, o *serveOptions) {
	lo := &ledgerOptions{policy: o.policy}
	if _, err := lo.loadPolicy(a); err != nil {
		fmt.Fprintf(a.stderr, "fleetq serve: warning: %v: every decision fails until the policy loads (--policy, else $FLEETQ_POLICY, else fleetq.policy.toml or fleetq.policy.d/ beside the database)\n", err)
	}
}

// Package actions turns a candidate host set into a decision: the hosts a
// verb may act on now, and every other host with the rule that refused it
// (docs/actions.md). Two kinds of rule are kept apart:
//
//   - safety invariants (invariants.go): Go code no policy can loosen,
//     each exhaustively table-tested; a host they refuse stays refused
//     until the fleet changes (a permanent block);
//   - policy budgets (budgets.go): numbers from the operators' policy file
//     (package policy); a full budget is a transient block that clears as
//     leases end.
//
// Decide is a pure function of its inputs (a pass, the policy, the ledger
// as read, the clock reading and a seed), so a decision can be replayed
// from its audit record. Commit grants leases inside the caller's write
// transaction after deciding again in it, so concurrent committers never
// together exceed a budget.
package actions

// Package policy reads fleetq's policy file and does the budget
// arithmetic of docs/actions.md: clusters are classified into archetypes by
// conditions written in the query language, and each archetype gives, per
// verb, a percentage of the cluster size with a floor and a ceiling:
//
//	cap      = clamp(floor(pct × size), floor, ceiling)
//	headroom = cap − unavailable − leased
//
// The policy file is the operators' to change and version; its hash is
// recorded with every decision. The safety invariants that no policy may
// loosen live in package actions, not here.
package policy

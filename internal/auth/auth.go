// Package auth holds the principals of fleetq serve: bearer tokens with a
// role, kept hashed in a tokens file, and what each role may do.
//
// A token is 32 random bytes written as "fq_" and 52 base32 characters.
// The file keeps only its SHA-256, so a copy of the file lets no one
// call the server; the secret is printed once, by fleetq token create.
// A hash of a secret this long needs no slow KDF: there is nothing to
// guess.
package auth

import (
	"fmt"
	"strings"
)

// Role is what a principal may do; each role may do what the ones below
// it may.
type Role int

const (
	// Viewer reads: queries, explain, leases, audit, headroom.
	Viewer Role = iota + 1
	// Requester decides, applies its own plans and releases its own
	// leases; it may not force.
	Requester
	// Operator may --force --reason and release or cancel others' leases.
	Operator
	// Admin freezes, declares incidents and manages tokens.
	Admin
)

// Roles are the role names, lowest first.
var Roles = []string{"viewer", "requester", "operator", "admin"}

func (r Role) String() string {
	if r < Viewer || r > Admin {
		return fmt.Sprintf("role(%d)", int(r))
	}
	return Roles[r-1]
}

// ParseRole is the role called s.
func ParseRole(s string) (Role, error) {
	for i, name := range Roles {
		if s == name {
			return Role(i + 1), nil
		}
	}
	return 0, fmt.Errorf("unknown role %q: expected %s", s, strings.Join(Roles, ", "))
}

// Allows says whether a principal of role r may do what needs role min.
func (r Role) Allows(min Role) bool { return r >= min }

// Principal is who made a request: the name recorded as the requester in
// decisions, leases and the audit log.
type Principal struct {
	Name string
	Role Role
	// Automation is a principal no human stands behind (a token created
	// with --automation, every FleetLock client). It may not force,
	// whatever its role: during an incident nothing automatic runs
	// unless a human forces it with a reason.
	Automation bool
}

// MayForce says whether p may lift a freeze, an incident or stale
// evidence with --force --reason.
func (p Principal) MayForce() bool { return p.Role.Allows(Operator) && !p.Automation }

package actions

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/store"
)

// Safety invariants: rules whose violation could lose data or take a
// cluster down. They are Go code, not policy, and no policy file can turn
// them off; only freeze and incident yield to --force --reason, which is
// recorded. Each is a pure function of a host's facts (invariants_test.go
// tries every combination).

// hostFacts is what the invariants know about one candidate host.
type hostFacts struct {
	verb     string
	now      time.Time
	stale    string          // why the decision's evidence is too old ("" when fresh)
	lease    *store.Lease    // the lease holding the host (active or stuck), if any
	incident *store.Incident // fleet-wide incident mode, if on
	freeze   *store.Freeze   // an active freeze of the host's cluster (or all)
	force    bool            // --force with a --reason
	planes   []planeFact     // control planes that must have let the host go
	group    string          // the host's replica group ("" when it has none)
	inMaint  []string        // replica groups of its cluster in maintenance, sorted
	maxGroup int             // K: at most K distinct groups in maintenance
	hold     *rolloutHold    // a halted rollout holding the host (view_rollout.go)
	// groupDetails keeps the replica-group details written for inMaint,
	// by group (nil: none kept): the detail is the same for every host of
	// a group until inMaint changes.
	groupDetails map[string]string
}

// planeFact is what one control plane says about a host.
type planeFact struct {
	name     string // hdfs, yarn
	observed bool   // the pass has this plane's source at all
	seen     bool   // the host is in it
	state    string // its hdfs.state / yarn.state ("" when unknown)
}

// unservingVerbs wipe or stress a host's disks: the control planes must
// have let the host go first.
var unservingVerbs = map[string]bool{"rekick": true, "burnin": true}

// releasedStates are the control-plane states in which a host no longer
// serves: HDFS only once decommissioned (a dead datanode may still hold
// the last replica of a block being re-replicated), YARN once it runs no
// containers.
var releasedStates = map[string]map[string]bool{
	"hdfs": {"decommissioned": true},
	"yarn": {"decommissioned": true, "lost": true, "shutdown": true},
}

type invariant struct {
	rule      string
	forceable bool
	check     func(f *hostFacts) (detail string, violated bool)
}

// invariants run in this order; the first violated one names the denial.
var invariants = []invariant{
	{RuleStaleEvidence, true, staleEvidence},
	{RuleOneOperation, false, oneOperation},
	{RuleIncident, true, incidentMode},
	{RuleFreeze, true, frozen},
	{RuleRolloutHalted, false, rolloutHalted},
	{RuleUnserved, false, unserved},
	{RuleReplicaGroups, false, replicaGroups},
}

// checkInvariants returns the first violated invariant, and whether
// --force lifted a freeze or incident on the way.
func checkInvariants(f *hostFacts) (rule, detail string, forced bool) {
	for _, inv := range invariants {
		d, bad := inv.check(f)
		if !bad {
			continue
		}
		if inv.forceable && f.force {
			forced = true
			continue
		}
		return inv.rule, d, forced
	}
	return "", "", forced
}

// staleEvidence: no decision on a pass, or on sources its invariants,
// budgets, unavailable expression or health set read, older than the
// policy's max_evidence_age (evidence.go).
func staleEvidence(f *hostFacts) (string, bool) {
	return f.stale, f.stale != ""
}

// oneOperation: a host holds at most one lease, across all verbs; an
// expired lease on a host that has not recovered still holds it (stuck).
func oneOperation(f *hostFacts) (string, bool) {
	if f.lease == nil {
		return "", false
	}
	l := f.lease
	if !l.Active(f.now) {
		return fmt.Sprintf("stuck: the %s lease by %s expired at %s and the host is not back in the health set on a pass sealed since (audit %d); release --force --reason once it is repaired", l.Verb, l.Requester, stamp(l.Expiry), l.Audit), true
	}
	return fmt.Sprintf("already held for %s by %s until %s (audit %d)", l.Verb, l.Requester, stamp(l.Expiry), l.Audit), true
}

// incidentMode: nothing automatic while an incident is on.
func incidentMode(f *hostFacts) (string, bool) {
	if f.incident == nil {
		return "", false
	}
	return fmt.Sprintf("incident mode since %s (%s: %s); --force --reason to override", stamp(f.incident.Start), f.incident.Requester, f.incident.Reason), true
}

// frozen: nothing automatic on a cluster under a change freeze.
func frozen(f *hostFacts) (string, bool) {
	if f.freeze == nil {
		return "", false
	}
	until := "until unfrozen"
	if !f.freeze.Until.IsZero() {
		until = "until " + stamp(f.freeze.Until)
	}
	scope := f.freeze.Scope
	if f.freeze.Expr != "" {
		scope = "freeze '" + f.freeze.Expr + "': host"
	}
	return fmt.Sprintf("%s frozen by %s %s: %s; --force --reason to override", scope, f.freeze.Requester, until, f.freeze.Reason), true
}

// unserved: rekick and burnin only hosts that HDFS and YARN no longer
// serve. A plane the pass did not observe cannot vouch: fail closed.
func unserved(f *hostFacts) (string, bool) {
	if !unservingVerbs[f.verb] {
		return "", false
	}
	for _, p := range f.planes {
		switch {
		case !p.observed:
			return fmt.Sprintf("the pass has no %s source, so nothing shows %s no longer serves the host", p.name, strings.ToUpper(p.name)), true
		case p.seen && !releasedStates[p.name][p.state]:
			state := p.state
			if state == "" {
				state = "no state"
			}
			return fmt.Sprintf("%s still serves it (%s.state %s); decommission it first", strings.ToUpper(p.name), p.name, state), true
		}
	}
	return "", false
}

// replicaGroups: never hosts of more than K distinct replica groups of a
// cluster in maintenance at once (K=1 keeps maintenance inside one group,
// which HDFS block placement makes data-safe).
func replicaGroups(f *hostFacts) (string, bool) {
	if f.group == "" {
		return "", false
	}
	i := sort.SearchStrings(f.inMaint, f.group)
	if i < len(f.inMaint) && f.inMaint[i] == f.group || len(f.inMaint) < f.maxGroup {
		return "", false
	}
	if d, ok := f.groupDetails[f.group]; ok {
		return d, true
	}
	d := fmt.Sprintf("replica group %s: %s in maintenance already (leased or approved), max %d distinct", f.group, strings.Join(f.inMaint, ", "), f.maxGroup)
	if f.groupDetails != nil {
		f.groupDetails[f.group] = d
	}
	return d, true
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

package actions

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

// Request is what an operator asked for.
type Request struct {
	Verb      string    `json:"verb"`
	Expr      string    `json:"expr"`
	Reason    string    `json:"reason"`
	Requester string    `json:"requester"`
	Force     bool      `json:"force,omitempty"`
	Seed      uint64    `json:"seed"`
	Now       time.Time `json:"now"`
	// Duration is the lease length asked for with --duration (0: the
	// verb's lease), at most the verb's max_duration (duration.go).
	Duration Span `json:"duration,omitempty"`
}

// Rule names. An invariant or a freeze is a permanent block (retrying
// will not help until the fleet or the ledger changes by hand); a budget
// is a transient block that clears as leases end.
const (
	RuleStaleEvidence = "invariant:stale-evidence"
	RuleOneOperation  = "invariant:one-operation"
	RuleUnserved      = "invariant:unserved"
	RuleReplicaGroups = "invariant:replica-groups"
	RuleFreeze        = "invariant:freeze"
	RuleIncident      = "invariant:incident"
	RuleRolloutHalted = "invariant:rollout-halted"
	RuleNoCluster     = "policy:no-cluster"
	RuleNoBudget      = "policy:no-budget"
	RuleCluster       = "budget:cluster"
	RuleRack          = "budget:rack"
	RuleGroup         = "budget:replica-group"
	RuleRate          = "budget:rate"
	RuleCooldown      = "budget:cooldown"
	// RuleGatePrefix starts the rule of a failing cluster gate: gate:NAME
	// (gates.go).
	RuleGatePrefix = "gate:"
)

// Transient reports whether a rule is a budget, a gate or a window that
// clears by itself (window:closed, window:overrun: it opens, or a later
// opening holds the lease).
func Transient(rule string) bool {
	return strings.HasPrefix(rule, "budget:") || IsGateRule(rule) || rule == RuleWindowClosed || rule == RuleWindowOverrun
}

// IsGateRule reports whether a rule is a cluster gate's, gate:NAME.
func IsGateRule(rule string) bool { return strings.HasPrefix(rule, RuleGatePrefix) }

// Denial is one refused host and the rule that refused it (the store's
// type, so the audit log expands its compact form into this very shape).
type Denial = store.DecisionDenial

// Cause is one reason hosts of a cluster are already out.
type Cause struct {
	Name  string `json:"name"`
	Hosts int    `json:"hosts"`
}

// ClusterReport is the arithmetic of one cluster the request touched.
type ClusterReport struct {
	Cluster   string       `json:"cluster"`
	Archetype string       `json:"archetype"`
	Exception bool         `json:"exception,omitempty"`
	Budgeted  bool         `json:"budgeted"`
	Arith     policy.Arith `json:"arith"`
	// Causes of unavailability, leased last; Unavailable is their sum.
	Causes      []Cause `json:"causes"`
	Unavailable int     `json:"unavailable"`
	Leased      int     `json:"leased"`
	Stuck       int     `json:"stuck"`
	Headroom    int     `json:"headroom"` // before this request
	Requested   int     `json:"requested"`
	Approved    int     `json:"approved"`
	Frozen      string  `json:"frozen,omitempty"`
	// Constraints are the cluster's constraint lines (constraints_capacity.go).
	Constraints []ConstraintLine `json:"constraints,omitempty"`
	// Bound is the budget over an attribute (rack, replica group,
	// [[limits.per]]) that refused the most of this request's hosts in
	// the cluster, when one refused any.
	Bound *Bound `json:"bound,omitempty"`
}

// Bound names a binding budget over an attribute on a cluster's line:
// "bound by rack smf1-r0040 (per_rack 2)".
type Bound struct {
	Rule   string `json:"rule"`
	Attr   string `json:"attr"` // "rack", "replica group", "dc"
	Value  string `json:"value"`
	Limit  string `json:"limit"`
	Denied int    `json:"denied"` // hosts of this cluster it refused
	More   int    `json:"more,omitempty"`
}

func (x *Bound) String() string {
	s := fmt.Sprintf("bound by %s %s (%s)", x.Attr, x.Value, x.Limit)
	if x.More > 0 {
		s += fmt.Sprintf(" and %d more", x.More)
	}
	return s
}

// String renders the arithmetic by cause: "smf1-dense-02 (dense): 6% of
// 412 = 24 (floor 1, ceiling 200); unavailable 21 = dead 9 + repair 8 +
// leased 4; headroom 3".
func (c ClusterReport) String() string {
	arch := c.Archetype
	if c.Exception {
		arch += ", exception"
	}
	if !c.Budgeted {
		return fmt.Sprintf("%s (%s): no budget applies to this verb", c.Cluster, arch)
	}
	parts := make([]string, 0, len(c.Causes))
	for _, x := range c.Causes {
		parts = append(parts, fmt.Sprintf("%s %d", x.Name, x.Hosts))
	}
	causes := strings.Join(parts, " + ")
	if causes == "" {
		causes = "none"
	}
	s := fmt.Sprintf("%s (%s): %s; unavailable %d = %s; headroom %d",
		c.Cluster, arch, c.Arith, c.Unavailable, causes, c.Headroom)
	if c.Bound != nil {
		s += "; " + c.Bound.String()
	}
	return s
}

// RuleCount is how many hosts one rule refused.
type RuleCount struct {
	Rule      string `json:"rule"`
	Hosts     int    `json:"hosts"`
	Transient bool   `json:"transient"`
}

// Decision is the outcome of a request: nothing in it is printed by this
// package; the command renders it.
type Decision struct {
	Request
	Pass          int64           `json:"pass"`
	PolicyHash    string          `json:"policy_hash"`
	LedgerVersion uint64          `json:"ledger_version"`
	Requested     int             `json:"requested"`
	Refused       string          `json:"refused,omitempty"`
	Approved      []string        `json:"approved"`
	Denied        []Denial        `json:"denied"`
	Clusters      []ClusterReport `json:"clusters"`
	Rules         []RuleCount     `json:"rules"`
	Notes         []string        `json:"notes,omitempty"`
	// Forced is set when --force lifted a freeze, an incident or stale
	// evidence for at least one approved host; ForcedStale says which
	// evidence was too old when --force went past it.
	Forced      bool   `json:"forced"`
	ForcedStale string `json:"forced_stale,omitempty"`
	// Evidence is the pass and every source the decision read, with its
	// age against the decision's clock.
	Evidence []Evidence `json:"evidence"`

	leases []store.Lease
	// deniedGroups are the Denied hosts grouped by rule, cluster and
	// detail, by host id, for the audit record's compact form; deniedN
	// is how many hosts they hold.
	deniedGroups []store.DeniedGroup
	deniedN      int
}

// Leases are the leases committing the decision grants.
func (d *Decision) Leases() []store.Lease { return d.leases }

// Blocked says how a decision that approved nothing is blocked:
// "transient" (budgets: retry after leases end), "permanent" (freeze,
// invariant, no budget) or "" when something was approved or nothing was
// asked.
func (d *Decision) Blocked() string {
	if len(d.Approved) > 0 || len(d.Denied) == 0 {
		return ""
	}
	for _, x := range d.Denied {
		if x.Transient {
			return "transient"
		}
	}
	return "permanent"
}

// AuditEntry is the decision as the audit log records it: its denied
// hosts as sets by rule (store.DeniedSetsOfGroups), or one by one for a
// decision that does not know their ids (one decoded from a record).
func (d *Decision) AuditEntry(committed bool) *store.AuditEntry {
	denied, sets := []store.Denied{}, []store.DeniedSet(nil)
	if d.compact() {
		sets = store.DeniedSetsOfGroups(d.deniedGroups)
	} else {
		denied = make([]store.Denied, len(d.Denied))
		for i, x := range d.Denied {
			denied[i] = store.Denied{Host: x.Host, Rule: x.Rule, Detail: x.Detail}
		}
	}
	kind := store.KindDecision
	if committed {
		kind = store.KindCommit
	}
	return &store.AuditEntry{
		Time: d.Now, Requester: d.Requester, Kind: kind, Verb: d.Verb, Expr: d.Expr,
		Reason: d.Reason, Pass: d.Pass, PolicyHash: d.PolicyHash, Seed: d.Seed,
		LedgerVersion: d.LedgerVersion, Committed: committed, Forced: d.Forced,
		Approved: nonNil(d.Approved), Denied: denied, DeniedSets: sets, Refused: d.Refused,
		Duration: d.Duration.text(),
	}
}

// compact reports whether the decision's denied hosts are known by id.
func (d *Decision) compact() bool { return len(d.Denied) > 0 && d.deniedN == len(d.Denied) }

// record is the decision as its audit entry's decision record holds it:
// without the denied hosts when the entry holds them as sets (the log
// puts them back when it reads the entry).
func (d *Decision) record() ([]byte, error) {
	if !d.compact() {
		return json.Marshal(d)
	}
	c := *d
	c.Denied = []Denial{}
	return json.Marshal(&c)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

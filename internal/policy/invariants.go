package policy

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// The safety invariants are code (package actions); the policy may name
// the attributes they read and tighten them, never loosen them. A policy
// that would loosen one is a load error naming the key and the invariant.

// RequiredControlPlanes must each have let a host go before it is rekicked
// or burnt in. A policy may list them in another order, never fewer.
var RequiredControlPlanes = []string{"hdfs", "yarn"}

// MaxReplicaGroups is the invariant's K: at most this many distinct
// replica groups of a cluster in maintenance at once. HDFS places a
// block's replicas in different groups, so maintenance inside one group
// never touches two copies of a block.
const MaxReplicaGroups = 1

// DefaultEvidenceAge is how old the evidence of a decision may be when the
// policy says nothing: twice the hourly ingest of a cron loop, the same
// as --stale-after, so one missed run does not stop maintenance and two do.
const DefaultEvidenceAge = 2 * time.Hour

// MaxEvidenceAgeLimit bounds every evidence age a policy may set: a week
// covers a weekly CMDB dump; anything longer is no longer evidence.
const MaxEvidenceAgeLimit = 7 * 24 * time.Hour

// defaultKindAge are the kinds whose data changes slowly by nature: an
// inventory dumped once a day is still the inventory.
var defaultKindAge = map[string]time.Duration{
	"inventory": 26 * time.Hour,
	"netbox":    26 * time.Hour,
	"ansible":   26 * time.Hour,
}

// SourceKinds are the ingest kinds evidence_age may name.
var SourceKinds = []string{"hdfs", "yarn", "k8s", "prom", "netbox", "ansible", "inventory", "hosts"}

func (p *Policy) validateInvariants() error {
	for _, cp := range p.ControlPlanes {
		if !slices.Contains(RequiredControlPlanes, cp) {
			return fmt.Errorf("rekick_control_planes: %q: expected %s", cp, strings.Join(RequiredControlPlanes, " or "))
		}
	}
	for _, need := range RequiredControlPlanes {
		if !slices.Contains(p.ControlPlanes, need) {
			return fmt.Errorf("rekick_control_planes = %q leaves out %s: that would loosen invariant:unserved (rekick and burnin only hosts %s no longer serve); no policy can", p.ControlPlanes, need, strings.ToUpper(strings.Join(RequiredControlPlanes, " and ")))
		}
	}
	switch {
	case p.GroupAttr == "":
		return fmt.Errorf(`replica_group_attr = "": that would switch off invariant:replica-groups; name the attribute that holds each host's replica group (default replica_group)`)
	case p.MaxGroups < 1:
		return fmt.Errorf("max_replica_groups = %d: must be at least 1", p.MaxGroups)
	case p.MaxGroups > MaxReplicaGroups:
		return fmt.Errorf("max_replica_groups = %d: that would loosen invariant:replica-groups (at most %d group of a cluster in maintenance at once); a policy may only tighten it", p.MaxGroups, MaxReplicaGroups)
	}
	return nil
}

func (p *Policy) buildEvidence(raw map[string]Duration) error {
	if err := checkEvidenceAge("max_evidence_age", p.MaxEvidenceAge); err != nil {
		return err
	}
	p.EvidenceAge = map[string]time.Duration{}
	for k, d := range defaultKindAge {
		p.EvidenceAge[k] = max(time.Duration(d), p.MaxEvidenceAge)
	}
	kinds := make([]string, 0, len(raw))
	for k := range raw {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		if !slices.Contains(SourceKinds, k) {
			return fmt.Errorf("[evidence_age] %s: not a source kind (expected one of %s)", k, strings.Join(SourceKinds, ", "))
		}
		if err := checkEvidenceAge("[evidence_age] "+k, time.Duration(raw[k])); err != nil {
			return err
		}
		p.EvidenceAge[k] = time.Duration(raw[k])
	}
	return nil
}

func checkEvidenceAge(key string, d time.Duration) error {
	if d <= 0 || d > MaxEvidenceAgeLimit {
		return fmt.Errorf("%s = %s: expected a duration above 0 and at most %s (evidence older than that is no evidence)", key, d, MaxEvidenceAgeLimit)
	}
	return nil
}

// EvidenceAgeOf is the oldest a source of this kind may be.
func (p *Policy) EvidenceAgeOf(kind string) time.Duration {
	if d, ok := p.EvidenceAge[kind]; ok {
		return d
	}
	return p.MaxEvidenceAge
}

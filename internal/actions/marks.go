package actions

import "strings"

// marks are what a decision made of each candidate, by position among
// the sorted candidates, while it takes them in a random order: a rule
// and a detail as small numbers, so the writes in random order are a few
// bytes each and hold no pointers for the collector to follow. The names,
// the Denied list and the audit record's groups are built from them
// afterwards, in id order.
type marks struct {
	at      []mark
	details []string         // the distinct details, by index
	index   map[string]int32 // details by text
	// last is per cluster code the last detail a host of it was denied
	// with: most denials repeat it (a full budget keeps the very same
	// string while its count stands), so they cost a comparison of two
	// identical strings, not a lookup of the text.
	last []lastDetail
	// rules are the rules named per decision, after ruleNames: a
	// [[limits.per]] rule names its attribute ("budget:per dc"), a gate
	// rule its gate ("gate:NAME"; the policy has at most policy.MaxGates).
	rules []string
}

type lastDetail struct {
	detail string
	index  int32
}

// mark is one candidate's outcome: rule 0 is undecided, approvedMark is
// approved (detail 1 when forced), else 1 + the rule's index in
// ruleNames, with detail an index into the details.
type mark struct {
	rule   uint8
	detail int32
}

const approvedMark = 0xff

// ruleNames are every rule a decision denies by, for marks.
var ruleNames = []string{
	RuleStaleEvidence, RuleOneOperation, RuleUnserved, RuleReplicaGroups, RuleFreeze, RuleIncident, RuleRolloutHalted,
	RuleNoCluster, RuleNoBudget, RuleCluster, RuleRack, RuleGroup, RuleRate, RuleCooldown,
	RuleMinHealthy, RuleCapacity, RuleUndrained,
	RuleWindowClosed, RuleWindowOverrun, RuleWindowTooShort, RuleWindowNone, RuleWindowInvalid, RuleWindowConflict,
}

// newMarks holds the outcomes of n candidates of the given number of
// cluster codes.
func newMarks(n, clusters int) *marks {
	return &marks{at: make([]mark, n), index: map[string]int32{}, last: make([]lastDetail, clusters)}
}

// ruleIndex is 1 + the index of rule in ruleNames, then in m.rules
// (a per-decision rule is added on its first denial).
func (m *marks) ruleIndex(rule string) uint8 {
	for i, r := range ruleNames {
		if r == rule {
			return uint8(i + 1)
		}
	}
	for i, r := range m.rules {
		if r == rule {
			return uint8(len(ruleNames) + i + 1)
		}
	}
	if !(strings.HasPrefix(rule, RulePer+" ") || IsGateRule(rule)) || len(ruleNames)+len(m.rules)+1 >= approvedMark {
		panic("actions: a denial by an unlisted rule " + rule) // every Rule constant is listed
	}
	m.rules = append(m.rules, rule)
	return uint8(len(ruleNames) + len(m.rules))
}

// ruleName is the rule of a mark's rule index.
func (m *marks) ruleName(i uint8) string {
	if int(i) <= len(ruleNames) {
		return ruleNames[i-1]
	}
	return m.rules[int(i)-len(ruleNames)-1]
}

func (m *marks) deny(h hostCost, rule, detail string) {
	m.at[h.pos] = mark{rule: m.ruleIndex(rule), detail: m.detailIndex(h.codes[0], detail)}
}

// detailIndex interns a detail of a host of the given cluster code.
func (m *marks) detailIndex(cluster int32, detail string) int32 {
	last := &m.last[cluster]
	if last.detail == detail && detail != "" {
		return last.index
	}
	i, ok := m.index[detail]
	if !ok {
		i = int32(len(m.details))
		m.index[detail] = i
		m.details = append(m.details, detail)
	}
	*last = lastDetail{detail, i}
	return i
}

func (m *marks) approve(h hostCost, forced bool) {
	x := mark{rule: approvedMark}
	if forced {
		x.detail = 1
	}
	m.at[h.pos] = x
}

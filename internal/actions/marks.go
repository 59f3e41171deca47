package actions

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
	last    []int32          // per rule: the index of its last detail, -1 for none
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
}

func newMarks(n int) *marks {
	m := &marks{at: make([]mark, n), index: map[string]int32{}, last: make([]int32, len(ruleNames))}
	for i := range m.last {
		m.last[i] = -1
	}
	return m
}

// ruleIndex is 1 + the index of rule in ruleNames.
func ruleIndex(rule string) uint8 {
	for i, r := range ruleNames {
		if r == rule {
			return uint8(i + 1)
		}
	}
	panic("actions: a denial by an unlisted rule " + rule) // every Rule constant is listed
}

func (m *marks) deny(h hostCost, rule, detail string) {
	r := ruleIndex(rule)
	m.at[h.pos] = mark{rule: r, detail: m.detailIndex(r, detail)}
}

// detailIndex interns a detail: most denials of a rule repeat its last
// detail (the budgets keep the very same string while a count stands).
func (m *marks) detailIndex(r uint8, detail string) int32 {
	if last := m.last[r-1]; last >= 0 && m.details[last] == detail {
		return last
	}
	i, ok := m.index[detail]
	if !ok {
		i = int32(len(m.details))
		m.index[detail] = i
		m.details = append(m.details, detail)
	}
	m.last[r-1] = i
	return i
}

func (m *marks) approve(h hostCost, forced bool) {
	x := mark{rule: approvedMark}
	if forced {
		x.detail = 1
	}
	m.at[h.pos] = x
}

package actions

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// `fleetq check windows [EXPR]`: does every host of a selection have a
// usable window? A host is covered by a slot of a maintenance week that
// is running or still to come (planned, not ended, gating the verb, or
// any verb without --verb), else by the policy's [windows] (its own
// value, then the rules: the precedence the verbs use). Listed, as
// gaps: hosts with no window, hosts whose value does not parse, hosts a
// week leaves unslotted (the week replaces their windows while it
// runs), and hosts two overlapping weeks both list.

// WindowCheck is the result of a coverage check.
type WindowCheck struct {
	Expr  string    `json:"expr"`
	Verb  string    `json:"verb,omitempty"` // "": every verb's windows
	Pass  int64     `json:"pass"`
	Now   time.Time `json:"now"`
	Hosts int       `json:"hosts"`
	// Gated is false when --verb names a verb neither [windows] nor a
	// week gates: it is approved at any time, and nothing is listed.
	Gated    bool          `json:"gated"`
	Covered  int           `json:"covered"`
	BySource []SourceCount `json:"by_source"`
	Weeks    []string      `json:"weeks"` // the weeks that count, as w2 (name)
	Gaps     []WindowGap   `json:"gaps"`  // sorted by host
}

// SourceCount is how many hosts one kind of source covers (or fails).
type SourceCount struct {
	Source string `json:"source"` // attr, rule, slot, none, invalid, unslotted, conflict
	Hosts  int    `json:"hosts"`
}

// WindowGap is one host without a usable window.
type WindowGap struct {
	Host    string `json:"host"`
	Cluster string `json:"cluster"`
	Kind    string `json:"kind"` // none, invalid, unslotted, conflict
	Detail  string `json:"detail"`
}

// CheckWindows checks the window coverage of the hosts expr selects in
// the newest pass, at now.
func CheckWindows(ctx context.Context, tx *store.Tx, pol *policy.Policy, expr, verb string, now time.Time) (*WindowCheck, error) {
	if verb != "" && !policy.IsVerb(verb) {
		return nil, fmt.Errorf("%w %q (expected one of %v)", policy.ErrUnknownVerb, verb, policy.Verbs)
	}
	snap, err := tx.Snapshot(0)
	if err != nil {
		return nil, err
	}
	env := &query.Env{Ctx: ctx, Snap: snap, Seed: 1}
	hosts, err := candidates(env, expr)
	if err != nil {
		return nil, err
	}
	all, err := tx.Weeks()
	if err != nil {
		return nil, err
	}
	sc := winScope{pol: pol, weeks: checkWeeks(all, verb, now), policy: pol.Windows != nil && (verb == "" || pol.Gated(verb))}
	c := &WindowCheck{Expr: expr, Verb: verb, Pass: snap.Current().ID(), Now: now, Hosts: int(hosts.GetCardinality()),
		Gated: sc.policy || len(sc.weeks) > 0, BySource: []SourceCount{}, Weeks: []string{}, Gaps: []WindowGap{}}
	for _, w := range sc.weeks {
		c.Weeks = append(c.Weeks, w.Label())
	}
	if !c.Gated && verb != "" {
		return c, nil
	}
	a, _, err := snap.Current().Attr(pol.ClusterAttr)
	if err != nil {
		return nil, err
	}
	ids := hosts.ToArray()
	cluster := newAttrReader(a).column(ids, hosts)
	res, err := resolveWindows(env, sc, snap.Hosts(), ids, hosts, cluster)
	if err != nil {
		return nil, err
	}
	counts := res.counts()
	for _, k := range sortedKinds(counts) {
		c.BySource = append(c.BySource, SourceCount{k, counts[k]})
	}
	for i, s := range res.src {
		src := &res.sources[s]
		switch src.kind {
		case SourceAttr, SourceRule, SourceSlot:
			c.Covered++
			continue
		}
		c.Gaps = append(c.Gaps, WindowGap{Host: snap.Hosts().Name(ids[i]), Cluster: cluster.at(int32(i)), Kind: src.kind, Detail: gapDetail(pol, src)})
	}
	slices.SortFunc(c.Gaps, func(x, y WindowGap) int { return strings.Compare(x.Host, y.Host) })
	return c, nil
}

// checkWeeks are the planned weeks that have not ended at now and gate
// verb (any verb when "").
func checkWeeks(ws []store.Week, verb string, now time.Time) []store.Week {
	var out []store.Week
	for _, w := range ws {
		if _, end := w.Span(); w.State != store.WeekPlanned || !end.After(now) {
			continue
		}
		if verb == "" || slices.Contains(w.Verbs, verb) {
			out = append(out, w)
		}
	}
	return out
}

func gapDetail(pol *policy.Policy, s *winSource) string {
	switch s.kind {
	case SourceInvalid:
		return s.label + ": " + s.err
	case SourceNone:
		if pol.Windows == nil {
			return "the policy has no [windows] and no week gives the host a slot"
		}
		if pol.Windows.Attr == "" {
			return "no [[windows.rule]] for it, and no week slot"
		}
		return "no " + pol.Windows.Attr + " value, no [[windows.rule]] for it, and no week slot"
	}
	return s.label
}

package actions

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/window"
)

// Maintenance windows (docs/windows.md). Where a host's windows come
// from, first match wins:
//
//  1. a maintenance week running now that gates the verb and lists the
//     host: its step's slot [Start, End) is the host's only window, and a
//     host the week left unslotted has none (window:none). A host listed
//     by two weeks whose spans overlap (two steps of one week, or two
//     weeks running at once) has no window it can be sure of:
//     window:week-conflict, fail closed;
//  2. the policy's [windows] (internal/policy/windows.go): the host's own
//     value of the attribute, then the expr rules in file order, then
//     its cluster's rule, then the first rule for its role.
//
// Each distinct source (a CMDB value, a rule, a step) is parsed and
// judged once per decision, never once per host.

// Rule names of the windows.
const (
	// RuleWindowClosed: outside every window (transient: it opens).
	RuleWindowClosed = "window:closed"
	// RuleWindowOverrun: inside a window that closes before the lease
	// ends (transient: a later opening holds it).
	RuleWindowOverrun = "window:overrun"
	// RuleWindowTooShort: no opening within the horizon holds the lease.
	RuleWindowTooShort = "window:too-short"
	// RuleWindowNone: no window, and the policy denies that.
	RuleWindowNone = "window:none"
	// RuleWindowInvalid: the host's window value does not parse.
	RuleWindowInvalid = "window:invalid"
	// RuleWindowConflict: two overlapping weeks list the host.
	RuleWindowConflict = "window:week-conflict"
)

// windowSchedule is a recurring window set or a week's slot.
type windowSchedule interface {
	Open(t time.Time) bool
	NextOpen(t time.Time) (time.Time, bool)
	Until(t time.Time) (time.Time, bool)
	Fits(t time.Time, d time.Duration) bool
	NextFit(t time.Time, d time.Duration) (time.Time, bool)
}

// Window source kinds.
const (
	SourceNone      = "none"      // no window
	SourceInvalid   = "invalid"   // a value that does not parse
	SourceAttr      = "attr"      // the host's own attribute value
	SourceRule      = "rule"      // a [[windows.rule]]
	SourceSlot      = "slot"      // a week step's slot
	SourceUnslotted = "unslotted" // in a week that gave it no slot
	SourceConflict  = "conflict"  // in two overlapping weeks
)

// winSource is where some hosts' windows come from.
type winSource struct {
	kind  string
	label string // "maint_window \"Mon 09:00-11:00 UTC\"", "[[windows.rule]] 2 (cluster k1)", "week w2 step 3"
	sched windowSchedule
	zone  *time.Location // how the detail writes local times (nil: the window's own)
	week  *store.Week
	text  string // the windows or slot as text
	err   string // why a value is invalid
}

// winResolution is the source of each of a sorted set of hosts.
type winResolution struct {
	src     []int32 // per position: an index into sources
	sources []winSource
}

// winScope says which weeks and rules a resolution reads.
type winScope struct {
	pol   *policy.Policy
	weeks []store.Week // the weeks that count, in id order
	// policy: the [windows] rules are read (the verb is gated, or a
	// check asks).
	policy bool
}

// decisionWeeks are the weeks running at now that gate verb.
func decisionWeeks(ws []store.Week, verb string, now time.Time) []store.Week {
	var out []store.Week
	for _, w := range ws {
		if w.Running(now) && slices.Contains(w.Verbs, verb) {
			out = append(out, w)
		}
	}
	return out
}

// resolveWindows finds the window source of every host of ids (sorted,
// the members of set); cluster is their cluster column.
func resolveWindows(env *query.Env, sc winScope, names fleet.Hosts, ids []uint32, set *roaring.Bitmap, cluster *column) (*winResolution, error) {
	r := &winResolution{src: make([]int32, len(ids)), sources: []winSource{{kind: SourceNone}}}
	done := make([]bool, len(ids))
	r.fromWeeks(sc.weeks, names, ids, set, done)
	if !sc.policy || sc.pol.Windows == nil {
		return r, nil
	}
	pass := env.Snap.Current()
	if err := r.fromAttr(pass, sc.pol.Windows.Attr, ids, set, done); err != nil {
		return nil, err
	}
	if err := r.fromExprRules(env, sc.pol.Windows.Rules, ids, set, done); err != nil {
		return nil, err
	}
	r.fromClusterRules(sc.pol.Windows.Rules, cluster, done)
	return r, r.fromRoleRules(pass, sc.pol.Windows, ids, set, done)
}

func (r *winResolution) add(s winSource) int32 {
	r.sources = append(r.sources, s)
	return int32(len(r.sources) - 1)
}

// each calls fn with the position of every host of hosts in ids.
func each(hosts, set *roaring.Bitmap, ids []uint32, fn func(pos int)) {
	it := roaring.And(hosts, set).Iterator()
	lo := 0
	for it.HasNext() {
		id := it.Next()
		i, _ := slices.BinarySearch(ids[lo:], id)
		lo += i
		fn(lo)
	}
}

// fromWeeks gives the hosts the weeks list their slot (or none). A host
// a second week lists whose span overlaps the first's is a conflict.
func (r *winResolution) fromWeeks(weeks []store.Week, names fleet.Hosts, ids []uint32, set *roaring.Bitmap, done []bool) {
	owner := map[int]int{} // position → index of the week that gave it
	for wi := range weeks {
		w := &weeks[wi]
		zone := weekZone(w)
		conflict := int32(-1)
		claim := func(pos int, src int32) {
			prev, taken := owner[pos]
			switch {
			case !taken:
				owner[pos], r.src[pos], done[pos] = wi, src, true
			case prev != wi && !overlap(&weeks[prev], w):
				// an earlier week's slot; this later one does not run at the same time
			default:
				if conflict < 0 {
					conflict = r.add(winSource{kind: SourceConflict, week: w, label: conflictLabel(&weeks[prev], w)})
				}
				r.src[pos] = conflict
			}
		}
		for si := range w.Steps {
			st := &w.Steps[si]
			slot := window.Slot{Start: st.Start, End: st.End}
			src := r.add(winSource{kind: SourceSlot, week: w, sched: slot, zone: zone, text: slot.String(),
				label: fmt.Sprintf("slot of week %s step %d", w.Label(), st.N)})
			ids2, _ := names.Lookup(st.Hosts)
			each(ids2, set, ids, func(pos int) { claim(pos, src) })
		}
		if len(w.Unslotted) > 0 {
			src := r.add(winSource{kind: SourceUnslotted, week: w, label: fmt.Sprintf("week %s gave the host no slot (unslotted)", w.Label())})
			ids2, _ := names.Lookup(w.Unslotted)
			each(ids2, set, ids, func(pos int) { claim(pos, src) })
		}
	}
}

func overlap(a, b *store.Week) bool {
	as, ae := a.Span()
	bs, be := b.Span()
	return as.Before(be) && bs.Before(ae)
}

func conflictLabel(a, b *store.Week) string {
	if a.ID == b.ID {
		return fmt.Sprintf("week %s lists the host in two steps", a.Label())
	}
	return fmt.Sprintf("weeks %s and %s overlap and both list the host", a.Label(), b.Label())
}

// weekZone is the zone a week's schedule is written in (UTC when it
// names none or one that does not load).
func weekZone(w *store.Week) *time.Location {
	if w.Zone != "" {
		if l, err := time.LoadLocation(w.Zone); err == nil {
			return l
		}
	}
	return time.UTC
}

// fromAttr reads the CMDB attribute over the hosts not yet placed; each
// distinct value is parsed once.
func (r *winResolution) fromAttr(pass fleet.Pass, attr string, ids []uint32, set *roaring.Bitmap, done []bool) error {
	if attr == "" {
		return nil
	}
	a, _, err := pass.Attr(attr)
	if err != nil || a == nil {
		return err
	}
	col := newAttrReader(a).column(ids, set)
	byCode := make([]int32, len(col.vals))
	for i, code := range col.codes {
		if done[i] || code == 0 {
			continue
		}
		if byCode[code] == 0 {
			byCode[code] = r.add(attrSource(attr, col.vals[code]))
		}
		r.src[i], done[i] = byCode[code], true
	}
	return nil
}

func attrSource(attr, val string) winSource {
	label := fmt.Sprintf("%s %q", attr, val)
	set, err := window.Parse(val)
	if err != nil {
		return winSource{kind: SourceInvalid, label: label, err: err.Error()}
	}
	return winSource{kind: SourceAttr, label: label, sched: set, text: set.String()}
}

func ruleSource(rule policy.WindowRule) winSource {
	return winSource{kind: SourceRule, sched: rule.Windows, text: rule.Windows.String(),
		label: fmt.Sprintf("[[windows.rule]] %d (%s %s)", rule.N, rule.Kind(), rule.Target())}
}

func (r *winResolution) fromExprRules(env *query.Env, rules []policy.WindowRule, ids []uint32, set *roaring.Bitmap, done []bool) error {
	for _, rule := range rules {
		if rule.Expr == "" {
			continue
		}
		hosts, err := evalSet(env.Ctx, env.Snap, rule.Expr, false)
		if err != nil {
			return fmt.Errorf("[[windows.rule]] %d: %w", rule.N, err)
		}
		src := int32(-1)
		each(hosts, set, ids, func(pos int) {
			if !done[pos] {
				if src < 0 {
					src = r.add(ruleSource(rule))
				}
				r.src[pos], done[pos] = src, true
			}
		})
	}
	return nil
}

func (r *winResolution) fromClusterRules(rules []policy.WindowRule, cluster *column, done []bool) {
	byCode := map[int32]policy.WindowRule{}
	for _, rule := range rules {
		if rule.Cluster == "" {
			continue
		}
		if k := slices.Index(cluster.vals, rule.Cluster); k > 0 {
			byCode[int32(k)] = rule
		}
	}
	srcOf := map[int32]int32{}
	for i, code := range cluster.codes {
		rule, ok := byCode[code]
		if done[i] || !ok {
			continue
		}
		if _, ok := srcOf[code]; !ok {
			srcOf[code] = r.add(ruleSource(rule))
		}
		r.src[i], done[i] = srcOf[code], true
	}
}

func (r *winResolution) fromRoleRules(pass fleet.Pass, w *policy.Windows, ids []uint32, set *roaring.Bitmap, done []bool) error {
	byRole := map[string]policy.WindowRule{}
	for _, rule := range w.Rules {
		if _, seen := byRole[rule.Role]; rule.Role != "" && !seen {
			byRole[rule.Role] = rule
		}
	}
	if len(byRole) == 0 {
		return nil
	}
	a, _, err := pass.Attr(w.RoleAttr)
	if err != nil || a == nil {
		return err
	}
	col := newAttrReader(a).column(ids, set)
	srcOf := map[int32]int32{}
	for i, code := range col.codes {
		rule, ok := byRole[col.vals[code]]
		if done[i] || code == 0 || !ok {
			continue
		}
		if _, ok := srcOf[code]; !ok {
			srcOf[code] = r.add(ruleSource(rule))
		}
		r.src[i], done[i] = srcOf[code], true
	}
	return nil
}

// counts are how many hosts each source kind covers, sorted by kind.
func (r *winResolution) counts() map[string]int {
	out := map[string]int{}
	for _, s := range r.src {
		out[r.sources[s].kind]++
	}
	return out
}

func sortedKinds(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

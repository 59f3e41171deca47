package actions

import (
	"fmt"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/window"
)

// The window gate of a decision: after the invariants, before the
// cluster gates and budgets. A host is approved only while its window is
// open at the decision's clock (Request.Now) and the lease it would get
// (--duration, else the verb's lease: the time fleetq counts the host
// out of service) ends before the window closes. --force --reason lifts
// every window rule, and the approval is recorded as forced.

// winVerdict is what the windows say of the hosts of one source.
type winVerdict struct {
	rule, detail string
	judged       bool
}

// winGate is the window verdict of each candidate, by position.
type winGate struct {
	res      *winResolution
	verdicts []winVerdict // by source
	now      time.Time
	lease    time.Duration
	deny     bool // a host without a window is denied
	attr     string
	note     string
}

// newWinGate resolves the candidates' windows when the policy gates the
// verb or a running week does; nil when nothing does.
func newWinGate(env *query.Env, v *view, verb string, lease time.Duration, cs *candSet) (*winGate, error) {
	sc := winScope{pol: v.pol, weeks: decisionWeeks(v.weeks, verb, v.now), policy: v.pol.Gated(verb)}
	if len(sc.weeks) == 0 && !sc.policy {
		return nil, nil
	}
	res, err := resolveWindows(env, sc, v.names, cs.ids, cs.set, cs.cluster)
	if err != nil {
		return nil, err
	}
	g := &winGate{res: res, verdicts: make([]winVerdict, len(res.sources)), now: v.now, lease: lease,
		deny: sc.policy && v.pol.MissingDenies(verb)}
	if v.pol.Windows != nil {
		g.attr = v.pol.Windows.Attr
	}
	g.note = g.summary(verb, sc)
	return g, nil
}

// check is the window rule denying a host of source s ("" when none),
// or forced when --force lifted one.
func (g *winGate) check(s int32, force bool) (rule, detail string, forced bool) {
	if g == nil {
		return "", "", false
	}
	vd := &g.verdicts[s]
	if !vd.judged {
		vd.rule, vd.detail = g.judge(&g.res.sources[s])
		vd.judged = true
	}
	if vd.rule == "" {
		return "", "", false
	}
	if force {
		return "", "", true
	}
	return vd.rule, vd.detail, false
}

// judge decides for one source at the decision's clock.
func (g *winGate) judge(s *winSource) (rule, detail string) {
	switch s.kind {
	case SourceNone:
		if !g.deny {
			return "", ""
		}
		return RuleWindowNone, g.noneDetail()
	case SourceInvalid:
		return RuleWindowInvalid, fmt.Sprintf("%s does not parse: %s (fail closed); fix the CMDB value", s.label, s.err)
	case SourceUnslotted:
		return RuleWindowNone, s.label + " while it runs: no window; --force --reason to override"
	case SourceConflict:
		return RuleWindowConflict, s.label + ": no single slot to hold it to (fail closed); cancel one week"
	}
	return g.judgeSchedule(s)
}

func (g *winGate) noneDetail() string {
	var from []string
	if g.attr != "" {
		from = append(from, "no "+g.attr+" value")
	}
	from = append(from, "no [[windows.rule]] for it")
	return strings.Join(from, " and ") + " ([windows] missing = deny, the default for a disruptive verb)"
}

func (g *winGate) judgeSchedule(s *winSource) (rule, detail string) {
	now, lease, sc := g.now, g.lease, s.sched
	if sc.Fits(now, lease) {
		return "", ""
	}
	what := fmt.Sprintf("%s: %s", s.label, s.text)
	fit, fits := sc.NextFit(now, lease)
	if sc.Open(now) {
		until, _ := sc.Until(now)
		if !fits {
			return RuleWindowTooShort, fmt.Sprintf("the %s lease from now ends %s, after the window closes at %s, and no opening within %s holds it (%s); shorten it with --duration or widen the window",
				fmtDur(lease), stamp(now.Add(lease)), g.at(s, until), horizon(s), what)
		}
		return RuleWindowOverrun, fmt.Sprintf("the %s lease from now ends %s, after the window closes at %s; it fits from %s (%s)",
			fmtDur(lease), stamp(now.Add(lease)), g.at(s, until), g.at(s, fit), what)
	}
	next, opens := sc.NextOpen(now)
	switch {
	case !opens && s.kind == SourceSlot:
		_, end := s.week.Span()
		return RuleWindowClosed, fmt.Sprintf("outside its maintenance window: the %s (%s) has passed; from %s, when the week ends, its own windows apply", s.label, s.text, stamp(end))
	case !fits:
		return RuleWindowTooShort, fmt.Sprintf("outside its maintenance window, and no opening within %s holds the %s lease (%s); shorten it with --duration or widen the window",
			horizon(s), fmtDur(lease), what)
	}
	d := fmt.Sprintf("outside its maintenance window: next opens %s (%s)", g.at(s, next), what)
	if !fit.Equal(next) {
		d += fmt.Sprintf("; the %s lease fits from %s", fmtDur(lease), g.at(s, fit))
	}
	return RuleWindowClosed, d
}

func horizon(s *winSource) string {
	if s.kind == SourceSlot {
		return "the slot"
	}
	return "two weeks"
}

// at writes an instant in UTC and in the window's local time:
// "2026-12-07T08:00:00Z (Mon 09:00 CET Europe/Berlin)".
func (g *winGate) at(s *winSource, t time.Time) string {
	loc := s.zone
	if loc == nil {
		loc = time.UTC
		if set, ok := s.sched.(window.Set); ok {
			w, open := set.OpenWindow(t)
			if !open {
				w, open = set.OpenWindow(t.Add(-time.Minute)) // a closing instant: the window that closes
			}
			if open || len(set) > 0 {
				if !open {
					w = set[0]
				}
				loc = w.Location()
			}
		}
	}
	lt := t.In(loc)
	local := lt.Format("Mon 2006-01-02 15:04 MST")
	if abbr, _ := lt.Zone(); abbr != loc.String() {
		local += " " + loc.String()
	}
	return fmt.Sprintf("%s (%s)", stamp(t), local)
}

// fmtDur writes 2h, 30m, 1h30m.
func fmtDur(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// summary is the decision's note on the windows: the clock, the lease
// that must fit, and how many candidates each kind of source covers.
func (g *winGate) summary(verb string, sc winScope) string {
	var parts []string
	counts := g.res.counts() // one pass over the candidates
	for _, k := range sortedKinds(counts) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], kindLabel(k, g.attr)))
	}
	var weeks []string
	for _, w := range sc.weeks {
		weeks = append(weeks, w.Label())
	}
	s := fmt.Sprintf("maintenance windows gate %s: checked at %s, the %s lease must fit; candidates by source: %s", verb, stamp(g.now), fmtDur(g.lease), strings.Join(parts, ", "))
	if len(weeks) > 0 {
		s += "; running week " + strings.Join(weeks, ", ") + " replaces the windows of the hosts it lists"
	}
	return s
}

func kindLabel(kind, attr string) string {
	switch kind {
	case SourceAttr:
		return "by " + attr
	case SourceRule:
		return "by [[windows.rule]]"
	case SourceSlot:
		return "by a week's slot"
	case SourceNone:
		return "without a window"
	case SourceInvalid:
		return "with an unparsable " + attr
	case SourceUnslotted:
		return "unslotted in a running week"
	}
	return "in two overlapping weeks"
}

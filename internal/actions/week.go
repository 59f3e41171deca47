package actions

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/schedule"
	"github.com/fleetq/fleetq/internal/store"
)

// The maintenance week: one, few, many over a whole location. Each step
// of a schedule takes, for each of its selections, a share of the hosts
// of the scope that match the selection's expression and that no earlier
// step or selection took, dealt rack by rack as a rollout's waves are
// (rackInterleaved), so a share spans as many racks as it can. Every
// host of the scope gets at most one slot; the ones no step took are
// the week's unslotted hosts, and the cross-check fails while any are.

// PlanWeek plans schedule s on the newest pass of env (env.Seed seeds the
// spread) into a week to record, by host name.
func PlanWeek(env *query.Env, s *schedule.Schedule, rackAttr string) (*store.Week, error) {
	p, err := planWeek(env, s, rackAttr)
	if err != nil {
		return nil, err
	}
	pass := env.Snap.Current()
	w := &store.Week{Name: s.Name, File: s.File, Scope: s.Scope, Verbs: s.Verbs, Zone: s.Zone.String(), Customer: s.Customer,
		Pass: pass.ID(), Seed: env.Seed, State: store.WeekPlanned}
	names := env.Snap.Hosts()
	for i, st := range s.Steps {
		ws := store.WeekStep{N: st.N, Name: st.Name, Start: st.Start, End: st.End, Parts: []store.WeekPart{}}
		hosts := roaring.New()
		for j, tk := range st.Takes {
			got := p.taken[i][j]
			hosts.Or(got)
			ws.Parts = append(ws.Parts, store.WeekPart{Expr: tk.Expr, Limit: tk.Max.String(), Matched: p.matched[i][j], Taken: int(got.GetCardinality())})
		}
		ws.Hosts = hostNames(names, hosts)
		w.Steps = append(w.Steps, ws)
	}
	w.Unslotted = hostNames(names, p.unslotted)
	return w, nil
}

// weekSelection is what each selection of each step took, by id.
type weekSelection struct {
	scope     *roaring.Bitmap
	matched   [][]int
	taken     [][]*roaring.Bitmap
	unslotted *roaring.Bitmap
}

func planWeek(env *query.Env, s *schedule.Schedule, rackAttr string) (*weekSelection, error) {
	scope, err := candidates(env, s.Scope)
	if err != nil {
		return nil, fmt.Errorf("%s: scope: %w", s.File, err)
	}
	pass := env.Snap.Current()
	if scope.IsEmpty() {
		return nil, fmt.Errorf("%s: scope %q selects no hosts in pass %d: nothing to plan", s.File, s.Scope, pass.ID())
	}
	rack, _, err := pass.Attr(rackAttr)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(env.Seed, env.Seed^shuffleSalt))
	p := &weekSelection{scope: scope}
	taken := roaring.New()
	for _, st := range s.Steps {
		var matched []int
		var got []*roaring.Bitmap
		for _, tk := range st.Takes {
			m, err := candidates(env, tk.Expr)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: step %d: %w", s.File, tk.Line, st.N, err)
			}
			m = roaring.And(m, scope)
			m.AndNot(taken)
			n := tk.Max.Of(int(m.GetCardinality()))
			g := roaring.BitmapOf(rackInterleaved(m, rack, rng)[:n]...)
			taken.Or(g)
			matched, got = append(matched, int(m.GetCardinality())), append(got, g)
		}
		p.matched, p.taken = append(p.matched, matched), append(p.taken, got)
	}
	p.unslotted = roaring.AndNot(scope, taken)
	return p, nil
}

// WeekHosts are the hosts a week gave a slot, and the unslotted ones.
func WeekHosts(w *store.Week) []string {
	var out []string
	for _, st := range w.Steps {
		out = append(out, st.Hosts...)
	}
	return append(out, w.Unslotted...)
}

// WeekOverlap refuses a week whose span overlaps a planned week's on
// shared hosts: a host would have two slots, and the verbs could not
// tell which is its window.
func WeekOverlap(planned []store.Week, w *store.Week) error {
	start, end := w.Span()
	mine := map[string]bool{}
	for _, h := range WeekHosts(w) {
		mine[h] = true
	}
	for i := range planned {
		o := &planned[i]
		os, oe := o.Span()
		if o.State != store.WeekPlanned || !os.Before(end) || !start.Before(oe) {
			continue
		}
		var shared []string
		for _, h := range WeekHosts(o) {
			if mine[h] {
				shared = append(shared, h)
			}
		}
		if len(shared) > 0 {
			slices.Sort(shared)
			return fmt.Errorf("%w: the week overlaps week %s (%s to %s) on %d hosts (%s): cancel it first (fleetq week cancel %s --reason TEXT)",
				ErrRefused, o.Label(), stamp(os), stamp(oe), len(shared), sample(shared, 3), o.Ref())
		}
	}
	return nil
}

func sample(hosts []string, n int) string {
	if len(hosts) <= n {
		return strings.Join(hosts, ", ")
	}
	return strings.Join(hosts[:n], ", ") + ", …"
}

// CancelWeek marks a planned week cancelled and audits it: its slots stop
// being windows.
func CancelWeek(tx *store.Tx, ref, reason, requester string, now time.Time) (*store.Week, error) {
	w, err := tx.FindWeek(ref)
	if err != nil {
		return nil, err
	}
	if w.State != store.WeekPlanned {
		return nil, fmt.Errorf("%w: week %s is %s already", ErrRefused, w.Label(), w.State)
	}
	if err := tx.RecordExpiries(now, requester); err != nil {
		return nil, err
	}
	w.State = store.WeekCancelled
	if err := tx.UpdateWeek(w); err != nil {
		return nil, err
	}
	_, err = tx.AppendAudit(&store.AuditEntry{Time: now, Requester: requester, Kind: store.KindWeekCancel, Expr: w.Scope,
		Reason: fmt.Sprintf("cancelled %s: %s", w.Label(), reason), Pass: w.Pass, LedgerVersion: tx.LedgerVersion(), Committed: true, Approved: []string{}})
	return w, err
}

// DayCount is how many hosts a week's slots starting on one day hold.
type DayCount struct {
	Day   string    `json:"day"`  // Mon, in the schedule's zone
	Date  time.Time `json:"date"` // its midnight in the zone
	Steps int       `json:"steps"`
	Hosts int       `json:"hosts"`
}

// WeekDays counts the week's hosts per day of their slot's start in loc,
// Monday first; days without a slot are left out.
func WeekDays(w *store.Week, loc *time.Location) []DayCount {
	var out []DayCount
	for _, st := range w.Steps {
		t := st.Start.In(loc)
		d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		if len(out) == 0 || !out[len(out)-1].Date.Equal(d) {
			out = append(out, DayCount{Day: t.Format("Mon"), Date: d})
		}
		out[len(out)-1].Steps++
		out[len(out)-1].Hosts += len(st.Hosts)
	}
	return out
}

// ScopeHosts are the hosts of a week's scope in env's newest pass, by
// name: what the cross-check compares the week's slots with.
func ScopeHosts(env *query.Env, scope string) ([]string, error) {
	hosts, err := candidates(env, scope)
	if err != nil {
		return nil, err
	}
	return hostNames(env.Snap.Hosts(), hosts), nil
}

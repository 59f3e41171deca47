package runfile

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/query"
)

// Report is what running a query file found, in file order within each
// kind of line.
type Report struct {
	Pass    int64    `json:"pass"`
	Created string   `json:"created"` // the pass's creation time, RFC 3339 UTC
	Seed    uint64   `json:"seed"`
	Sets    []Set    `json:"sets"`
	Asserts []Assert `json:"asserts"`
	Saved   []string `json:"saved"`
	Skipped []Skip   `json:"skipped"`

	// Bound are the sets bound by NAME = expression lines, by name, for
	// an export; Save are the bindings save lines store into the pass.
	Bound map[string]*roaring.Bitmap `json:"-"`
	Save  map[string]*roaring.Bitmap `json:"-"`

	file string
}

// Set is the summary of an expression or binding line: its count, and
// its count in the previous pass (the same line evaluated there) when it
// can be evaluated there. Watch is set for a binding a watch line names.
type Set struct {
	Name  string       `json:"name"`
	Count uint64       `json:"count"`
	Prev  *int64       `json:"prev,omitempty"`
	Watch *WatchResult `json:"watch,omitempty"`

	idx int // the line's index in File.Lines
}

// WatchResult is a watched set's recent counts and whether they moved in
// the bad direction in each of the last Steps steps.
type WatchResult struct {
	Dir    string   `json:"dir"` // up or down: the bad direction
	Steps  int      `json:"steps"`
	Counts []uint64 `json:"counts"` // oldest first, the current pass last
	Marked bool     `json:"marked"`
	// Short says why fewer than Steps+1 passes could be read; the set is
	// then not marked.
	Short string `json:"short,omitempty"`
}

// Assert verdicts.
const (
	VerdictOK    = "ok"
	VerdictFail  = "fail"
	VerdictShort = "short" // not enough passes to decide: shown, not failed
)

// Assert is the outcome of an assert line; Text is the line after
// "assert". Count is the left side's count (a trend's current count);
// Right the right side's when it is count(EXPR); Counts a trend's counts,
// oldest first. A trend that cannot read enough passes has verdict short
// and says why in Why; it does not fail the run.
type Assert struct {
	Line    int      `json:"line"`
	Text    string   `json:"text"`
	OK      bool     `json:"ok"`
	Verdict string   `json:"verdict"`
	Count   uint64   `json:"count"`
	Right   *uint64  `json:"right,omitempty"`
	Counts  []uint64 `json:"counts,omitempty"`
	Why     string   `json:"why,omitempty"`
}

// Detail is the assert's evidence, for its line in a summary:
// "count is 3", "12 <= 10", "counts 4 5 7 9", or why it is short.
func (a Assert) Detail() string {
	switch {
	case a.Verdict == VerdictShort:
		return a.Why
	case a.Counts != nil:
		return "counts " + joinCounts(a.Counts)
	case a.Right != nil:
		return fmt.Sprintf("count is %d, right side %d", a.Count, *a.Right)
	}
	return fmt.Sprintf("count is %d", a.Count)
}

func joinCounts(cs []uint64) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprint(c)
	}
	return strings.Join(parts, " ")
}

// Skip is a line that needs history the snapshot does not have yet
// (name@-1 on the first pass), or one that uses a binding such a line
// would have made.
type Skip struct {
	Line int    `json:"line"`
	Text string `json:"text"`
	Why  string `json:"why"`
}

// Failed returns the first failed assert as an *AssertError, or nil when
// every assert held or was short of history.
func (r *Report) Failed() error {
	for _, a := range r.Asserts {
		if a.Verdict == VerdictFail {
			return &AssertError{File: r.file, Assert: a}
		}
	}
	return nil
}

// Run evaluates f's lines in order against env's current pass; bindings
// are visible to the lines after them. An error is a *query.DefError
// naming the file and line; a line that needs an earlier pass is skipped
// (Report.Skipped), as is every line using what it binds. Each set's
// previous count, the watches and the trend asserts evaluate the file in
// the passes before the current one.
func Run(env *query.Env, f *File) (*Report, error) {
	cur := env.Snap.Current()
	r := &Report{
		Pass: cur.ID(), Created: cur.Created().UTC().Format("2006-01-02T15:04:05Z"), Seed: env.Seed,
		Bound: map[string]*roaring.Bitmap{}, Save: map[string]*roaring.Bitmap{}, file: f.Path,
	}
	h := newHistory(env, f)
	skipped := map[string]bool{}
	for i := range f.Lines {
		l := &f.Lines[i]
		if l.Stmt != nil {
			// NAME = … is a predicate when NAME is an attribute of the
			// current pass: decided once, in place, for every pass read.
			if err := query.Resolve(cur, l.Stmt); err != nil {
				return nil, &query.DefError{File: f.Path, Line: l.No, Err: err}
			}
		}
		if why := skipReason(l, skipped); why != "" {
			r.skip(l, why, skipped)
			continue
		}
		err := r.line(h, i)
		if isNoPass(err) {
			r.skip(l, "needs an earlier pass: "+firstLine(err.Error()), skipped)
			continue
		}
		if err != nil {
			return nil, lineError(f, l, err)
		}
	}
	r.watch(h)
	return r, nil
}

// lineError names line l of f as where err happened, unless err is
// already an earlier line's, evaluated in a pass before this one (the
// binding that failed there): its line goes with its column and text.
func lineError(f *File, l *Line, err error) error {
	var de *query.DefError
	if errors.As(err, &de) {
		return de
	}
	return &query.DefError{File: f.Path, Line: l.No, Err: err}
}

// line evaluates line i into r.
func (r *Report) line(h *history, i int) error {
	l := &h.f.Lines[i]
	switch {
	case l.Save != "":
		return r.save(h.cur, l.Save)
	case l.Assert != nil && l.Assert.Trend != nil:
		return r.trend(h, i)
	case l.Assert != nil:
		return r.assert(h, i)
	case l.Watch != nil:
		return nil // applied to the set it names, once every line ran
	}
	return r.statement(h, i)
}

func (r *Report) save(env *query.Env, name string) error {
	bm, ok := env.Bindings[name]
	if !ok {
		return fmt.Errorf("save %s: no binding %s earlier in the file", name, name)
	}
	r.Save[name] = bm
	r.Saved = append(r.Saved, name)
	return nil
}

func assertText(l *Line) string { return strings.TrimSpace(strings.TrimPrefix(l.Text, "assert")) }

func (r *Report) assert(h *history, i int) error {
	l := &h.f.Lines[i]
	a := l.Assert
	out := Assert{Line: l.No, Text: assertText(l)}
	short := func(err error) error {
		if !isNoPass(err) {
			return err
		}
		out.Verdict, out.Why = VerdictShort, "not enough passes: "+firstLine(err.Error())
		r.Asserts = append(r.Asserts, out)
		return nil
	}
	left, err := h.hosts(0, i, a.Left.Expr)
	if err != nil {
		return short(err)
	}
	out.Count = left.GetCardinality()
	right := a.Right.N
	if a.Right.Expr != nil {
		bm, err := h.hosts(0, i, a.Right.Expr)
		if err != nil {
			return short(err)
		}
		right = bm.GetCardinality()
		out.Right = &right
	}
	r.Asserts = append(r.Asserts, out.decided(compare(out.Count, a.Op, right)))
	return nil
}

// decided sets the verdict of an assert that could be evaluated.
func (a Assert) decided(ok bool) Assert {
	a.OK = ok
	a.Verdict = VerdictFail
	if ok {
		a.Verdict = VerdictOK
	}
	return a
}

// trend evaluates [not] FN(EXPR, STEPS) over the current pass and the
// STEPS before it. Too few passes is verdict short, said why.
func (r *Report) trend(h *history, i int) error {
	l := &h.f.Lines[i]
	t := l.Assert.Trend
	sets, why, err := h.series(i, t.Expr, t.Steps)
	if err != nil {
		return err
	}
	out := Assert{Line: l.No, Text: assertText(l), Count: sets[len(sets)-1].GetCardinality(), Counts: cardinalities(sets)}
	if why != "" {
		out.Verdict, out.Why = VerdictShort, why
		r.Asserts = append(r.Asserts, out)
		return nil
	}
	held := trendHolds(t.Fn, sets)
	r.Asserts = append(r.Asserts, out.decided(held != t.Not))
	return nil
}

// series is expr evaluated in the current pass and the steps before it,
// oldest first. why is set, and the series cut at the first pass that
// could not be read, when there are fewer than steps+1 passes (or expr
// cannot be evaluated in one of them); err is an error of the current pass.
func (h *history) series(i int, expr query.Node, steps int) ([]*roaring.Bitmap, string, error) {
	cur, err := h.hosts(0, i, expr)
	if err != nil {
		return nil, "", err
	}
	out := []*roaring.Bitmap{cur}
	for k := 1; k <= steps; k++ {
		bm, err := h.hosts(k, i, expr)
		if err != nil {
			slices.Reverse(out)
			return out, h.shortWhy(steps, k, err), nil
		}
		out = append(out, bm)
	}
	slices.Reverse(out)
	return out, "", nil
}

// shortWhy says why a series of steps+1 passes stopped at k passes back:
// the store has only k passes up to the current one, or an @-N inside
// reaches further back than the store goes, or the expression cannot be
// evaluated there.
func (h *history) shortWhy(steps, k int, err error) string {
	if isNoPass(err) && h.at(k).env == nil {
		return fmt.Sprintf("not enough passes: needs %d, %d so far", steps+1, k)
	}
	if isNoPass(err) {
		return fmt.Sprintf("not enough passes: in pass %d, %d back: %s", h.passID(k), k, firstLine(err.Error()))
	}
	return fmt.Sprintf("not enough passes: pass %d, %d back, cannot be evaluated: %s", h.passID(k), k, firstLine(err.Error()))
}

func cardinalities(sets []*roaring.Bitmap) []uint64 {
	out := make([]uint64, len(sets))
	for i, s := range sets {
		out[i] = s.GetCardinality()
	}
	return out
}

// trendHolds: rising and falling compare counts step by step, stuck
// compares the hosts (the same non-empty set each step).
func trendHolds(fn string, sets []*roaring.Bitmap) bool {
	for j := 1; j < len(sets); j++ {
		a, b := sets[j-1], sets[j]
		switch fn {
		case Rising:
			if b.GetCardinality() <= a.GetCardinality() {
				return false
			}
		case Falling:
			if b.GetCardinality() >= a.GetCardinality() {
				return false
			}
		case Stuck:
			if b.IsEmpty() || !b.Equals(a) {
				return false
			}
		}
	}
	return true
}

func (r *Report) statement(h *history, i int) error {
	st := h.f.Lines[i].Stmt
	res, err := h.statement(0, i, st)
	if err != nil {
		return err
	}
	name := st.Bind
	if name == "" {
		name = st.String()
	}
	s := Set{Name: name, Count: count(res), idx: i}
	if n, err := h.lineCount(1, i); err == nil {
		prev := int64(n)
		s.Prev = &prev
	}
	r.Sets = append(r.Sets, s)
	if st.Bind != "" {
		r.Bound[name] = res.Hosts
	}
	return nil
}

// watch applies each watch line to the sets of the name it watches.
func (r *Report) watch(h *history) {
	for _, l := range h.f.Lines {
		if l.Watch == nil {
			continue
		}
		for j := range r.Sets {
			if s := &r.Sets[j]; s.Name == l.Watch.Name {
				s.Watch = h.watched(s, l.Watch)
			}
		}
	}
}

// watched reads s's counts over w.Steps steps and marks it when each step
// moved in w.Dir.
func (h *history) watched(s *Set, w *Watch) *WatchResult {
	out := &WatchResult{Dir: w.Dir, Steps: w.Steps, Counts: []uint64{s.Count}}
	for k := 1; k <= w.Steps; k++ {
		n, err := h.lineCount(k, s.idx)
		if err != nil {
			out.Short = h.shortWhy(w.Steps, k, err)
			break
		}
		out.Counts = append(out.Counts, n)
	}
	slices.Reverse(out.Counts)
	if out.Short != "" {
		return out
	}
	out.Marked = true
	for j := 1; j < len(out.Counts); j++ {
		a, b := out.Counts[j-1], out.Counts[j]
		if (w.Dir == "up" && b <= a) || (w.Dir == "down" && b >= a) {
			out.Marked = false
		}
	}
	return out
}

func count(r *query.Result) uint64 {
	if r.Kind == query.CountResult {
		return r.Count
	}
	return r.Hosts.GetCardinality()
}

// skip records a skipped line; a skipped binding skips the lines using it.
func (r *Report) skip(l *Line, why string, skipped map[string]bool) {
	r.Skipped = append(r.Skipped, Skip{Line: l.No, Text: l.Text, Why: why})
	if name := l.binds(); name != "" {
		skipped[name] = true
	}
}

// skipReason says why a line must be skipped: it uses a skipped binding.
func skipReason(l *Line, skipped map[string]bool) string {
	for _, n := range l.names() {
		if skipped[n] {
			return "uses " + n + ", which was skipped"
		}
	}
	return ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

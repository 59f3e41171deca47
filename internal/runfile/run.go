package runfile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
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
// the size of the set of the same name in the previous pass when that
// pass has one.
type Set struct {
	Name  string `json:"name"`
	Count uint64 `json:"count"`
	Prev  *int64 `json:"prev,omitempty"`
}

// Assert is the outcome of an assert line; Text is the line after
// "assert".
type Assert struct {
	Line  int    `json:"line"`
	Text  string `json:"text"`
	OK    bool   `json:"ok"`
	Count uint64 `json:"count"`
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
// every assert held.
func (r *Report) Failed() error {
	for _, a := range r.Asserts {
		if !a.OK {
			return &AssertError{File: r.file, Assert: a}
		}
	}
	return nil
}

// Run evaluates f's lines in order against env's current pass; bindings
// are visible to the lines after them. An error is a *query.DefError
// naming the file and line; a line that needs an earlier pass is skipped
// (Report.Skipped), as is every line using what it binds.
func Run(env *query.Env, f *File) (*Report, error) {
	cur := env.Snap.Current()
	r := &Report{
		Pass: cur.ID(), Created: cur.Created().UTC().Format("2006-01-02T15:04:05Z"), Seed: env.Seed,
		Bound: map[string]*roaring.Bitmap{}, Save: map[string]*roaring.Bitmap{}, file: f.Path,
	}
	skipped := map[string]bool{}
	for i := range f.Lines {
		l := &f.Lines[i]
		if why := skipReason(l, skipped); why != "" {
			r.skip(l, why, skipped)
			continue
		}
		err := r.line(env, l)
		if errors.Is(err, fleet.ErrNoPass) {
			r.skip(l, "needs an earlier pass: "+firstLine(err.Error()), skipped)
			continue
		}
		if err != nil {
			return nil, &query.DefError{File: f.Path, Line: l.No, Err: err}
		}
	}
	return r, nil
}

// line evaluates one line into r.
func (r *Report) line(env *query.Env, l *Line) error {
	switch {
	case l.Save != "":
		return r.save(env, l.Save)
	case l.Assert != nil:
		return r.assert(env, l)
	}
	return r.statement(env, l.Stmt)
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

func (r *Report) assert(env *query.Env, l *Line) error {
	res, err := query.Run(env, &query.Statement{Text: l.Text, Pipeline: &query.Pipeline{Expr: l.Assert.Expr}})
	if err != nil {
		return err
	}
	n := res.Hosts.GetCardinality()
	r.Asserts = append(r.Asserts, Assert{Line: l.No, Text: strings.TrimSpace(strings.TrimPrefix(l.Text, "assert")), OK: l.Assert.holds(n), Count: n})
	return nil
}

func (r *Report) statement(env *query.Env, st *query.Statement) error {
	res, err := query.Run(env, st)
	if err != nil {
		return err
	}
	name := st.Bind
	if name == "" {
		name = st.String()
	}
	s := Set{Name: name, Count: count(res)}
	if s.Prev, err = prevCount(env, name); err != nil {
		return err
	}
	r.Sets = append(r.Sets, s)
	if st.Bind != "" {
		r.Bound[name] = res.Hosts
	}
	return nil
}

func count(r *query.Result) uint64 {
	if r.Kind == query.CountResult {
		return r.Count
	}
	return r.Hosts.GetCardinality()
}

// prevCount is the size of the set of the same name in the previous
// pass; nil when there is no previous pass or it has no such set.
func prevCount(env *query.Env, name string) (*int64, error) {
	prev, err := env.Snap.Resolve(fleet.PassRef{Rel: -1})
	if errors.Is(err, fleet.ErrNoPass) {
		return nil, nil // no previous pass
	}
	if err != nil {
		return nil, err
	}
	bm, ok, err := prev.Set(name)
	if err != nil || !ok {
		return nil, err
	}
	n := int64(bm.GetCardinality())
	return &n, nil
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

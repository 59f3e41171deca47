package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

type runOptions struct {
	export string
	seed   uint64
}

func newRunCommand(a *app) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Evaluate a saved query file (for cron): bindings, save, assert",
		Long: `Evaluate FILE against the newest pass and print one summary line per set,
with the count in the previous pass when a set of that name is stored
there, so an operator can scan it in ten seconds. Lines:

  NAME = expression           bind a set for the rest of the file
  save NAME                   store the binding NAME as a set of the newest pass
  assert count(EXPR) OP N     OP is < <= > >= == !=; a failed assert is
                              reported with its line and sets exit status 4
  expression                  print its count in the summary
  # comment

A file with save lines opens the database for writing, evaluates and saves
in one transaction; otherwise it only reads. --export DIR writes every
bound set as a sorted file (one host per line), for comm and diff.

Examples:
  fleetq run examples/hourly.fq
  fleetq run --export /var/lib/fleetq/last examples/hourly.fq
  */10 * * * * fleetq ingest ... && fleetq run /etc/fleetq/hourly.fq

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runRun(cmd.Context(), a, o, args[0]) },
	}
	cmd.Flags().StringVar(&o.export, "export", "", "write every bound set as DIR/NAME (sorted, one host per line)")
	cmd.Flags().Uint64Var(&o.seed, "seed", 0, "seed for random stages (default: random, printed)")
	return prints(cmd, (*runReport)(nil))
}

// runLine is one parsed line of a query file.
type runLine struct {
	no     int
	text   string
	stmt   *query.Statement // binding or expression
	save   string
	assert *assertion
}

type assertion struct {
	expr query.Node
	op   string
	n    uint64
}

var assertRE = regexp.MustCompile(`^assert\s+count\((.*)\)\s*(<=|>=|==|!=|<|>|=)\s*(\d+)\s*$`)
var saveRE = regexp.MustCompile(`^save\s+([A-Za-z_][A-Za-z0-9_.\-]*)\s*$`)

func parseRunFile(path string) ([]runLine, error) {
	data, err := readTextFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapErr(err))
	}
	var lines []runLine
	for i, raw := range strings.Split(string(data), "\n") {
		s := strings.TrimSpace(raw)
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		l, err := parseRunLine(s, i+1)
		if err != nil {
			return nil, &query.DefError{File: path, Line: i + 1, Err: err}
		}
		lines = append(lines, l)
	}
	return lines, nil
}

func parseRunLine(s string, no int) (runLine, error) {
	l := runLine{no: no, text: s}
	if m := saveRE.FindStringSubmatch(s); m != nil {
		l.save = m[1]
		return l, nil
	}
	if m := assertRE.FindStringSubmatch(s); m != nil {
		e, err := query.ParseExpr(m[1])
		if err != nil {
			return l, err
		}
		n, _ := strconv.ParseUint(m[3], 10, 64)
		l.assert = &assertion{expr: e, op: m[2], n: n}
		return l, nil
	}
	if strings.HasPrefix(s, "assert") {
		return l, fmt.Errorf("expected assert count(EXPR) OP NUMBER")
	}
	st, err := query.Parse(s)
	l.stmt = st
	return l, err
}

// runReport is what a run prints.
type runReport struct {
	Pass    int64         `json:"pass"`
	Created string        `json:"created"`
	Seed    uint64        `json:"seed"`
	Sets    []runSet      `json:"sets"`
	Asserts []assertState `json:"asserts"`
	Saved   []string      `json:"saved"`
	Skipped []runSkip     `json:"skipped"`
	sets    map[string][]string
}

// runSkip is a line that needs history the database does not have yet
// (name@-1 on the first pass), or a binding such a line would have made.
type runSkip struct {
	Line int    `json:"line"`
	Text string `json:"text"`
	Why  string `json:"why"`
}

type runSet struct {
	Name  string `json:"name"`
	Count uint64 `json:"count"`
	Prev  *int64 `json:"prev,omitempty"`
}

type assertState struct {
	Line  int    `json:"line"`
	Text  string `json:"text"`
	OK    bool   `json:"ok"`
	Count uint64 `json:"count"`
}

func runRun(ctx context.Context, a *app, o *runOptions, path string) error {
	lines, err := parseRunFile(path)
	if err != nil {
		return err
	}
	rep, err := evalRunFile(ctx, a, o, path, lines)
	if err != nil {
		return err
	}
	if o.export != "" {
		if err := exportBindings(o.export, rep.sets); err != nil {
			return err
		}
	}
	if err := printRun(a, rep); err != nil {
		return err
	}
	for _, as := range rep.Asserts {
		if !as.OK {
			return &exitError{code: exitAssert, err: fmt.Errorf("%s:%d: assert failed: %s (count is %d)", path, as.Line, as.Text, as.Count)}
		}
	}
	return nil
}

func hasSave(lines []runLine) bool {
	for _, l := range lines {
		if l.save != "" {
			return true
		}
	}
	return false
}

// evalRunFile evaluates in one transaction: a write one when the file
// saves sets, so what is saved is exactly what was evaluated.
func evalRunFile(ctx context.Context, a *app, o *runOptions, path string, lines []runLine) (*runReport, error) {
	var rep *runReport
	fn := func(tx *store.Tx) error {
		r, err := evalRunLines(ctx, tx, o, path, lines)
		rep = r
		return err
	}
	if !hasSave(lines) {
		return rep, a.view(fn)
	}
	db, err := a.openWrite(false)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	a.noteCreated(db)
	return rep, db.Update(fn)
}

func evalRunLines(ctx context.Context, tx *store.Tx, o *runOptions, path string, lines []runLine) (*runReport, error) {
	env, err := newEnv(ctx, tx, &queryOptions{seed: o.seed})
	if err != nil {
		return nil, err
	}
	cur := env.Snap.Current()
	rep := &runReport{Pass: cur.ID(), Created: cur.Created().Format("2006-01-02T15:04:05Z"), Seed: env.Seed, sets: map[string][]string{}}
	toSave := map[string]*roaring.Bitmap{}
	skipped := map[string]bool{}
	for _, l := range lines {
		if why := skipReason(l, skipped); why != "" {
			rep.skip(l, why, skipped)
			continue
		}
		err := evalRunLine(env, tx, l, rep, toSave)
		if errors.Is(err, store.ErrNoPass) {
			rep.skip(l, "needs an earlier pass: "+firstLine(err.Error()), skipped)
			continue
		}
		if err != nil {
			return nil, &query.DefError{File: path, Line: l.no, Err: err}
		}
	}
	if len(toSave) > 0 {
		if err := tx.SaveSets(cur.ID(), toSave); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

func evalRunLine(env *query.Env, tx *store.Tx, l runLine, rep *runReport, toSave map[string]*roaring.Bitmap) error {
	switch {
	case l.save != "":
		bm, ok := env.Bindings[l.save]
		if !ok {
			return fmt.Errorf("save %s: no binding %s earlier in the file", l.save, l.save)
		}
		toSave[l.save] = bm
		rep.Saved = append(rep.Saved, l.save)
	case l.assert != nil:
		bm, err := evalChecked(env, l.assert.expr, l.text)
		if err != nil {
			return err
		}
		n := bm.GetCardinality()
		rep.Asserts = append(rep.Asserts, assertState{Line: l.no, Text: strings.TrimSpace(strings.TrimPrefix(l.text, "assert")), OK: compareCount(n, l.assert.op, l.assert.n), Count: n})
	default:
		r, err := query.Run(env, l.stmt)
		if err != nil {
			return err
		}
		name := l.stmt.Bind
		if name == "" {
			name = l.stmt.String()
		}
		rs := runSet{Name: name, Count: resultCount(r)}
		if rs.Prev, err = prevCount(env, name); err != nil {
			return err
		}
		rep.Sets = append(rep.Sets, rs)
		if l.stmt.Bind != "" {
			rep.sets[name] = tx.Hosts().Names(r.Hosts)
		}
	}
	return nil
}

// evalChecked checks and evaluates an expression written in a file line.
func evalChecked(env *query.Env, n query.Node, text string) (*roaring.Bitmap, error) {
	st := &query.Statement{Text: text, Pipeline: &query.Pipeline{Expr: n}}
	r, err := query.Run(env, st)
	if err != nil {
		return nil, err
	}
	return r.Hosts, nil
}

func resultCount(r *query.Result) uint64 {
	if r.Kind == query.CountResult {
		return r.Count
	}
	return r.Hosts.GetCardinality()
}

// prevCount is the size of the set of the same name in the previous pass.
func prevCount(env *query.Env, name string) (*int64, error) {
	prev, err := env.Snap.Resolve(fleet.PassRef{Rel: -1})
	if err != nil {
		return nil, nil // no previous pass
	}
	bm, ok, err := prev.Set(name)
	if err != nil || !ok {
		return nil, err
	}
	n := int64(bm.GetCardinality())
	return &n, nil
}

func compareCount(n uint64, op string, want uint64) bool {
	switch op {
	case "<":
		return n < want
	case "<=":
		return n <= want
	case ">":
		return n > want
	case ">=":
		return n >= want
	case "!=":
		return n != want
	}
	return n == want
}

func exportBindings(dir string, sets map[string][]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, hosts := range sets {
		var b strings.Builder
		for _, h := range hosts {
			b.WriteString(h)
			b.WriteByte('\n')
		}
		if err := writeFileAtomic(filepath.Join(dir, name), []byte(b.String())); err != nil {
			return err
		}
	}
	return nil
}

// writeFileAtomic writes via a temp file and rename, so a reader (or a
// killed run) never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func printRun(a *app, rep *runReport) error { return a.print(rep) }

func (rep *runReport) jsonValue() any {
	v := *rep
	if v.Sets == nil {
		v.Sets = []runSet{}
	}
	if v.Asserts == nil {
		v.Asserts = []assertState{}
	}
	if v.Saved == nil {
		v.Saved = []string{}
	}
	if v.Skipped == nil {
		v.Skipped = []runSkip{}
	}
	return &v
}

func (rep *runReport) writeText(w *textWriter) {
	fmt.Fprintf(w, "pass %d (%s)\n", rep.Pass, rep.Created)
	rows := make([][]string, len(rep.Sets))
	for i, s := range rep.Sets {
		prev, change := "", ""
		if s.Prev != nil {
			prev = strconv.FormatInt(*s.Prev, 10)
			change = fmt.Sprintf("%+d", int64(s.Count)-*s.Prev)
		}
		rows[i] = []string{s.Name, strconv.FormatUint(s.Count, 10), prev, change}
	}
	writeTable(w, []string{"SET", "HOSTS", "PREV", "CHANGE"}, rows)
	for _, as := range rep.Asserts {
		verdict := "ok  "
		if !as.OK {
			verdict = "FAIL"
		}
		fmt.Fprintf(w, "assert %s line %d: %s (count is %d)\n", verdict, as.Line, as.Text, as.Count)
	}
	if len(rep.Saved) > 0 {
		fmt.Fprintf(w, "saved into pass %d: %s\n", rep.Pass, strings.Join(rep.Saved, " "))
	}
	for _, sk := range rep.Skipped {
		fmt.Fprintf(w, "skip line %d: %s (%s)\n", sk.Line, sk.Text, sk.Why)
	}
}

func unwrapErr(err error) error {
	if u, ok := err.(interface{ Unwrap() error }); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}

// skip records a skipped line; a skipped binding skips the lines using it.
func (rep *runReport) skip(l runLine, why string, skipped map[string]bool) {
	rep.Skipped = append(rep.Skipped, runSkip{Line: l.no, Text: l.text, Why: why})
	if l.stmt != nil && l.stmt.Bind != "" {
		skipped[l.stmt.Bind] = true
	}
	if l.save != "" {
		skipped[l.save] = true
	}
}

// skipReason says why a line must be skipped: it uses a skipped binding.
func skipReason(l runLine, skipped map[string]bool) string {
	var names []string
	switch {
	case l.save != "":
		names = []string{l.save}
	case l.assert != nil:
		names = query.Names(&query.Statement{Pipeline: &query.Pipeline{Expr: l.assert.expr}})
	case l.stmt != nil:
		names = query.Names(l.stmt)
	}
	for _, n := range names {
		if skipped[n] {
			return "uses " + n + ", which was skipped"
		}
	}
	return ""
}

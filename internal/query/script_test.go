package query_test

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

// Script tests: testdata/*.txt, one harness (promql's promqltest style).
//
//	# comment
//	pass [TIME|carry]     start a new pass (created an hour after the last,
//	                      at TIME, or carrying the last pass's contents)
//	hosts H…              add hosts to the pass (to all)
//	set NAME H…           add hosts to a named set
//	attr NAME TYPE H=V…   TYPE is string, number, bool, time or sampled;
//	                      a sampled value is V@-AGE (AGE before the pass's
//	                      creation, e.g. 1@-5m) or V@TIME
//	current ID            evaluate in pass ID instead of the newest
//	seed N                Env.Seed for sample, spread, stratify, split
//	eval STMT             run STMT (parsed and resolved, as the CLI does);
//	  expected…           the expected output follows, indented
//	error STMT            STMT must fail;
//	  substring           with an error containing each indented line
//	explain STMT          the explain tree: one step per line, "TEXT  SIZE"
//
// Bindings made by eval persist to the end of the file, as in a session.
// Outputs: a host set prints one host per line in byte order, or (empty);
// count prints the number; by prints "VALUE COUNT"; show prints
// "HOST V1 V2…" (- for none); split prints "batch N: H…".

// updating reports -update (defined in parse_test.go): rewrite the
// expected output of eval and explain lines.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			runScript(t, f)
		})
	}
}

type script struct {
	t        *testing.T
	file     string
	fleet    *querytest.Fleet
	current  int64
	seed     uint64
	bindings map[string]*roaring.Bitmap
	cases    int
	actual   map[int][]string // -update: the output of eval/explain by line
}

type cmdLine struct {
	line   int
	text   string
	expect []string
}

func runScript(t *testing.T, file string) {
	cmds := readScript(t, file)
	s := &script{t: t, file: file, fleet: querytest.NewFleet(), bindings: map[string]*roaring.Bitmap{}, actual: map[int][]string{}}
	for _, c := range cmds {
		s.do(c)
	}
	t.Logf("%s: %d eval/error/explain cases", file, s.cases)
	if updating() {
		rewriteScript(t, file, s.actual)
	}
}

// rewriteScript replaces the indented output under each eval and explain
// line with what it produced.
func rewriteScript(t *testing.T, file string, actual map[int][]string) {
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var out []string
	skipping := false
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if skipping && line != "" && (line[0] == ' ' || line[0] == '\t') {
			continue
		}
		out = append(out, line)
		got, ok := actual[i+1]
		skipping = ok
		for _, g := range got {
			out = append(out, "  "+g)
		}
	}
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(out, "\n")+"\n"), 0o644))
}

func readScript(t *testing.T, file string) []cmdLine {
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	var cmds []cmdLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case line[0] == ' ' || line[0] == '\t':
			require.NotEmpty(t, cmds, "%s:%d: expected output before any command", file, n)
			cmds[len(cmds)-1].expect = append(cmds[len(cmds)-1].expect, strings.TrimSpace(line))
		default:
			cmds = append(cmds, cmdLine{line: n, text: line})
		}
	}
	require.NoError(t, sc.Err())
	return cmds
}

func (s *script) where(c cmdLine) string { return fmt.Sprintf("%s:%d: %s", s.file, c.line, c.text) }

func (s *script) do(c cmdLine) {
	verb, rest, _ := strings.Cut(c.text, " ")
	rest = strings.TrimSpace(rest)
	args := strings.Fields(rest)
	switch verb {
	case "pass":
		s.newPass(c, rest)
	case "hosts":
		s.pass(c).AddHosts(args...)
	case "set":
		s.pass(c).AddSet(args[0], args[1:]...)
	case "attr":
		s.attr(c, args)
	case "current":
		id, err := strconv.ParseInt(rest, 10, 64)
		require.NoError(s.t, err, s.where(c))
		s.current = id
	case "seed":
		seed, err := strconv.ParseUint(rest, 10, 64)
		require.NoError(s.t, err, s.where(c))
		s.seed = seed
	case "eval":
		s.cases++
		s.eval(c, rest)
	case "error":
		s.cases++
		s.error(c, rest)
	case "explain":
		s.cases++
		s.explain(c, rest)
	default:
		s.t.Fatalf("%s: unknown command %q", s.where(c), verb)
	}
}

func (s *script) newPass(c cmdLine, arg string) {
	switch arg {
	case "":
		s.fleet.NewPass()
	case "carry":
		s.fleet.CarryPass()
	default:
		at, err := time.Parse(time.RFC3339, arg)
		require.NoError(s.t, err, s.where(c))
		s.fleet.NewPassAt(at)
	}
}

func (s *script) pass(c cmdLine) *querytest.Pass {
	p := s.fleet.Newest()
	require.NotNil(s.t, p, "%s: no pass yet", s.where(c))
	return p
}

func (s *script) attr(c cmdLine, args []string) {
	require.GreaterOrEqual(s.t, len(args), 2, s.where(c))
	p := s.pass(c)
	name, typ := args[0], args[1]
	kv := map[string]string{}
	for _, a := range args[2:] {
		h, v, ok := strings.Cut(a, "=")
		require.True(s.t, ok, "%s: %q is not HOST=VALUE", s.where(c), a)
		kv[h] = v
	}
	var err error
	switch typ {
	case "string":
		p.SetString(name, kv)
	case "number":
		p.SetNumber(name, mapValues(kv, &err, func(v string) (float64, error) { return strconv.ParseFloat(v, 64) }))
	case "bool":
		p.SetBool(name, mapValues(kv, &err, strconv.ParseBool))
	case "time":
		p.SetTime(name, mapValues(kv, &err, func(v string) (time.Time, error) { return time.Parse(time.RFC3339, v) }))
	case "sampled":
		p.SetSampled(name, mapValues(kv, &err, func(v string) (querytest.Sample, error) { return sample(p, v) }))
	default:
		s.t.Fatalf("%s: unknown type %q", s.where(c), typ)
	}
	require.NoError(s.t, err, s.where(c))
}

func mapValues[V any](kv map[string]string, err *error, parse func(string) (V, error)) map[string]V {
	out := make(map[string]V, len(kv))
	for k, v := range kv {
		x, e := parse(v)
		if e != nil && *err == nil {
			*err = e
		}
		out[k] = x
	}
	return out
}

// sample parses V@-AGE or V@TIME.
func sample(p *querytest.Pass, v string) (querytest.Sample, error) {
	val, at, ok := strings.Cut(v, "@")
	if !ok {
		return querytest.Sample{}, fmt.Errorf("sampled value %q needs @-AGE or @TIME", v)
	}
	f, err := strconv.ParseFloat(val, 64)
	if err != nil {
		return querytest.Sample{}, err
	}
	if age, ok := strings.CutPrefix(at, "-"); ok {
		d, err := time.ParseDuration(age)
		return querytest.Sample{V: f, At: p.Created().Add(-d)}, err
	}
	t, err := time.Parse(time.RFC3339, at)
	return querytest.Sample{V: f, At: t}, err
}

func (s *script) env() *query.Env {
	return &query.Env{Snap: s.fleet.SnapshotAt(s.current), Bindings: s.bindings, Seed: s.seed}
}

func parse(env *query.Env, text string) (*query.Statement, error) {
	st, err := query.Parse(text)
	if err != nil {
		return nil, err
	}
	return st, query.Resolve(env.Snap.Current(), st)
}

func (s *script) run(env *query.Env, text string) (*query.Result, error) {
	st, err := parse(env, text)
	if err != nil {
		return nil, err
	}
	return query.Run(env, st)
}

func (s *script) eval(c cmdLine, text string) {
	r, err := s.run(s.env(), text)
	require.NoError(s.t, err, s.where(c))
	got := s.render(r)
	if updating() {
		s.actual[c.line] = got
		return
	}
	require.Equal(s.t, c.expect, got, s.where(c))
}

func (s *script) error(c cmdLine, text string) {
	_, err := s.run(s.env(), text)
	require.Error(s.t, err, s.where(c))
	require.NotEmpty(s.t, c.expect, "%s: error needs an expected substring", s.where(c))
	for _, sub := range c.expect {
		require.Contains(s.t, err.Error(), sub, s.where(c))
	}
}

func (s *script) explain(c cmdLine, text string) {
	env := s.env()
	st, err := parse(env, text)
	require.NoError(s.t, err, s.where(c))
	steps, _, err := query.Explain(env, st)
	require.NoError(s.t, err, s.where(c))
	var got []string
	for _, st := range steps {
		got = append(got, strings.Repeat(". ", st.Depth)+st.Text+"  "+strconv.FormatUint(st.Size, 10))
	}
	if updating() {
		s.actual[c.line] = got
		return
	}
	require.Equal(s.t, c.expect, got, s.where(c))
}

func (s *script) render(r *query.Result) []string {
	names := func(bm *roaring.Bitmap) string {
		n := s.fleet.Names(bm)
		if len(n) == 0 {
			return "(empty)"
		}
		return strings.Join(n, " ")
	}
	var out []string
	switch r.Kind {
	case query.HostsResult:
		out = s.fleet.Names(r.Hosts)
		if len(out) == 0 {
			out = []string{"(empty)"}
		}
	case query.CountResult:
		out = []string{strconv.FormatUint(r.Count, 10)}
	case query.GroupsResult:
		for _, g := range r.Groups {
			out = append(out, fmt.Sprintf("%s %d", g.Value, g.Count))
		}
	case query.ShowResult:
		out = s.show(r)
	case query.BatchesResult:
		for i, b := range r.Batches {
			out = append(out, fmt.Sprintf("batch %d: %s", i+1, names(b)))
		}
	}
	return out
}

func (s *script) show(r *query.Result) []string {
	var out []string
	for _, h := range s.fleet.Names(r.Hosts) {
		row := []string{h}
		id := s.fleet.ID(h)
		for _, a := range r.ColumnAttrs {
			v, ok := a.Value(id)
			if !ok {
				row = append(row, "-")
				continue
			}
			row = append(row, v.String())
		}
		out = append(out, strings.Join(row, " "))
	}
	return out
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store/storetest"
)

// histFleet is a small random fleet that changes a little every pass:
// hosts come and go, lifecycles and kernels change, host lists shift.
type histFleet struct {
	t     *testing.T
	dir   string
	db    string
	r     *rand.Rand
	next  int
	hosts map[string]*histHost
	pass  int
}

type histHost struct {
	life, kernel, serial string
	rank                 int
	exclude              bool
}

var histLives = []string{"active", "active", "active", "dead", "repair"}

func newHistFleet(t *testing.T, n int) *histFleet {
	seed := uint64(time.Now().UnixNano())
	t.Logf("fleet seed %d", seed)
	dir := t.TempDir()
	f := &histFleet{t: t, dir: dir, db: filepath.Join(dir, "fleetq.db"), r: rand.New(rand.NewPCG(seed, 3)), hosts: map[string]*histHost{}}
	for range n {
		f.add()
	}
	return f
}

func (f *histFleet) add() {
	f.next++
	f.hosts[fmt.Sprintf("h%05d.%s", f.next, []string{"smf1", "atla", "pdx2"}[f.r.IntN(3)])] = &histHost{
		life: histLives[f.r.IntN(len(histLives))], kernel: "5.15." + fmt.Sprint(f.r.IntN(3)),
		serial: fmt.Sprintf("SN%08d", f.r.IntN(1e8)), rank: f.r.IntN(40), exclude: f.r.IntN(10) == 0,
	}
}

// churn changes about n hosts: some leave, as many arrive, others change.
func (f *histFleet) churn(n int) {
	names := f.names()
	for range n {
		h := f.hosts[names[f.r.IntN(len(names))]]
		switch f.r.IntN(4) {
		case 0:
			h.life = histLives[f.r.IntN(len(histLives))]
		case 1:
			h.kernel = "5.15." + fmt.Sprint(3+f.r.IntN(3))
		case 2:
			h.exclude = !h.exclude
		default:
			h.rank = f.r.IntN(40)
		}
	}
	for range max(1, n/5) {
		names = f.names()
		delete(f.hosts, names[f.r.IntN(len(names))])
		f.add()
	}
}

func (f *histFleet) names() []string {
	out := make([]string, 0, len(f.hosts))
	for h := range f.hosts {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// ingest writes the fleet's files and ingests them as the next pass.
func (f *histFleet) ingest() {
	f.pass++
	dir := filepath.Join(f.dir, fmt.Sprintf("src-%03d", f.pass))
	require.NoError(f.t, os.MkdirAll(dir, 0o755))
	var inv, dead, odd strings.Builder
	inv.WriteString("host,lifecycle,kernel,serial,rank,hadoop_exclude\n")
	for _, name := range f.names() {
		h := f.hosts[name]
		fmt.Fprintf(&inv, "%s,%s,%s,%s,%d,%t\n", name, h.life, h.kernel, h.serial, h.rank, h.exclude)
		if h.life == "dead" {
			dead.WriteString(name + "\n")
		}
		if h.rank%7 == 3 {
			odd.WriteString(name + "\n")
		}
	}
	for name, body := range map[string]string{"inventory.csv": inv.String(), "dead": dead.String(), "odd-rank": odd.String()} {
		require.NoError(f.t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	at := time.Date(2026, 11, 20, f.pass, 0, 0, 0, time.UTC).Format(time.RFC3339)
	f.ok("ingest", "--at", at, filepath.Join(dir, "inventory.csv"), "hosts:"+filepath.Join(dir, "dead"), "hosts:"+filepath.Join(dir, "odd-rank"))
}

// fq runs fleetq in-process against the fleet's database.
func (f *histFleet) fq(args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"--db", f.db}, args...), strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

func (f *histFleet) ok(args ...string) string {
	f.t.Helper()
	out, errOut, code := f.fq(args...)
	require.Equal(f.t, 0, code, "fleetq %s: %s", strings.Join(args, " "), errOut)
	return out
}

func lines(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// comm runs the real comm(1) with LC_ALL=C.
func comm(t *testing.T, flag, a, b string) []string {
	t.Helper()
	cmd := exec.Command("comm", flag, a, b)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.Output()
	require.NoError(t, err, "comm %s %s %s", flag, a, b)
	return lines(string(out))
}

func TestDiffAgreesWithCommAndSetExpressions(t *testing.T) {
	if _, err := exec.LookPath("comm"); err != nil {
		t.Skip("comm(1) not installed")
	}
	f := newHistFleet(t, 400)
	f.ingest()
	f.churn(40)
	f.ingest()
	a, b := filepath.Join(f.dir, "export-1"), filepath.Join(f.dir, "export-2")
	f.ok("export", "--pass", "1", a)
	f.ok("export", b)

	var rep diffReport
	require.NoError(t, json.Unmarshal([]byte(f.ok("diff", "--format", "json")), &rep))
	require.Equal(t, int64(1), rep.A.ID)
	require.Equal(t, int64(2), rep.B.ID)
	changed := 0
	for _, s := range rep.Sets {
		require.True(t, s.InA && s.InB, s.Name)
		pa, pb := filepath.Join(a, s.Name), filepath.Join(b, s.Name)
		assert.Equal(t, comm(t, "-13", pa, pb), s.Entered, "entered %s", s.Name)
		assert.Equal(t, comm(t, "-23", pa, pb), s.Left, "left %s", s.Name)
		assert.Equal(t, int(s.CountA), len(lines(mustRead(t, pa))), s.Name)
		assert.Equal(t, lines(f.ok("query", s.Name+" - "+s.Name+"@-1")), s.Entered, "set expression for %s", s.Name)
		assert.Equal(t, lines(f.ok("query", s.Name+"@-1 - "+s.Name)), s.Left, "set expression for %s", s.Name)
		if len(s.Entered)+len(s.Left) > 0 {
			changed++
		}
	}
	assert.Greater(t, changed, 2, "the churn changed several sets")
	for _, name := range []string{"all", "inventory", "dead", "odd-rank", "hadoop_exclude"} {
		assert.FileExists(t, filepath.Join(b, name))
	}

	// The text form: summary first, then +/- lines that match the JSON.
	text := f.ok("diff", "1", "2", "dead")
	assert.True(t, strings.HasPrefix(text, "pass 1 ("), text)
	var plus, minus []string
	for _, l := range lines(text) {
		switch {
		case strings.HasPrefix(l, "+") && !strings.Contains(l, " "):
			plus = append(plus, l[1:])
		case strings.HasPrefix(l, "-") && !strings.Contains(l, " "):
			minus = append(minus, l[1:])
		}
	}
	assert.Equal(t, comm(t, "-13", filepath.Join(a, "dead"), filepath.Join(b, "dead")), nonNil(plus))
	assert.Equal(t, comm(t, "-23", filepath.Join(a, "dead"), filepath.Join(b, "dead")), nonNil(minus))
}

func mustRead(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestDiffAttrs(t *testing.T) {
	f := newHistFleet(t, 200)
	f.ingest()
	names := f.names()
	h, k := f.hosts[names[10]], f.hosts[names[11]]
	oldLife, oldRank, oldKernel := h.life, h.rank, k.kernel
	h.life, h.rank, k.kernel = "decommissioned", 99, "6.1.0"
	f.ingest()
	var rep diffReport
	require.NoError(t, json.Unmarshal([]byte(f.ok("diff", "--attrs", "--format", "json")), &rep))
	got := map[string]string{}
	for _, c := range rep.Attrs {
		got[c.Host+" "+c.Attr] = orNone(c.Old) + " → " + orNone(c.New)
	}
	assert.Equal(t, map[string]string{
		names[10] + " lifecycle": oldLife + " → decommissioned",
		names[10] + " rank":      fmt.Sprint(oldRank) + " → 99",
		names[11] + " kernel":    oldKernel + " → 6.1.0",
	}, got)
	text := f.ok("diff", "--attrs")
	assert.Contains(t, text, "# attribute changes: 3")
	assert.Regexp(t, names[10]+` +lifecycle +`+oldLife+` → decommissioned`, text)
}

func TestDiffArguments(t *testing.T) {
	f := newHistFleet(t, 50)
	f.ingest()
	_, errOut, code := f.fq("diff")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "diff needs two passes")
	f.churn(5)
	f.ingest()
	f.churn(5)
	f.ingest()
	var rep diffReport
	require.NoError(t, json.Unmarshal([]byte(f.ok("diff", "--format", "json", "--", "-2", "0", "dead")), &rep))
	assert.Equal(t, []int64{1, 3}, []int64{rep.A.ID, rep.B.ID})
	require.Len(t, rep.Sets, 1)
	assert.Equal(t, "dead", rep.Sets[0].Name)
	require.NoError(t, json.Unmarshal([]byte(f.ok("diff", "--format", "json", "1")), &rep))
	assert.Equal(t, []int64{1, 3}, []int64{rep.A.ID, rep.B.ID})
	_, errOut, code = f.fq("diff", "1", "2", "no_such_set")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, `no set "no_such_set"`)
	folded := f.ok("diff", "--format", "folded", "1", "3", "all")
	assert.Regexp(t, `(?m)^\+ h`, folded)
}

func TestExportFiles(t *testing.T) {
	f := newHistFleet(t, 100)
	for _, h := range f.hosts {
		if h.life == "dead" {
			h.life = "active"
		}
	}
	f.ingest()
	dir := filepath.Join(f.dir, "out")
	f.ok("export", dir)
	assert.Equal(t, "", mustRead(t, filepath.Join(dir, "dead")), "an empty set is an empty file")
	all := mustRead(t, filepath.Join(dir, "all"))
	assert.True(t, strings.HasSuffix(all, "\n"))
	assert.True(t, slices.IsSorted(lines(all)))
	assert.Equal(t, f.names(), lines(all))
	manifest := mustRead(t, filepath.Join(dir, "MANIFEST"))
	assert.Contains(t, manifest, "pass\t1\n")
	assert.Regexp(t, `(?m)^all\t100\t[0-9a-f]{64}\tevery host of pass 1$`, manifest)
	assert.Regexp(t, `(?m)^dead\t0\te3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\tsource hosts:`, manifest)

	// A later export into the same directory drops sets that are gone.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "unrelated.txt"), []byte("keep me\n"), 0o644))
	f.ok("export", dir)
	assert.FileExists(t, filepath.Join(dir, "unrelated.txt"), "files export did not write stay")
	var m exportManifest
	require.NoError(t, json.Unmarshal([]byte(f.ok("export", "--format", "json", dir)), &m))
	assert.Equal(t, int64(1), m.Pass)
	assert.Len(t, m.Sets, 5)
}

func TestGCKeepsRemainingPassesIdentical(t *testing.T) {
	f := newHistFleet(t, 300)
	for range 6 {
		f.ingest()
		f.churn(20)
	}
	before := map[int]string{}
	for p := 3; p <= 6; p++ {
		dir := filepath.Join(f.dir, fmt.Sprintf("before-%d", p))
		f.ok("export", "--pass", fmt.Sprint(p), dir)
		before[p] = dir
	}
	diffBefore := f.ok("diff", "--attrs", "3", "6")

	out := f.ok("gc", "--keep-last", "4", "--dry-run")
	assert.Contains(t, out, "would remove 2 passes (1-2); kept 4 (3-6)")
	_, errOut, code := f.fq("gc", "--keep-last", "4")
	assert.Equal(t, exitUsage, code, "no --yes and no terminal")
	assert.Contains(t, errOut, "add --yes")
	out = f.ok("gc", "--keep-last", "4", "--yes")
	assert.Contains(t, out, "removed 2 passes (1-2); kept 4 (3-6)")
	assert.Regexp(t, `file: .* → .*`, out)
	storetest.MustCheck(t, f.db)

	passes := f.ok("passes", "--format", "json")
	var ps []struct{ ID int64 }
	require.NoError(t, json.Unmarshal([]byte(passes), &ps))
	assert.Len(t, ps, 4)
	for p, dir := range before {
		after := filepath.Join(f.dir, fmt.Sprintf("after-%d", p))
		f.ok("export", "--pass", fmt.Sprint(p), after)
		assert.Equal(t, mustRead(t, filepath.Join(dir, "MANIFEST")), mustRead(t, filepath.Join(after, "MANIFEST")), "pass %d", p)
	}
	assert.Equal(t, diffBefore, f.ok("diff", "--attrs", "3", "6"))

	// The newest pass always stays; more passes can still be added.
	f.ok("gc", "--keep-since", "1s", "--yes")
	require.NoError(t, json.Unmarshal([]byte(f.ok("passes", "--format", "json")), &ps))
	require.Len(t, ps, 1)
	assert.Equal(t, int64(6), ps[0].ID)
	f.ingest()
	storetest.MustCheck(t, f.db)
	_, errOut, code = f.fq("gc", "--keep-last", "2", "--keep-since", "1h")
	assert.Equal(t, exitUsage, code, errOut)
}

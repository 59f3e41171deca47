package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// driftFixture is the demo generator's fleet ingested as the demo does
// (inventory, Prometheus up, node_uname_info as the source uname), with
// examples/policy.toml and its [drift] section.
type driftFixture struct {
	t          *testing.T
	dir, db    string
	policy     string
	pass       string // the generator's pass directory
	kernel     map[string]string
	cluster    map[string]string
	release    map[string]string
	inventory  []string
	unameHosts []string
}

func newDriftFixture(t *testing.T) *driftFixture {
	dir := t.TempDir()
	f := &driftFixture{t: t, dir: dir, db: filepath.Join(dir, "fleet.db"), pass: filepath.Join(generateDemoPass(t, dir), "pass-001")}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	f.policy = filepath.Join(root, "examples", "policy.toml")
	inv := filepath.Join(f.pass, "inventory.csv")
	f.inventory = csvHosts(t, inv)
	f.kernel = zipColumns(f.inventory, csvColumn(t, inv, "kernel"))
	f.cluster = zipColumns(f.inventory, csvColumn(t, inv, "cluster"))
	f.release = unameReleases(t, filepath.Join(f.pass, "prom-uname.json"))
	for h := range f.release {
		f.unameHosts = append(f.unameHosts, h)
	}
	slices.Sort(f.unameHosts)
	return f
}

// generateDemoPass runs the demo generator for one pass of the demo's
// size and seed (5,000 hosts, seed 7): enough drift to bound a list.
func generateDemoPass(t *testing.T, dir string) string {
	gen := filepath.Join(dir, "genfleet")
	out, err := exec.Command("go", "build", "-o", gen, "github.com/fleetq/fleetq/examples/genfleet").CombinedOutput()
	require.NoError(t, err, "%s", out)
	fleet := filepath.Join(dir, "fleet")
	out, err = exec.Command(gen, "--out", fleet, "--hosts", "5000", "--passes", "1", "--seed", "7").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return fleet
}

func zipColumns(keys, vals []string) map[string]string {
	m := map[string]string{}
	for i, k := range keys {
		m[k] = vals[i]
	}
	return m
}

// unameReleases reads host → release from a node_uname_info answer.
func unameReleases(t *testing.T, path string) map[string]string {
	var resp struct {
		Data struct {
			Result []struct{ Metric map[string]string }
		}
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &resp))
	out := map[string]string{}
	for _, r := range resp.Data.Result {
		require.Equal(t, "node_uname_info", r.Metric["__name__"])
		out[strings.TrimSuffix(r.Metric["instance"], ":9100")] = r.Metric["release"]
	}
	require.NotEmpty(t, out)
	return out
}

func (f *driftFixture) run(args ...string) (string, string, int) {
	f.t.Helper()
	cmd := exec.Command(fleetqBin, append([]string{"--db", f.db}, args...)...)
	return runCmd(f.t, cmd)
}

func (f *driftFixture) ok(args ...string) string {
	f.t.Helper()
	out, errOut, code := f.run(args...)
	require.Equal(f.t, 0, code, "fleetq %s\n%s%s", strings.Join(args, " "), out, errOut)
	return out
}

func (f *driftFixture) ingest(extra ...string) {
	f.ok(append([]string{"ingest", "--at", "2026-11-20T00:05:00Z", filepath.Join(f.pass, "inventory.csv"),
		filepath.Join(f.pass, "prom-up.json"), "prom:uname=" + filepath.Join(f.pass, "prom-uname.json")}, extra...)...)
}

// expectedClass applies examples/policy.toml's [[drift.rule]] by hand.
func (f *driftFixture) expectedClass(h string) (class, rule string) {
	k, r := f.kernel[h], f.release[h]
	switch {
	case strings.Contains(f.cluster[h], "-critical-"):
		return "risky", "critical-clusters"
	case k == "5.15.0-105-generic" && r == "5.15.0-91-generic":
		return "safe", "previous-kernel"
	case k == "6.8.0-45-generic" && r == "5.15.0-105-generic":
		return "safe", "previous-kernel-6.8"
	}
	return "risky", "default"
}

type driftReportJSON struct {
	Pass  int64 `json:"pass"`
	Attrs []struct {
		Declared   string `json:"declared"`
		Agree      int    `json:"agree"`
		Drifted    int    `json:"drifted"`
		Safe       int    `json:"safe"`
		Risky      int    `json:"risky"`
		Unobserved int    `json:"unobserved"`
		Undeclared int    `json:"undeclared"`
		Observers  []struct {
			Attr  string `json:"attr"`
			Hosts int    `json:"hosts"`
		} `json:"observers"`
		Rules []struct {
			Rule  string `json:"rule"`
			Class string `json:"class"`
			Hosts int    `json:"hosts"`
		} `json:"rules"`
		Hosts []struct {
			Host     string `json:"host"`
			Declared string `json:"declared"`
			Observed []struct {
				Attr  string `json:"attr"`
				Value string `json:"value"`
			} `json:"observed"`
			Class string `json:"class"`
			Rule  string `json:"rule"`
		} `json:"hosts"`
		Notes []string `json:"notes"`
	} `json:"attrs"`
	Saved []string `json:"saved"`
}

func (f *driftFixture) report(args ...string) driftReportJSON {
	f.t.Helper()
	var rep driftReportJSON
	out := f.ok(append([]string{"drift", "--format", "json", "--policy", f.policy}, args...)...)
	require.NoError(f.t, json.Unmarshal([]byte(out), &rep), out)
	return rep
}

// TestDriftDemoFleet: on the demo generator's fleet, fleetq drift finds
// exactly the hosts the hand-written query finds, classed as the
// example policy's rules say (checked from the raw files), with the
// unobserved hosts the set algebra finds; --save stores sets the
// language reads; a plain run writes nothing.
func TestDriftDemoFleet(t *testing.T) {
	f := newDriftFixture(t)
	f.ingest()
	handWritten := lines(f.ok("query", "node_uname.release exists & kernel != node_uname.release"))
	var fromFiles, safe, risky []string
	for _, h := range f.unameHosts {
		if k, ok := f.kernel[h]; ok && k != f.release[h] {
			fromFiles = append(fromFiles, h)
			if c, _ := f.expectedClass(h); c == "safe" {
				safe = append(safe, h)
			} else {
				risky = append(risky, h)
			}
		}
	}
	require.Equal(t, fromFiles, handWritten, "the query and the raw files agree")
	require.NotEmpty(t, safe, "the generator makes safe drifts")
	require.NotEmpty(t, risky, "the generator makes risky drifts")

	before, err := os.ReadFile(f.db)
	require.NoError(t, err)
	rep := f.report()
	after, err := os.ReadFile(f.db)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(before, after), "fleetq drift without --save leaves the file byte-identical")

	require.Len(t, rep.Attrs, 1)
	a := rep.Attrs[0]
	assert.Equal(t, "kernel", a.Declared)
	assert.Equal(t, len(handWritten), a.Drifted)
	assert.Equal(t, len(safe), a.Safe)
	assert.Equal(t, len(risky), a.Risky)
	var got []string
	for _, h := range a.Hosts {
		got = append(got, h.Host)
		class, rule := f.expectedClass(h.Host)
		assert.Equal(t, class, h.Class, h.Host)
		assert.Equal(t, rule, h.Rule, h.Host)
		assert.Equal(t, f.kernel[h.Host], h.Declared, h.Host)
		require.Len(t, h.Observed, 1, h.Host)
		assert.Equal(t, "node_uname.release", h.Observed[0].Attr)
		assert.Equal(t, f.release[h.Host], h.Observed[0].Value)
	}
	assert.Equal(t, handWritten, got)

	unobserved := strings.TrimSpace(f.ok("query", "kernel exists - node_uname.release exists | count"))
	assert.Equal(t, unobserved, itoa(a.Unobserved))
	assert.Equal(t, strings.TrimSpace(f.ok("query", "inventory - uname | count")), itoa(a.Unobserved))
	assert.Equal(t, len(f.inventory)-len(handWritten)-a.Unobserved, a.Agree)
	assert.Equal(t, 0, a.Undeclared)
	assert.Equal(t, []string{"no host of pass 1 has k8s.kernel"}, a.Notes)
	assert.Equal(t, len(f.unameHosts), a.Observers[0].Hosts)
	assert.Nil(t, rep.Saved)

	_, _, code := f.run("query", "drift.kernel.safe")
	assert.Equal(t, 1, code, "no set before --save")
	saved := f.report("--save")
	assert.Equal(t, []string{"drift.kernel", "drift.kernel.risky", "drift.kernel.safe", "drift.kernel.unobserved"}, saved.Saved)
	assert.Equal(t, handWritten, lines(f.ok("query", "drift.kernel")))
	assert.Equal(t, safe, lines(f.ok("query", "drift.kernel.safe")))
	assert.Equal(t, risky, lines(f.ok("query", "drift.kernel.risky")))
	assert.Equal(t, unobserved, strings.TrimSpace(f.ok("query", "drift.kernel.unobserved | count")))
	assert.Equal(t, lines(f.ok("query", "kernel exists - node_uname.release exists")), lines(f.ok("query", "drift.kernel.unobserved")))
	assert.Contains(t, f.ok("sets"), "drift.kernel.safe")
	plan := f.ok("reboot", "drift.kernel.safe", "--reason", "boot the declared kernel", "--seed", "1", "--policy", f.policy)
	assert.Contains(t, plan, "reboot 'drift.kernel.safe': "+itoa(len(safe))+" hosts selected")

	f.ingest()
	_, errOut, code := f.run("query", "drift.kernel.safe")
	assert.Equal(t, 1, code, "a new pass has no drift sets until drift --save runs on it")
	assert.Contains(t, errOut, `no set "drift.kernel.safe" in pass 2`)
	assert.Equal(t, safe, lines(f.ok("query", "drift.kernel.safe@1")), "pass 1 keeps its sets")
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestDriftFormats: the text counts first and bounds the host list;
// --all lists every host; csv has a row per drifted host and observer;
// --check exits 4 on a risky drift and 0 when every drift is safe.
func TestDriftFormats(t *testing.T) {
	f := newDriftFixture(t)
	f.ingest()
	rep := f.report()
	a := rep.Attrs[0]
	require.Greater(t, a.Drifted, driftShown, "enough drift to bound the list")

	text := f.ok("drift", "--policy", f.policy)
	assert.Contains(t, text, "kernel: observed as node_uname.release ("+itoa(len(f.unameHosts))+" hosts), k8s.kernel (0 hosts)\n")
	assert.Regexp(t, `\n  agree +`+itoa(a.Agree)+`\n  drifted +`+itoa(a.Drifted)+`  \(safe `+itoa(a.Safe)+`, risky `+itoa(a.Risky)+`\)\n  unobserved +`+itoa(a.Unobserved)+`\n  undeclared +0\n`, text)
	assert.Contains(t, text, "  … 20 of "+itoa(a.Drifted)+" drifted hosts shown (--all lists every one")
	assert.Contains(t, text, "nothing saved (--save stores")
	listed := 0
	firstSafe := -1
	for i, l := range strings.Split(text, "\n") {
		for _, h := range a.Hosts {
			if strings.HasPrefix(l, "  "+h.Host+" ") {
				listed++
				if h.Class == "safe" && firstSafe < 0 {
					firstSafe = i
				}
				if h.Class == "risky" {
					assert.Less(t, firstSafe, 0, "risky hosts are listed first: %s", l)
				}
			}
		}
	}
	assert.Equal(t, driftShown, listed)
	all := f.ok("drift", "--policy", f.policy, "--all")
	for _, h := range a.Hosts {
		assert.Regexp(t, `\n  `+strings.ReplaceAll(h.Host, ".", `\.`)+` +`+h.Class+` +`+h.Rule+` +`+h.Declared+` +`+h.Observed[0].Value+` \(node_uname.release\)\n`, all)
	}
	assert.NotContains(t, all, "drifted hosts shown")

	records, err := csv.NewReader(strings.NewReader(f.ok("drift", "--policy", f.policy, "--format", "csv"))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"attr", "host", "class", "rule", "declared", "observer", "observed"}, records[0])
	require.Len(t, records, a.Drifted+1)
	for i, h := range a.Hosts {
		assert.Equal(t, []string{"kernel", h.Host, h.Class, h.Rule, h.Declared, "node_uname.release", h.Observed[0].Value}, records[i+1])
	}

	_, errOut, code := f.run("drift", "--policy", f.policy, "--check")
	assert.Equal(t, 4, code)
	assert.Contains(t, errOut, "drift: "+itoa(a.Risky)+" risky drifts")
	lenient := filepath.Join(f.dir, "lenient.toml")
	require.NoError(t, os.WriteFile(lenient, []byte("[[archetype]]\nname = \"all\"\nany = { pct = 5 }\n\n[drift]\nkernel = [\"node_uname.release\"]\n\n[[drift.rule]]\nname = \"any\"\nobserved = \"*\"\nclass = \"safe\"\n"), 0o644))
	out := f.ok("drift", "--policy", lenient, "--check", "--format", "json")
	assert.Contains(t, out, `"risky": 0`)

	_, errOut, code = f.run("drift", "nosuch", "--policy", f.policy)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `"nosuch" is not a declared attribute of the policy's [drift] (expected one of kernel)`)
}

// TestDriftObserversDisagree: a second observer (Kubernetes' nodeInfo)
// that disagrees with node_exporter makes the host drifted and risky
// whatever the rules say, and one that only it reports is observed.
func TestDriftObserversDisagree(t *testing.T) {
	f := newDriftFixture(t)
	var agreeing, silent string
	for _, h := range f.inventory {
		_, up := f.release[h]
		switch {
		case agreeing == "" && up && f.release[h] == f.kernel[h] && f.kernel[h] == "5.15.0-105-generic" && !strings.Contains(f.cluster[h], "critical"):
			agreeing = h
		case silent == "" && !up && f.kernel[h] != "":
			silent = h
		}
	}
	require.NotEmpty(t, agreeing)
	require.NotEmpty(t, silent)
	// agreeing: node_exporter agrees, the kubelet reports the previous
	// kernel (a rule would call that safe); silent: only the kubelet
	// reports it, with the declared kernel.
	nodes := []map[string]any{
		{"kind": "Node", "metadata": map[string]any{"name": agreeing}, "status": map[string]any{"nodeInfo": map[string]any{"kernelVersion": "5.15.0-91-generic"}}},
		{"kind": "Node", "metadata": map[string]any{"name": silent}, "status": map[string]any{"nodeInfo": map[string]any{"kernelVersion": f.kernel[silent]}}},
	}
	data, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": nodes})
	require.NoError(t, err)
	k8s := filepath.Join(f.dir, "nodes.json")
	require.NoError(t, os.WriteFile(k8s, data, 0o644))
	f.ingest("k8s:" + k8s)
	before := f.report()
	a := before.Attrs[0]
	var host *struct {
		Host     string `json:"host"`
		Declared string `json:"declared"`
		Observed []struct {
			Attr  string `json:"attr"`
			Value string `json:"value"`
		} `json:"observed"`
		Class string `json:"class"`
		Rule  string `json:"rule"`
	}
	for i := range a.Hosts {
		if a.Hosts[i].Host == agreeing {
			host = &a.Hosts[i]
		}
		assert.NotEqual(t, silent, a.Hosts[i].Host)
	}
	require.NotNil(t, host, "a host one observer disagrees on is drifted")
	assert.Equal(t, "risky", host.Class)
	assert.Equal(t, "observers-disagree", host.Rule)
	require.Len(t, host.Observed, 2)
	assert.Equal(t, "node_uname.release", host.Observed[0].Attr)
	assert.Equal(t, "5.15.0-105-generic", host.Observed[0].Value)
	assert.Equal(t, "k8s.kernel", host.Observed[1].Attr)
	assert.Equal(t, "5.15.0-91-generic", host.Observed[1].Value)
	assert.Empty(t, a.Notes)
	assert.Equal(t, 2, a.Observers[1].Hosts)
	unobserved := lines(f.ok("query", "kernel exists - node_uname.release exists - k8s.kernel exists"))
	assert.Equal(t, len(unobserved), a.Unobserved)
	assert.NotContains(t, unobserved, silent, "the kubelet observed it")
	rows, err := csv.NewReader(strings.NewReader(f.ok("drift", "--policy", f.policy, "--format", "csv"))).ReadAll()
	require.NoError(t, err)
	assert.Contains(t, rows, []string{"kernel", agreeing, "risky", "observers-disagree", "5.15.0-105-generic", "k8s.kernel", "5.15.0-91-generic"})
	assert.Contains(t, rows, []string{"kernel", agreeing, "risky", "observers-disagree", "5.15.0-105-generic", "node_uname.release", "5.15.0-105-generic"})
}

// TestDriftBadPolicy: a bad [drift] key or rule is one line naming the
// file and line, nothing is written; policy check names it too.
func TestDriftBadPolicy(t *testing.T) {
	f := newDriftFixture(t)
	f.ingest()
	good, err := os.ReadFile(f.policy)
	require.NoError(t, err)
	lineOf := func(text, sub string) string {
		for i, l := range strings.Split(text, "\n") {
			if strings.Contains(l, sub) {
				return itoa(i + 1)
			}
		}
		t.Fatalf("%q not in the policy", sub)
		return ""
	}
	bad := filepath.Join(f.dir, "bad.toml")
	ruleHeader := func(text, sub string) string { // the [[drift.rule]] above sub
		n := 0
		for i, l := range strings.Split(text, "\n") {
			if strings.Contains(l, sub) {
				return itoa(n)
			}
			if strings.HasPrefix(l, "[[drift.rule]]") {
				n = i + 1
			}
		}
		return ""
	}
	for _, c := range []struct{ from, to, want string }{
		{`class = "safe"`, `class = "fine"`, `drift.rule[1].class: class = "fine": expected "safe" or "risky"`},
		{`name = "previous-kernel"`, `nmae = "previous-kernel"`, `drift.rule[1].nmae: unknown key (expected one of name, attr, hosts, declared, observed, declared_regex, observed_regex, class)`},
		{`observed = "5.15.0-91-generic"`, `observed_regex = "5.15.0-(91"`, `drift.rule[1].observed_regex: "5.15.0-(91": error parsing regexp`},
		{`hosts = 'cluster ~ "-critical-"'`, `hosts = 'cluster ~ "-critical-" &'`, `drift.rule[0].hosts: hosts = 'cluster ~ "-critical-" &'`},
		{`kernel = ["node_uname.release", "k8s.kernel"]`, `kernel = []`, `drift.kernel: no observed attribute`},
		{`attr = "kernel"`, `attr = "kernal"`, `drift.rule[1].attr: attr = "kernal": not a declared attribute of [drift] (expected one of kernel)`},
		{`observed = "5.15.0-91-generic"`, `declared_regex = "^5"`, `drift.rule[1]: rule previous-kernel: a safe rule must say which observed values it accepts`},
	} {
		text := strings.Replace(string(good), c.from, c.to, 1)
		require.NoError(t, os.WriteFile(bad, []byte(text), 0o644))
		before, err := os.ReadFile(f.db)
		require.NoError(t, err)
		line := lineOf(text, c.to)
		if strings.HasPrefix(c.want, "drift.rule[1]: ") { // a whole rule: its header
			line = ruleHeader(text, c.to)
		}
		for _, args := range [][]string{{"drift", "--policy", bad}, {"drift", "--policy", bad, "--save"}} {
			out, errOut, code := f.run(args...)
			assert.Equal(t, 1, code, c.to)
			assert.Empty(t, out)
			assert.Contains(t, errOut, "fleetq: "+bad+":"+line+": invalid policy: "+c.want, c.to)
			assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %s", errOut)
		}
		after, err := os.ReadFile(f.db)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(before, after), "nothing written: %s", c.to)
		out, _, code := f.run("policy", "check", bad)
		assert.Equal(t, 1, code)
		assert.Contains(t, out, "FAIL  policy "+bad+":"+line+": invalid policy: "+c.want)
	}

	text := strings.Replace(string(good), `hosts = 'cluster ~ "-critical-"'`, `hosts = 'clustr ~ "-critical-"'`, 1)
	require.NoError(t, os.WriteFile(bad, []byte(text), 0o644))
	_, errOut, code := f.run("drift", "--policy", bad)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "fleetq: "+bad+":"+lineOf(text, "clustr")+": drift.rule critical-clusters: hosts = 'clustr ~ \"-critical-\"': 1:1: unknown name")
	out, _, code := f.run("policy", "check", bad)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "FAIL  policy "+bad+":"+lineOf(text, "clustr")+": drift.rule critical-clusters: hosts = 'clustr ~ \"-critical-\"'")
	assert.Contains(t, out, "WARN  policy "+bad+":"+lineOf(text, "kernel = [")+`: drift.kernel = "k8s.kernel": no attribute k8s.kernel in pass 1`)

	noDrift := filepath.Join(f.dir, "nodrift.toml")
	require.NoError(t, os.WriteFile(noDrift, []byte("[[archetype]]\nname = \"all\"\nany = { pct = 5 }\n"), 0o644))
	_, errOut, code = f.run("drift", "--policy", noDrift)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "the policy has no [drift] section")
}

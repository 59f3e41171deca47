package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The JSON of every result type is pinned here: docs/json.md documents it
// and the HTTP API (fleetq serve) will serve it, so a renamed, removed or
// retyped field must fail a test. TestJSONGolden runs the real binary on a
// real database and compares each command's --format json output, after
// normaliseJSON, byte for byte with testdata/golden/<name>.json;
//
//	go test ./cmd/fleetq -run TestJSONGolden -update
//
// rewrites the files from what the commands print (restic's -update).

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden/*.json from what the commands print")

// goldenDir holds one file per result type (and per shape of a type
// whose shape depends on its input, such as a query's).
const goldenDir = "testdata/golden"

// goldenRun is one command of the golden fixture and what it printed.
type goldenRun struct {
	name string   // the golden file is goldenDir/name.json
	args []string // after fleetq --format json
	code int      // its expected exit status
	out  string   // stdout, normalised
}

// goldenFixture is the database the goldens are printed from: the action
// fixture (442 hosts in three clusters) with a second pass, kept
// definitions and a query file, built by the real binary.
type goldenFixture struct {
	*actionFixture
	runs []goldenRun
}

// newGoldenFixture builds the fixture. Its base time is half an hour
// before the clock, truncated to the minute, not a fixed date: the verbs
// refuse evidence older than the policy's max_evidence_age (a week at
// most) and take their time from the machine's clock only
// (TestNoHiddenClock), so a fixed date would deny every host. Every time
// in the output is therefore normalised (normaliseJSON).
func newGoldenFixture(t *testing.T) *goldenFixture {
	base := time.Now().UTC().Add(-30 * time.Minute).Truncate(time.Minute)
	f := &goldenFixture{actionFixture: newActionFixtureAt(t, base)}
	f.ingest(base.Add(time.Minute), map[string]string{"dn0001.smf1": "dead"})
	defs := filepath.Join(f.dir, "fleet.defs")
	require.NoError(t, os.WriteFile(defs, []byte("alive = lifecycle = \"active\"\n"), 0o644))
	f.ok("defs", "set", defs)
	queries := filepath.Join(f.dir, "daily.fq")
	require.NoError(t, os.WriteFile(queries, []byte("x = all - responsive\nx | count\nassert count(all) > 0\n"+
		"watch x up 1\nassert count(x) >= count(x@-1)\nassert not rising(x, 2)\n"), 0o644))
	return f
}

// json runs fleetq --format json ARGS, expects exit status code, and
// records the normalised output as golden name.
func (f *goldenFixture) json(name string, code int, args ...string) string {
	f.t.Helper()
	full := append([]string{"--format", "json"}, args...)
	out, errOut, got := f.run(full...)
	require.Equal(f.t, code, got, "fleetq %s\nstdout: %s\nstderr: %s", strings.Join(full, " "), out, errOut)
	require.True(f.t, json.Valid([]byte(out)), "fleetq %s: not JSON: %s", strings.Join(full, " "), out)
	f.runs = append(f.runs, goldenRun{name: name, args: args, code: code, out: normaliseJSON(out, f.dir)})
	if *updateGolden { // written at once, so a later failure leaves what came before
		require.NoError(f.t, os.MkdirAll(goldenDir, 0o755))
		require.NoError(f.t, os.WriteFile(filepath.Join(goldenDir, name+".json"), []byte(f.runs[len(f.runs)-1].out), 0o644))
	}
	return out
}

// runAll runs every command whose JSON is pinned, in an order that builds
// the ledger state the later ones need.
func (f *goldenFixture) runAll() {
	f.json("version", 0, "version")
	f.json("passes", 0, "passes")
	f.json("sets", 0, "sets")
	f.json("trend", 0, "trend", "responsive", "alive", "nosuch")
	f.json("schema", 0, "schema")
	f.json("host", 0, "host", "dn0001.smf1")
	f.json("log", 0, "log")
	f.json("query.hosts", 0, "query", `cluster = "ams1-zk-01" & rack = "ams1-zk-01-r01"`)
	f.json("query.sample", 0, "query", "--seed", "42", `cluster = "ams1-zk-01" | sample 3`)
	f.json("query.count", 0, "query", "all | count")
	f.json("query.by", 0, "query", "all | by cluster")
	f.json("query.show", 0, "query", `cluster = "ams1-zk-01" & rack = "ams1-zk-01-r00" | show rack, lifecycle`)
	f.json("query.split", 0, "query", "--seed", "7", `cluster = "ams1-zk-01" | split 2`)
	f.json("diff", 0, "diff")
	f.json("explain", 0, "explain", "all - responsive")
	f.json("why", 0, "why", "dn0001.smf1", "all - responsive")
	f.json("check", 0, "check")
	f.json("policy-show", 0, "policy", "show", "smf1-critical-01")
	f.json("policy-check", 0, "policy", "check")
	f.json("defs-eval", 0, "defs", "eval")
	f.json("run", 0, "run", "--seed", "1", filepath.Join(f.dir, "daily.fq"))
	f.json("export", 0, "export", filepath.Join(f.dir, "export"))
	f.json("gc", 0, "gc", "--keep-last", "1", "--dry-run")

	f.json("freeze", 0, "freeze", "ams1-zk-01", "--reason", "golden", "--until", "8h")
	f.json("freezes", 0, "freezes")
	f.json("unfreeze", 0, "unfreeze", "ams1-zk-01")
	f.json("incident-start", 0, "incident", "start", "--reason", "golden")
	f.json("incident-status", 0, "incident", "status")
	f.json("incident-stop", 0, "incident", "stop", "--reason", "golden")
	var plan struct {
		Token string `json:"token"`
		Audit int64  `json:"audit"`
	}
	require.NoError(f.t, json.Unmarshal([]byte(f.json("drain", 0, "drain", `cluster = "ams1-zk-01" & rack = "ams1-zk-01-r00"`, "--reason", "golden", "--seed", "1")), &plan))
	f.json("apply", 0, "apply", plan.Token)
	f.json("apply-refused", 1, "apply", plan.Token)
	var commit struct {
		Approved []string `json:"approved"`
	}
	require.NoError(f.t, json.Unmarshal([]byte(f.json("drain-commit", 0, "drain", `cluster = "smf1-critical-01"`, "--reason", "golden", "--seed", "1", "--commit", "--yes")), &commit))
	f.json("leases", 0, "leases")
	f.json("headroom", 0, "headroom", "--verb", "drain")

	f.json("plan-rollout", 0, "plan", "rollout", `cluster = "smf1-dense-02" & rack = "smf1-dense-02-r01" & lifecycle = "active"`,
		"--waves", "50%,100%", "--name", "golden", "--seed", "1")
	f.ok("reboot", "rollout:golden/w0", "--reason", "golden", "--seed", "1", "--commit", "--yes")
	canary := strings.TrimSpace(f.ok("query", "rollout:golden/w0"))
	f.ingest(time.Time{}, map[string]string{canary: "dead"}) // pass 3: evidence for the wave, the canary down
	f.json("release", 0, append([]string{"release"}, commit.Approved...)...)
	f.json("check-wave", 4, "check", "wave", "golden", "0")
	f.json("check-windows", 4, "check", "windows", `cluster = "ams1-zk-01"`)
	f.json("check-freshness", 4, "check", "freshness", "--at", "3h")
	f.json("rollout-status", 0, "rollout", "status", "golden")
	f.json("rollout-list", 0, "rollout", "list")
	f.json("rollout-resume", 0, "rollout", "resume", "golden", "--reason", "golden")

	f.json("audit", 0, "audit", "--kind", "freeze,unfreeze,incident")
	f.json("audit-show", 0, "audit", "show", fmt.Sprint(plan.Audit))
	f.json("audit-replay", 0, "audit", "replay", fmt.Sprint(plan.Audit))
	f.json("audit-verify", 0, "audit", "verify")

	createWeek(f.t, f.db, walkWeek()) // as fleetq plan week would
	f.json("week-export", 0, "week", "export", filepath.Join(f.dir, "week-export"))
	week := writeSchedule(f.t, f.dir, "golden", `cluster = "ams1-zk-01"`)
	f.json("plan-week", 0, "plan", "week", week, "--seed", "1")
	f.json("week-show", 0, "week", "show", "golden")
	f.json("week-list", 0, "week", "list")
	f.json("week-cancel", 0, "week", "cancel", "golden", "--reason", "golden")
	tokens := filepath.Join(f.dir, "golden.tokens.json")
	f.json("token-create", 0, "token", "create", "golden", "--role", "requester", "--automation", "--tokens", tokens)
	f.json("token-list", 0, "token", "list", "--tokens", tokens)
	f.json("token-revoke", 0, "token", "revoke", "golden", "--tokens", tokens)
	f.cancelRuns()
	f.driftRun() // it ingests a pass of its own
	f.json("collect", 0, "collect", "--sources", writeSourcesFile(f.t, f.dir))
}

// cancelRuns pins both forms of fleetq cancel: a plan withdrawn, and a
// lease ended (with a host that held none).
func (f *goldenFixture) cancelRuns() {
	var plan struct {
		Token string `json:"token"`
	}
	require.NoError(f.t, json.Unmarshal([]byte(f.ok("drain", `cluster = "smf1-critical-01"`, "--reason", "golden", "--seed", "2", "--format", "json")), &plan))
	f.json("cancel-plan", 0, "cancel", plan.Token, "--reason", "golden")
	var commit struct {
		Approved []string `json:"approved"`
	}
	require.NoError(f.t, json.Unmarshal([]byte(f.ok("drain", `cluster = "smf1-critical-01"`, "--reason", "golden", "--seed", "2",
		"--commit", "--yes", "--format", "json")), &commit))
	f.json("cancel-hosts", 1, "cancel", "--hosts", commit.Approved[0]+",db29.smf1", "--reason", "golden")
}

// driftRun ingests a Prometheus info metric that observes the
// inventory's lifecycle for four hosts (one agrees, one is safe drift,
// one risky, one undeclared) and pins fleetq drift --save.
func (f *goldenFixture) driftRun() {
	series := []string{}
	for _, hv := range [][2]string{{"zk00.ams1", "active"}, {"zk01.ams1", "repair"}, {"zk02.ams1", "retired"}, {"zz99.ams1", "active"}} {
		series = append(series, fmt.Sprintf(`{"metric":{"__name__":"host_lifecycle_info","instance":"%s:9100","job":"node","lifecycle":"%s"},"value":[%d,"1"]}`,
			hv[0], hv[1], f.base.Add(2*time.Minute).Unix()))
	}
	prom := filepath.Join(f.dir, "lifecycle.json")
	require.NoError(f.t, os.WriteFile(prom, []byte(`{"status":"success","data":{"resultType":"vector","result":[`+strings.Join(series, ",")+`]}}`), 0o644))
	f.ok("ingest", "prom:lifecycle="+prom)
	pol := filepath.Join(f.dir, "drift.toml")
	require.NoError(f.t, os.WriteFile(pol, []byte(actionPolicy+`
[drift]
lifecycle = ["host_lifecycle.lifecycle"]

[[drift.rule]]
name = "in-repair"
observed = "repair"
class = "safe"
`), 0o644))
	f.json("drift", 0, "drift", "--policy", pol, "--save", "lifecycle")
}

// TestJSONGolden compares the JSON of every result type with its golden
// file, byte for byte after normaliseJSON, and fails on a golden file no
// command prints any more.
func TestJSONGolden(t *testing.T) {
	f := newGoldenFixture(t)
	f.runAll()
	if *updateGolden {
		require.NoError(t, os.MkdirAll(goldenDir, 0o755))
	}
	names := map[string]bool{}
	for _, r := range f.runs {
		require.False(t, names[r.name], "golden %s printed twice", r.name)
		names[r.name] = true
		path := filepath.Join(goldenDir, r.name+".json")
		if *updateGolden {
			require.NoError(t, os.WriteFile(path, []byte(r.out), 0o644))
			continue
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run with -update to create it")
		require.Equal(t, string(want), r.out, "fleetq --format json %s differs from %s (if the change is meant, run with -update and update docs/json.md)", strings.Join(r.args, " "), path)
	}
	requireEveryJSONCommand(t, f.runs)
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	require.NoError(t, err)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		if !names[name] {
			if *updateGolden {
				require.NoError(t, os.Remove(file))
				continue
			}
			t.Errorf("%s: no command prints it any more (run with -update to remove it)", file)
		}
	}
}

// The placeholders of normaliseJSON, as docs/json.md shows them.
const (
	phTime    = "<TIME>"    // a time read from the clock (or set relative to it)
	phAge     = "<AGE>"     // a duration measured against the clock
	phHash    = "<HASH>"    // an audit entry's link to the previous one
	phPath    = "<PATH>"    // the fixture's temporary directory
	phBuild   = "<BUILD>"   // what fleetq version says of the build
	phBytes   = "<BYTES>"   // a size of the database file
	phToken   = "<SECRET>"  // a bearer token's secret, random
	phUser    = "<USER>"    // the OS user who ran the command
	phSeconds = "<SECONDS>" // how long a source took to read
)

var (
	// rfc3339RE is a time as the JSON encoder and the messages write one.
	rfc3339RE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	// ageFieldRE is an evidence age, as text and in seconds.
	ageFieldRE = regexp.MustCompile(`(?m)^(\s*"(?:age|age_seconds)": )("[^"]*"|\d+)`)
	// ageTextRE is an age (store.AgeString) inside a message: "made 29m
	// ago", "is 3h00m old", "sealed 0s after the lease". A policy limit
	// ("stale after 2h00m", "max 2h00m") precedes its words and is kept.
	ageTextRE = regexp.MustCompile(`\b(\d+d\d+h|\d+h\d\dm|\d+m|\d+s)( ago| old| after)\b`)
	// prevRE is an audit entry's hash of the entry before it, which
	// covers that entry's time.
	prevRE = regexp.MustCompile(`(?m)^(\s*"prev": )"[0-9a-f]{64}"`)
	// buildRE is a field of fleetq version: the binary's version, VCS
	// stamp, build time, toolchain and platform.
	// bytesRE is a size in gc's report of the file: pass records hold
	// source paths, so they grow with the temporary directory's name.
	bytesRE = regexp.MustCompile(`(?m)^(\s*"[a-z_]*bytes": )\d+`)
	// secondsRE is how long fleetq collect took to read a source.
	secondsRE = regexp.MustCompile(`(?m)^(\s*"seconds": )[0-9.e+-]+`)
	// secretRE is a token's secret (token create); createdByRE the user
	// who created a token on the command line.
	secretRE    = regexp.MustCompile(`(?m)^(\s*"secret": )"fq_[a-z0-9]+"`)
	createdByRE = regexp.MustCompile(`(?m)^(\s*"created_by": )"[^"]*"`)
	buildRE     = regexp.MustCompile(`(?m)^(  "(?:version|revision|committed|built|go|platform)": )"[^"]*"|^(  "modified": )(?:true|false)`)
)

// normaliseJSON replaces, in the JSON a command printed, what depends on
// the clock, the build or the temporary directory by a placeholder, and
// nothing else, so a golden file pins every field name, every type
// otherwise, every list's order and every value the data decides:
//
//   - dir, the fixture's temporary directory, by <PATH> (source paths,
//     the policy file, an export's directory);
//   - every RFC 3339 time, wherever it appears, by <TIME>: the fixture's
//     passes are made relative to the clock (see newGoldenFixture), and
//     audit entries, leases, freezes and waves take the clock's time;
//   - an evidence "age" and "age_seconds", and an age inside a message
//     ("29m ago"), by <AGE>;
//   - an audit entry's "prev" hash by <HASH>;
//   - a size in bytes of gc's report ("file_bytes", "pass_bytes", …) by
//     <BYTES>: pass records hold the temporary directory's name;
//   - how long fleetq collect read a source ("seconds") by <SECONDS>;
//   - a token's "secret" by <SECRET>, and its "created_by" (the OS
//     user) by <USER>;
//   - the string fields and "modified" of fleetq version by <BUILD> (a
//     two-space indent: only top-level fields, and "committed" is a time
//     there while an outcome's is a bool).
//
// Tokens, policy hashes, content hashes, seeds and counts depend on the
// data alone and are compared as printed.
func normaliseJSON(out, dir string) string {
	out = strings.ReplaceAll(out, dir, phPath)
	out = rfc3339RE.ReplaceAllString(out, phTime)
	out = ageFieldRE.ReplaceAllString(out, `${1}"`+phAge+`"`)
	out = ageTextRE.ReplaceAllString(out, phAge+"$2")
	out = prevRE.ReplaceAllString(out, `${1}"`+phHash+`"`)
	out = bytesRE.ReplaceAllString(out, `${1}"`+phBytes+`"`)
	out = secondsRE.ReplaceAllString(out, `${1}"`+phSeconds+`"`)
	out = secretRE.ReplaceAllString(out, `${1}"`+phToken+`"`)
	out = createdByRE.ReplaceAllString(out, `${1}"`+phUser+`"`)
	out = buildRE.ReplaceAllStringFunc(out, func(m string) string {
		key, _, _ := strings.Cut(m, ": ")
		return key + `: "` + phBuild + `"`
	})
	return out
}

// sameResult names, for a command that prints JSON but has no golden run
// of its own, the command whose result type it shares.
var sameResult = map[string]string{
	"burnin":   "drain",
	"firmware": "drain",
	"reboot":   "drain",
	"rekick":   "drain",
	"undrain":  "drain",
	"repl":     "query", // a statement's result, as fleetq query prints it
}

// requireEveryJSONCommand fails when a command that prints JSON has no
// golden run, nor shares the result type of one that has: a new command
// needs its JSON pinned and documented.
func requireEveryJSONCommand(t *testing.T, runs []goldenRun) {
	t.Helper()
	covered := map[string]bool{}
	for _, r := range runs {
		covered[commandOf(r.args)] = true
	}
	for path, formats := range supportedFormats {
		if !strings.Contains(formats, formatJSON) {
			continue
		}
		if same, ok := sameResult[path]; ok {
			path = same
		}
		require.True(t, covered[path], "fleetq %s prints JSON but no golden run pins it: add one to runAll", path)
	}
}

// commandOf is the command path of a golden run's arguments.
func commandOf(args []string) string {
	if len(args) > 1 {
		if _, ok := supportedFormats[args[0]+" "+args[1]]; ok {
			return args[0] + " " + args[1]
		}
	}
	return args[0]
}

// docsJSON is the document of the JSON results, beside the goldens.
var docsJSON = filepath.Join("..", "..", "docs", "json.md")

// goldenBlockRE is an example block of docs/json.md: the marker
// <!-- golden NAME --> on its own line, then a ```json fence whose body is
// testdata/golden/NAME.json.
var goldenBlockRE = regexp.MustCompile("(?m)^<!-- golden ([a-z0-9.-]+) -->\n```json\n((?:.*\n)*?)```\n")

// TestJSONGoldenDocs checks that every example block of docs/json.md is
// its golden file byte for byte (the goldens are normalised already), and
// that the document names every golden file, so the document cannot
// drift from what the commands print. With -update it rewrites the
// blocks from the golden files instead; its name makes
// `-run TestJSONGolden -update` rewrite both, goldens first.
func TestJSONGoldenDocs(t *testing.T) {
	doc, err := os.ReadFile(docsJSON)
	require.NoError(t, err)
	text := string(doc)
	blocks := goldenBlockRE.FindAllStringSubmatchIndex(text, -1)
	require.NotEmpty(t, blocks, "no <!-- golden NAME --> example blocks in %s", docsJSON)
	var b strings.Builder
	last := 0
	for _, m := range blocks {
		name, body := text[m[2]:m[3]], text[m[4]:m[5]]
		want, err := os.ReadFile(filepath.Join(goldenDir, name+".json"))
		require.NoError(t, err, "%s: example %q has no golden file", docsJSON, name)
		if !*updateGolden {
			require.Equal(t, string(want), body, "%s: the example of %s is not %s/%s.json (run go test ./cmd/fleetq -run TestJSONGolden -update)", docsJSON, name, goldenDir, name)
		}
		b.WriteString(text[last:m[4]])
		b.Write(want)
		last = m[5]
	}
	b.WriteString(text[last:])
	if *updateGolden && b.String() != text {
		require.NoError(t, os.WriteFile(docsJSON, []byte(b.String()), 0o644))
	}
	named := map[string]bool{}
	for _, m := range goldenBlockRE.FindAllStringSubmatch(text, -1) {
		named[m[1]] = true
	}
	for _, m := range goldenRefRE.FindAllStringSubmatch(text, -1) {
		named[m[1]] = true
	}
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		if !named[name] {
			t.Errorf("%s neither shows nor names (golden/%s.json) %s: document the result it pins", docsJSON, name, file)
		}
	}
}

// goldenRefRE is a golden file named in the text of docs/json.md.
var goldenRefRE = regexp.MustCompile(`golden/([a-z0-9.-]+)\.json`)

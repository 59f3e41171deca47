package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const dirBase = `unavailable = 'lifecycle in ("dead", "repair")'
max_request = 500
health = 'responsive'
`

const dirArchetypes = `[[archetype]]
name = "small"
clusters = "size < 50"
any = { pct = 5, floor = 1, ceiling = 5 }

[[archetype]]
name = "dense"
clusters = 'cluster ~ "-dense-"'
any = { pct = 6, floor = 1, ceiling = 200 }

[[archetype]]
name = "default"
any = { pct = 3, floor = 1, ceiling = 100 }
`

// usePolicyDir makes the fixture read a policy directory of files
// (name → text) instead of its single file.
func usePolicyDir(t *testing.T, f *actionFixture, files map[string]string) string {
	dir := filepath.Join(f.dir, "policy.d")
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	f.policy = dir
	return dir
}

func scenarioDir() map[string]string {
	return map[string]string{
		"base.toml":                dirBase,
		"archetypes.toml":          dirArchetypes,
		"db/smf1-critical-01.toml": "any = { max = 1 }\n",
		"hdfs/smf1-dense-02.toml":  "# storage team\n\ndrain = { pct = 10 }\n",
		"README.md":                "not read\n",
		"hdfs/notes.txt":           "not read either\n",
	}
}

// A cluster file's drain budget wins over its archetype for that verb
// only: 10% of 412 = 41, 17 out, headroom 24; reboot keeps the dense 6%
// (24 − 17 = 7); the critical cluster's file keeps one at a time.
func TestPolicyDirClusterFileBudgetWins(t *testing.T) {
	f := newActionFixture(t)
	usePolicyDir(t, f, scenarioDir())
	out := f.ok("drain", dense, "--reason", "disks", "--seed", "1")
	assert.Contains(t, out, "smf1-dense-02 (dense, exception): 10% of 412 = 41 (floor 1, ceiling none); unavailable 17 = dead 9 + repair 8; headroom 24")
	assert.Len(t, f.decide("drain", dense, "--reason", "disks").Approved, 24)
	assert.Len(t, f.decide("reboot", dense, "--reason", "kernel").Approved, 7, "6% of 412 = 24, 17 out")
	assert.Len(t, f.decide("reboot", `cluster = "smf1-critical-01"`, "--reason", "kernel").Approved, 1)
	assert.Len(t, f.decide("reboot", `cluster = "ams1-zk-01"`, "--reason", "kernel").Approved, 1)

	d := f.decide("drain", dense, "--reason", "disks", "--commit", "--yes", "--seed", "3")
	assert.Contains(t, f.ok("audit", "replay", "6"), "match: the decision comes out the same", "the stored bundle replays")
	assert.Len(t, d.Approved, 24)
}

// Two files setting one key for one cluster is a load error naming both
// files and lines, for every command that reads the policy.
func TestPolicyDirConflictNamesBothFiles(t *testing.T) {
	f := newActionFixture(t)
	files := scenarioDir()
	files["base.toml"] = dirBase + "\n[cluster.\"smf1-dense-02\"]\ndrain = { max = 2 }\n"
	usePolicyDir(t, f, files)
	for _, args := range [][]string{{"drain", dense, "--reason", "x"}, {"policy", "check"}, {"policy", "show", "smf1-dense-02"}} {
		out, stderr, code := f.run(args...)
		assert.Equal(t, 1, code, args)
		assert.Contains(t, out+stderr, "cluster.smf1-dense-02.drain is set twice, in base.toml:6 and in hdfs/smf1-dense-02.toml:3", args)
	}

	files = scenarioDir()
	files["storage/smf1-dense-02.toml"] = "reboot = { max = 1 }\n"
	usePolicyDir(t, f, files)
	_, stderr, code := f.run("drain", dense, "--reason", "x")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `cluster "smf1-dense-02" has two files, hdfs/smf1-dense-02.toml and storage/smf1-dense-02.toml`)
}

// Editing any one file changes the policy hash, so a plan made before
// the edit is refused by apply.
func TestPolicyDirEditRefusesOlderToken(t *testing.T) {
	f := newActionFixture(t)
	dir := usePolicyDir(t, f, scenarioDir())
	plan := f.decide("drain", dense, "--reason", "disks", "--seed", "4")
	before := policyHash(t, f)
	p := filepath.Join(dir, "db", "smf1-critical-01.toml")
	require.NoError(t, os.WriteFile(p, []byte("# reviewed\nany = { max = 1 }\n"), 0o644))
	assert.NotEqual(t, before, policyHash(t, f), "a comment in one cluster file is a new policy")
	_, stderr, code := f.run("apply", plan.Token)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "the policy changed since the plan")

	require.NoError(t, os.Rename(p, filepath.Join(dir, "db", "smf1-critical-02.toml")))
	assert.NotEqual(t, before, policyHash(t, f), "a renamed file is a new policy")
}

func policyHash(t *testing.T, f *actionFixture) string {
	out := f.ok("policy", "show", "ams1-zk-01", "--format", "json")
	i := strings.Index(out, `"policy_hash": "`)
	require.GreaterOrEqual(t, i, 0, out)
	return out[i+16 : i+16+64]
}

func TestPolicyShowProvenance(t *testing.T) {
	f := newActionFixture(t)
	dir := usePolicyDir(t, f, scenarioDir())
	out := f.ok("policy", "show", "smf1-dense-02")
	assert.Contains(t, out, "cluster smf1-dense-02: 412 hosts in pass 1")
	assert.Contains(t, out, "archetype dense  ("+filepath.Join(dir, "archetypes.toml")+":6)")
	assert.Regexp(t, `drain +10% of 412 = 41 \(floor 1, ceiling none\) +`+filepath.Join(dir, "hdfs/smf1-dense-02.toml")+`:3`, out)
	assert.Regexp(t, `reboot +6% of 412 = 24 \(floor 1, ceiling 200\) +`+filepath.Join(dir, "archetypes.toml")+`:9`, out)
	assert.Regexp(t, `undrain +not budgeted`, out)
	assert.Regexp(t, `global +unavailable +"lifecycle in \(\\"dead\\", \\"repair\\"\)" +`+filepath.Join(dir, "base.toml")+`:1`, out)
	assert.Regexp(t, `cluster smf1-dense-02 +drain.pct +10 +`+filepath.Join(dir, "hdfs/smf1-dense-02.toml")+`:3`, out)
	assert.NotContains(t, out, "archetype small", "only the cluster's own archetype")

	// a single file shows its lines too
	single := f.ok("policy", "show", "smf1-critical-01", "--policy", filepath.Join(f.dir, "policy.toml"))
	assert.Regexp(t, `reboot +max 1 +`+filepath.Join(f.dir, "policy.toml")+`:\d+`, single)

	_, stderr, code := f.run("policy", "show", "nosuch")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `no cluster "nosuch" in pass 1`)
}

func TestPolicyCheckDir(t *testing.T) {
	f := newActionFixture(t)
	dir := usePolicyDir(t, f, scenarioDir())
	out := f.ok("policy", "check", dir)
	assert.Contains(t, out, "ok    policy "+dir+": 5 expressions compile and evaluate against pass 1")

	files := scenarioDir()
	files["archetypes.toml"] = strings.Replace(dirArchetypes, `clusters = "size < 50"`, `clusters = "size <"`, 1)
	files["base.toml"] = dirBase + "rollout.health = 'responsive & nosuchset'\n"
	usePolicyDir(t, f, files)
	out, stderr, code := f.run("policy", "check", dir)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "FAIL  policy "+filepath.Join(dir, "archetypes.toml")+":3: archetype small: clusters = 'size <'")
	assert.Contains(t, out, "FAIL  policy "+filepath.Join(dir, "base.toml")+":4: rollout.health = 'responsive & nosuchset'")
	assert.Contains(t, stderr, "policy check: 2 problems found")

	files = scenarioDir()
	files["hdfs/smf1-dense-02.toml"] = "drain = { pct = 10 }\nmin_helthy = 3\n"
	usePolicyDir(t, f, files)
	out, _, code = f.run("policy", "check", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "hdfs/smf1-dense-02.toml:2: cluster.smf1-dense-02.min_helthy")
}

// Beside the database, a fleetq.policy.d/ is read like a file; both is
// an error naming both.
func TestPolicyDirBesideDatabase(t *testing.T) {
	f := newActionFixture(t)
	dir := usePolicyDir(t, f, scenarioDir())
	require.NoError(t, os.Rename(dir, filepath.Join(f.dir, "fleetq.policy.d")))
	f.policy = ""
	assert.Len(t, f.decide("drain", dense, "--reason", "disks").Approved, 24)
	require.NoError(t, os.WriteFile(filepath.Join(f.dir, "fleetq.policy.toml"), []byte(actionPolicy), 0o644))
	_, stderr, code := f.run("drain", dense, "--reason", "disks")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "both "+filepath.Join(f.dir, "fleetq.policy.toml")+" and "+filepath.Join(f.dir, "fleetq.policy.d"))
}

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store/storetest"
)

// The check tests run the real binary (TestMain builds it) on real
// temporary bbolt files; ages are judged at an explicit --at.

const checkDefsText = "dead = lifecycle = \"dead\"\nfree = responsive - dead\n"

func TestCheckHealthy(t *testing.T) {
	f := newActionFixture(t)
	defs := filepath.Join(f.dir, "fleet.defs")
	require.NoError(t, os.WriteFile(defs, []byte(checkDefsText), 0o644))
	var out, errOut string
	var code int
	storetest.RequireNoChange(t, f.db, func() {
		out, errOut, code = f.run("check", "--defs", defs, "--at", f.at(time.Hour))
	})
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", out, errOut)
	assert.Empty(t, errOut)
	assert.Equal(t, strings.Join([]string{
		"ok    store: 1 pass, 452 hosts, 7 blobs; bbolt check and fleetq invariants clean",
		"ok    policy " + f.policy + ": 5 expressions compile and evaluate against pass 1",
		"WARN  policy " + f.policy + `: replica_group_attr = "replica_group": no attribute replica_group in pass 1`,
		"ok    defs " + defs + ": 2 definitions evaluate against pass 1",
		"ok    pass 1: made 1h00m ago (stale after 2h00m)",
		"ok    source inventory:inventory: read 1h00m ago (stale after 26h00m)",
		"ok    source hosts:responsive: read 1h00m ago (stale after 2h00m)",
	}, "\n")+"\n", out)

	var fs []finding
	out, _, code = f.run("check", "--at", f.at(time.Hour), "--format", "json")
	require.Equal(t, 0, code)
	require.NoError(t, json.Unmarshal([]byte(out), &fs))
	require.Len(t, fs, 7)
	assert.Equal(t, finding{"ok", "defs", "", "no definitions kept or applied"}, fs[3])
}

// markedDB ingests a tiny fleet whose one serial value is a marker found
// exactly once in the file, and returns the database path and the
// marker's offset.
func markedDB(t *testing.T) (string, int) {
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetq.db")
	inv := "host,cluster,serial\na1.x,c1,SNMARKERQ7\na2.x,c1,SN2\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "inventory.csv"), []byte(inv), 0o644))
	fqBinOK(t, db, "ingest", "--at", "2026-11-20T10:00:00Z", filepath.Join(dir, "inventory.csv"))
	data, err := os.ReadFile(db)
	require.NoError(t, err)
	require.Equal(t, 1, bytes.Count(data, []byte("SNMARKERQ7")), "the marker is stored once")
	return db, bytes.Index(data, []byte("SNMARKERQ7"))
}

func damage(t *testing.T, path string, fn func([]byte)) {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	fn(data)
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

func TestCheckFindsDamage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(data []byte, at int)
		line   string
	}{
		{"a flipped byte in a value", func(data []byte, at int) { data[at+2] ^= 0x20 }, // SNmARKERQ7
			"FAIL  store: corrupt data: pass 1: source inventory:inventory: attribute serial: blob "},
		{"a smashed page header", func(data []byte, at int) {
			page := at / 4096 * 4096
			for i := page; i < page+16; i++ {
				data[i] = 0xff
			}
		}, "FAIL  store: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, at := markedDB(t)
			_, _, code := fqBin(t, db, "check", "--at", "2026-11-20T10:30:00Z")
			require.Equal(t, 0, code, "clean before the damage")
			damage(t, db, func(data []byte) { tc.damage(data, at) })
			out, errOut, code := fqBin(t, db, "check", "--at", "2026-11-20T10:30:00Z")
			assert.Equal(t, exitFailure, code)
			assert.True(t, strings.HasPrefix(out, tc.line), "stdout: %s", out)
			assert.Contains(t, out, "WARN  skipped: policy, definitions and freshness are not checked on a damaged file\n")
			assert.Equal(t, "fleetq: check: 1 problem found\n", errOut)
			assert.NotContains(t, out+errOut, "panic:")
		})
	}
}

func TestCheckFindsBadPolicyExpression(t *testing.T) {
	f := newActionFixture(t)
	bad := strings.Replace(actionPolicy, "health = 'responsive'", "health = 'responsiv'", 1)
	require.NoError(t, os.WriteFile(f.policy, []byte(bad), 0o644))
	out, errOut, code := f.run("check", "--at", f.at(time.Hour))
	require.Equal(t, exitFailure, code)
	assert.Contains(t, out, "FAIL  policy "+f.policy+":4: health = 'responsiv': 1:1: unknown name: no set \"responsiv\" in pass 1 (did you mean responsive?)\n")
	assert.NotContains(t, out, "ok    policy")
	assert.Equal(t, "fleetq: check: 1 problem found\n", errOut)

	warn := strings.Replace(actionPolicy, "health = 'responsive'", `health = 'responsive & lifecycle = "actve"'`, 1)
	require.NoError(t, os.WriteFile(f.policy, []byte(warn), 0o644))
	out, _, code = f.run("check", "--at", f.at(time.Hour))
	require.Equal(t, 0, code, "a value warning is not a problem")
	assert.Contains(t, out, "WARN  policy "+f.policy+`:4: health = 'responsive & lifecycle = "actve"': 1:26: no host of pass 1 has lifecycle = "actve" (did you mean "active"?)`+"\n")
}

func TestCheckFindsBadDefinition(t *testing.T) {
	f := newActionFixture(t)
	defs := filepath.Join(f.dir, "fleet.defs")
	require.NoError(t, os.WriteFile(defs, []byte("dead = lifecycle = \"dead\"\n\nfree = responsiv - dead\n"), 0o644))
	out, _, code := f.run("check", "--defs", defs, "--at", f.at(time.Hour))
	require.Equal(t, exitFailure, code)
	assert.Contains(t, out, "FAIL  defs "+defs+":3: free: 1:8: unknown name: no set \"responsiv\" in pass 1 (did you mean responsive?)\n")
}

func TestCheckFindsStaleSource(t *testing.T) {
	f := newActionFixtureAt(t, time.Now().UTC().Add(-4*time.Hour).Truncate(time.Second)) // pass 1: inventory and responsive
	resp := filepath.Join(f.dir, "responsive")
	f.ok("ingest", "--at", f.at(3*time.Hour), "hosts:"+resp) // pass 2 carries the inventory
	at := f.at(3*time.Hour + 30*time.Minute)

	// The policy's evidence ages, as the verbs judge: an inventory may be
	// a day old.
	out, errOut, code := f.run("check", "--at", at)
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", out, errOut)
	assert.Contains(t, out, "ok    pass 2: made 30m ago (stale after 2h00m)\n")
	assert.Contains(t, out, "ok    source inventory:inventory: carried from pass 1, read 3h30m ago (stale after 26h00m)\n")

	// --stale-after judges every source by itself.
	out, errOut, code = f.run("check", "--at", at, "--stale-after", "2h")
	require.Equal(t, exitFailure, code)
	assert.Contains(t, out, "STALE source inventory:inventory: carried from pass 1, read 3h30m ago (stale after 2h00m)\n")
	assert.Contains(t, out, "ok    source hosts:responsive: read 30m ago (stale after 2h00m)\n")
	assert.Equal(t, "fleetq: check: 1 problem found\n", errOut)
	_, _, code = f.run("check", "--at", at, "--stale-after", "4h")
	assert.Equal(t, 0, code, "fresh enough under a longer --stale-after")

	// A tighter policy is what check applies too.
	require.NoError(t, os.WriteFile(f.policy, []byte("max_evidence_age = \"20m\"\n"+actionPolicy), 0o644))
	out, _, code = f.run("check", "--at", at)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, out, "STALE pass 2: made 30m ago (stale after 20m)\n")
}

func TestCheckMissingDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "typo.db")
	out, errOut, code := fqBin(t, db, "check")
	assert.Equal(t, exitFailure, code)
	assert.Empty(t, out)
	assert.Equal(t, "fleetq: "+db+": no such database\n", errOut)
	assert.NoFileExists(t, db)
}

func TestCheckWaveStillASubcommand(t *testing.T) {
	f := newActionFixture(t)
	_, errOut, code := f.run("check", "wave", "x")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "expected a wave number")
	_, errOut, code = f.run("check", "bogus")
	assert.Equal(t, exitUsage, code, errOut)
}

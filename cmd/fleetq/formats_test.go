package main

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
)

// supportedFormats is what every runnable command prints, pinned: a
// format added to or dropped from a command shows here.
var supportedFormats = map[string]string{
	"apply":          "text,json,folded",
	"audit":          "text,json,csv",
	"audit replay":   "text,json",
	"audit show":     "text,json,folded",
	"audit verify":   "text,json",
	"burnin":         "text,json,folded",
	"check":          "text,json,csv",
	"check wave":     "text,json",
	"check windows":  "text,json",
	"collect":        "text,json",
	"policy check":   "text,json,csv",
	"policy show":    "text,json",
	"completion":     "text",
	"defs":           "text",
	"defs eval":      "text,json,csv",
	"defs set":       "text",
	"diff":           "text,json,csv,folded",
	"drain":          "text,json,folded",
	"drift":          "text,json,csv",
	"explain":        "text,json",
	"export":         "text,json",
	"firmware":       "text,json,folded",
	"freeze":         "text,json",
	"gc":             "text,json",
	"headroom":       "text,json",
	"host":           "text,json",
	"incident":       "text,json",
	"ingest":         "text",
	"language":       "text",
	"leases":         "text,json",
	"freezes":        "text,json",
	"log":            "text,json",
	"loop":           "text",
	"passes":         "text,json,csv",
	"plan rollout":   "text,json",
	"plan week":      "text,json",
	"query":          "text,json,csv,folded",
	"reboot":         "text,json,folded",
	"rekick":         "text,json,folded",
	"release":        "text,json",
	"cancel":         "text,json",
	"repl":           "text,json,csv,folded",
	"rollout list":   "text,json",
	"rollout resume": "text,json",
	"rollout status": "text,json",
	"run":            "text,json",
	"schema":         "text,json,csv",
	"serve":          "text",
	"sets":           "text,json,csv",
	"token create":   "text,json",
	"trend":          "text,json,csv",
	"token list":     "text,json",
	"token revoke":   "text,json",
	"undrain":        "text,json,folded",
	"unfreeze":       "text,json",
	"version":        "text,json",
	"week export":    "text,json,csv",
	"week cancel":    "text,json",
	"week list":      "text,json",
	"week show":      "text,json",
	"why":            "text,json",

	"check freshness": "text,json",
}

// walkCase is how the walk runs one command: its arguments ($DIR is a
// fresh directory), its stdin, and the exit codes other than 0 and 2 it
// may end with on the fixture while still printing its result.
type walkCase struct {
	args  []string
	stdin string
	codes []int
}

// TestEveryCommandEveryFormat walks the whole command tree and runs every
// runnable command in every --format on a copy of a real database with
// passes, a freeze, a rollout, a plan and definitions: the output parses
// in that format (JSON, CSV, non-empty text), or the command refused the
// format as a usage error (exit 2) naming itself and what it supports.
func TestEveryCommandEveryFormat(t *testing.T) {
	f, cases := walkFixture(t)
	walkCommands(newRootCommand(&app{}), func(c *cobra.Command) {
		if !c.Runnable() || c.Hidden || c == c.Root() {
			return
		}
		path := strings.TrimPrefix(c.CommandPath(), "fleetq ")
		tc, ok := cases[path]
		require.True(t, ok, "no walk case for %q: add one", path)
		want, ok := supportedFormats[path]
		require.True(t, ok, "no supported formats pinned for %q", path)
		require.Equal(t, want, strings.Join(commandFormats(c), ","), path)
		for _, format := range outputFormats {
			t.Run(strings.ReplaceAll(path, " ", "_")+"/"+format, func(t *testing.T) {
				out, errOut, code := f.runCopy(t, tc, slices.Concat([]string{"--format", format}, strings.Fields(path), tc.args))
				if !slices.Contains(strings.Split(want, ","), format) {
					require.Equal(t, exitUsage, code, "stdout: %s\nstderr: %s", out, errOut)
					require.Empty(t, out)
					require.Equal(t, "fleetq: "+path+": --format "+format+" is not supported (use "+orList(strings.Split(want, ","))+
						map[bool]string{true: "; folded is for host sets"}[format == formatFolded]+")\n", errOut)
					return
				}
				require.True(t, code == 0 || slices.Contains(tc.codes, code), "exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
				if code == 0 || out != "" { // a failure may print nothing but its error
					requireParses(t, format, out)
				}
			})
		}
	})
}

func requireParses(t *testing.T, format, out string) {
	t.Helper()
	require.NotEmpty(t, out)
	switch format {
	case formatJSON:
		require.True(t, json.Valid([]byte(out)), "not JSON: %s", out)
	case formatCSV:
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		require.NoError(t, err, out)
		require.NotEmpty(t, recs)
	}
}

// walkFixture is an action fixture with two passes, kept definitions, a
// freeze, a rollout and a dry-run plan, and the walk's case per command.
func walkFixture(t *testing.T) (*actionFixture, map[string]walkCase) {
	f := newActionFixture(t)
	f.ingest(f.base.Add(time.Minute), map[string]string{"dn0001.smf1": "dead"})
	defs := filepath.Join(f.dir, "fleet.defs")
	require.NoError(t, os.WriteFile(defs, []byte("alive = lifecycle = \"active\"\n"), 0o644))
	queries := filepath.Join(f.dir, "daily.fq")
	require.NoError(t, os.WriteFile(queries, []byte("x = all - responsive\nx | count\nassert count(all) > 0\n"), 0o644))
	f.ok("defs", "set", defs)
	f.ok("freeze", "ams1-zk-01", "--reason", "walk")
	f.ok("plan", "rollout", "all", "--waves", "50%,100%", "--name", "walk", "--seed", "1")
	createWeek(t, f.db, walkWeek())
	f.ok("plan", "week", writeSchedule(t, f.dir, "walk", `cluster = "ams1-zk-01"`), "--seed", "1")
	otherWeek := writeSchedule(t, f.dir, "walk2", `cluster = "smf1-critical-01"`)
	var plan struct {
		Token string
		Audit int64
	}
	require.NoError(t, json.Unmarshal([]byte(f.ok("drain", `cluster = "smf1-dense-02"`, "--reason", "walk", "--seed", "1", "--format", "json")), &plan))
	verb := walkCase{args: []string{`cluster = "smf1-dense-02"`, "--reason", "walk"}}
	tokens := filepath.Join(f.dir, "walk.tokens.json")
	f.ok("token", "create", "walk", "--role", "viewer", "--tokens", tokens)
	driftPolicy := filepath.Join(f.dir, "drift.toml")
	require.NoError(t, os.WriteFile(driftPolicy, []byte(actionPolicy+"\n[drift]\nrack = [\"cluster\"]\n"), 0o644))
	return f, map[string]walkCase{
		"apply":          {args: []string{plan.Token}},
		"audit":          {},
		"audit replay":   {args: []string{strconv.FormatInt(plan.Audit, 10)}},
		"audit show":     {args: []string{"1"}},
		"audit verify":   {},
		"burnin":         verb,
		"check":          {codes: []int{exitFailure}},
		"collect":        {args: []string{"--sources", writeSourcesFile(t, f.dir)}},
		"check wave":     {args: []string{"walk", "0"}},
		"check windows":  {codes: []int{exitAssert}},
		"policy check":   {},
		"policy show":    {args: []string{"smf1-dense-02"}},
		"completion":     {args: []string{"bash"}},
		"defs":           {},
		"defs eval":      {},
		"defs set":       {args: []string{defs}},
		"diff":           {},
		"drain":          verb,
		"drift":          {args: []string{"--policy", driftPolicy}},
		"explain":        {args: []string{"all - responsive"}},
		"export":         {args: []string{"$DIR"}},
		"firmware":       verb,
		"freeze":         {args: []string{"smf1-critical-01", "--reason", "walk"}},
		"gc":             {args: []string{"--keep-last", "1", "--dry-run"}},
		"host":           {args: []string{"dn0001.smf1"}},
		"incident":       {args: []string{"status"}},
		"ingest":         {args: []string{filepath.Join(f.dir, "inventory.csv")}},
		"language":       {},
		"leases":         {},
		"headroom":       {},
		"freezes":        {},
		"log":            {},
		"loop":           {args: []string{"--every", "1s", "--passes", "1", "--sources", writeSourcesFile(t, f.dir), "--transcripts", "$DIR"}},
		"passes":         {},
		"plan rollout":   {args: []string{"all", "--waves", "50%,100%", "--seed", "2"}},
		"plan week":      {args: []string{otherWeek, "--seed", "2"}},
		"query":          {args: []string{"all - responsive"}},
		"reboot":         verb,
		"rekick":         verb,
		"release":        {args: []string{"--ghosts"}},
		"cancel":         {args: []string{plan.Token, "--reason", "walk"}},
		"repl":           {stdin: "all - responsive\n"},
		"rollout resume": {args: []string{"walk", "--reason", "walk"}, codes: []int{exitFailure}},
		"rollout list":   {},
		"rollout status": {},
		"run":            {args: []string{queries}},
		"schema":         {},
		"serve":          {args: []string{"--listen", "256.0.0.1:0"}, codes: []int{exitFailure}}, // the walk does not listen
		"sets":           {},
		"trend":          {args: []string{"responsive", "alive", "nosuch"}},
		"token create":   {args: []string{"walker", "--role", "viewer"}}, // beside each run's copy
		"token list":     {args: []string{"--tokens", tokens}},
		"token revoke":   {args: []string{"nobody"}, codes: []int{exitFailure}},
		"undrain":        verb,
		"unfreeze":       {args: []string{"ams1-zk-01"}},
		"version":        {},
		"week export":    {args: []string{"$DIR", "w1"}},
		"week cancel":    {args: []string{"walk", "--reason", "walk"}},
		"week list":      {},
		"week show":      {},
		"why":            {args: []string{"dn0001.smf1", "all - responsive"}},

		"check freshness": {args: []string{"--at", "3h"}, codes: []int{exitAssert}}, // three hours on, the walk's pass is stale
	}
}

// writeSourcesFile writes a sources file beside the fixture's inventory
// that reads it again, and a command that fails (a warning, not an
// error: the walk's collect seals a pass).
func writeSourcesFile(t *testing.T, dir string) string {
	path := filepath.Join(dir, "walk.sources.toml")
	require.NoError(t, os.WriteFile(path, []byte(`[[source]]
name = "inventory"
kind = "inventory"
path = "inventory.csv"

[[source]]
name = "flaky"
kind = "hosts"
command = ["sh", "-c", "echo boom >&2; exit 3"]
`), 0o644))
	return path
}

// walkWeek is a maintenance week of the walk's fleet that ended long ago,
// so that it gates no decision of the walk: customers by cluster.
func walkWeek() *store.Week {
	start := time.Date(2020, 3, 2, 9, 0, 0, 0, time.UTC)
	return &store.Week{Name: "walk", Scope: "all", Verbs: []string{"reboot"}, Zone: "UTC", Customer: "cluster", Created: start.Add(-24 * time.Hour),
		Requester: "walk", Pass: 1, State: store.WeekPlanned, Steps: []store.WeekStep{
			{N: 1, Start: start, End: start.Add(4 * time.Hour), Hosts: []string{"db00.smf1", "zk00.ams1"}},
		}}
}

// runCopy runs the binary on a copy of the fixture's database, so every
// run starts from the same state.
func (f *actionFixture) runCopy(t *testing.T, tc walkCase, args []string) (string, string, int) {
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetq.db")
	copyFile(t, f.db, db)
	for i, a := range args {
		if a == "$DIR" {
			args[i] = filepath.Join(dir, "export")
		}
	}
	cmd := exec.Command(fleetqBin, append([]string{"--db", db}, args...)...)
	cmd.Env = append(os.Environ(), "FLEETQ_POLICY="+f.policy)
	cmd.Stdin = strings.NewReader(tc.stdin)
	return runCmd(t, cmd)
}

func copyFile(t *testing.T, from, to string) {
	src, err := os.Open(from)
	require.NoError(t, err)
	defer src.Close()
	dst, err := os.Create(to)
	require.NoError(t, err)
	_, err = io.Copy(dst, src)
	require.NoError(t, err)
	require.NoError(t, dst.Close())
}

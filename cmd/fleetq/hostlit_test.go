package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHostLiteralsFailClosed (docs/actions.md): a host literal that names no host,
// or only some, is an error on every path that evaluates one (query,
// explain, where, why, an action verb), never a smaller set and exit 0.
func TestHostLiteralsFailClosed(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "inv.csv")
	require.NoError(t, os.WriteFile(inv, []byte("host,role\ndn0001.smf1,web\ndn0002.smf1,web\ndn0003.smf1,db\n"), 0o644))
	db := filepath.Join(dir, "fleetq.db")
	fqBinOK(t, db, "ingest", inv)
	policy := filepath.Join(dir, "policy.toml")
	require.NoError(t, os.WriteFile(policy, []byte("[[archetype]]\nname = \"any\"\ndrain = { pct = 50 }\n"), 0o644))
	for _, tc := range []struct {
		name   string
		args   []string
		out    string
		errOut string
		code   int
	}{
		{"the issue's reproduction", []string{"query", `all - "dn[0001-0100]*"`}, "",
			"fleetq: 1:7: unknown host: \"dn[0001-0100]*\" has globs that match no host of pass 1: dn0004*, dn0005*, dn0006*, dn0007*, dn0008* and 92 more\n  all - \"dn[0001-0100]*\"\n        ^\n", 1},
		{"a range composed with a glob", []string{"query", `all - "dn[0001-0002]*"`}, "dn0003.smf1\n", "", 0},
		{"a reversed range", []string{"query", `"n[9-3]*"`}, "",
			"fleetq: 1:4: bad host literal \"n[9-3]*\": reversed range: 9-3\n  \"n[9-3]*\"\n     ^\n", 1},
		{"a glob matching nothing", []string{"query", `"web*"`}, "", `1:1: unknown host: glob "web*" matches no host of pass 1`, 1},
		{"explain", []string{"explain", `all - "dn000[3-4].smf1"`}, "", `1:7: unknown host: "dn000[3-4].smf1" names hosts not in pass 1: dn0004.smf1`, 1},
		{"where", []string{"query", `all | where "x*"`}, "", `1:13: unknown host: glob "x*" matches no host of pass 1`, 1},
		{"why", []string{"why", "dn0001.smf1", `all - "dn0001.smf1,dn0009.smf1"`}, "", `1:20: unknown host: "dn0001.smf1,dn0009.smf1" names hosts not in pass 1: dn0009.smf1`, 1},
		{"an action verb", []string{"drain", `"dn[0001-0002].smf1,db*"`, "--reason", "test", "--policy", policy}, "", `1:21: unknown host: "dn[0001-0002].smf1,db*" has globs that match no host of pass 1: db*`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := fqBin(t, db, tc.args...)
			assert.Equal(t, tc.code, code, "stderr: %s", errOut)
			assert.Equal(t, tc.out, out)
			assert.Contains(t, errOut, tc.errOut)
		})
	}
}

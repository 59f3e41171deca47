package policy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWindowsDefaults(t *testing.T) {
	p, err := Parse([]byte(testArchetypes))
	require.NoError(t, err)
	assert.Nil(t, p.Windows, "no [windows]: nothing is gated")
	assert.False(t, p.Gated("reboot"))
	for verb, want := range map[string]bool{"reboot": true, "rekick": true, "burnin": true, "firmware": true, "drain": false, "undrain": false} {
		assert.Equal(t, want, p.Rules(verb).Disruptive, verb)
	}

	p, err = Parse([]byte(testArchetypes + `
[windows]
attr = "maint_window"

[[windows.rule]]
role = "kafka"
windows = ["Sat 02:00-06:00 UTC", "Sun 02:00-04:00 UTC; Wed 01:00-02:00 Europe/Berlin"]

[[windows.rule]]
expr = 'rack = "r1"'
windows = ["Mon-Fri 22:00-02:00 America/New_York"]

[verb.firmware]
disruptive = false
`))
	require.NoError(t, err)
	require.NotNil(t, p.Windows)
	assert.Equal(t, "maint_window", p.Windows.Attr)
	assert.Equal(t, "role", p.Windows.RoleAttr)
	assert.Equal(t, []string{"reboot", "rekick", "burnin"}, p.Windows.Verbs, "the default verbs are the disruptive ones")
	assert.True(t, p.Gated("reboot"))
	assert.False(t, p.Gated("firmware"))
	assert.True(t, p.MissingDenies("reboot"))
	assert.False(t, p.MissingDenies("drain"))
	require.Len(t, p.Windows.Rules, 2)
	assert.Equal(t, "Sat 02:00-06:00 UTC; Sun 02:00-04:00 UTC; Wed 01:00-02:00 Europe/Berlin", p.Windows.Rules[0].Windows.String())
	assert.Equal(t, "role", p.Windows.Rules[0].Kind())
	assert.Equal(t, "expr", p.Windows.Rules[1].Kind())

	p, err = Parse([]byte(testArchetypes + "[windows]\nverbs = [\"drain\", \"reboot\"]\nmissing = \"allow\"\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"drain", "reboot"}, p.Windows.Verbs)
	assert.False(t, p.MissingDenies("reboot"), "missing = allow")
}

// TestWindowsErrors: a bad key of [windows] is a one-line error naming
// the line, in a single file and in a policy directory.
func TestWindowsErrors(t *testing.T) {
	base := testArchetypes + "\n[windows]\nattr = \"maint_window\"\n" // [windows] on line 10
	cases := []struct{ name, text, want string }{
		{"bad window", base + "[[windows.rule]]\ncluster = \"k1\"\nwindows = [\"Sat 2:00-06:00 UTC\"]\n",
			`line 14: invalid policy: [[windows.rule]] 1: windows: window "Sat 2:00-06:00 UTC": time "2:00": expected HH:MM from 00:00 to 23:59 (24:00 as an end)`},
		{"no zone", base + "[[windows.rule]]\ncluster = \"k1\"\nwindows = [\"Sat 02:00-06:00\"]\n",
			`line 14: invalid policy: [[windows.rule]] 1: windows: window "Sat 02:00-06:00": expected DAYS HH:MM-HH:MM ZONE`},
		{"two targets", base + "[[windows.rule]]\ncluster = \"k1\"\nrole = \"kafka\"\nwindows = [\"Sat 02:00-06:00 UTC\"]\n",
			`line 12: invalid policy: [[windows.rule]] 1: expected exactly one of cluster, role or expr`},
		{"no windows", base + "[[windows.rule]]\ncluster = \"k1\"\n", `line 12: invalid policy: [[windows.rule]] 1: windows is missing or empty`},
		{"twice", base + "[[windows.rule]]\ncluster = \"k1\"\nwindows = [\"Sat 02:00-06:00 UTC\"]\n[[windows.rule]]\ncluster = \"k1\"\nwindows = [\"Sun 02:00-06:00 UTC\"]\n",
			`line 16: invalid policy: [[windows.rule]] 2: cluster "k1" already has windows in [[windows.rule]] 1`},
		{"bad expr", base + "[[windows.rule]]\nexpr = 'rack = '\nwindows = [\"Sat 02:00-06:00 UTC\"]\n", `line 13: invalid policy: [[windows.rule]] 1: expr = 'rack ='`},
		{"missing", base + "missing = \"maybe\"\n", `line 12: invalid policy: [windows] missing = "maybe": expected "deny" or "allow"`},
		{"verbs", base + "verbs = [\"reimage\"]\n", `line 12: invalid policy: [windows] verbs: "reimage": unknown verb`},
		{"unknown key", base + "atr = \"x\"\n", "unknown key windows.atr"},
		{"unknown rule key", base + "[[windows.rule]]\nclusters = \"k1\"\nwindows = [\"Sat 02:00-06:00 UTC\"]\n", "unknown key windows.rule.clusters"},
		{"disruptive", testArchetypes + "[verb.reboot]\ndisruptive = \"yes\"\n", "disruptive"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.text))
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
	path := filepath.Join(t.TempDir(), "p.toml")
	require.NoError(t, os.WriteFile(path, []byte(cases[0].text), 0o644))
	_, err := Load(path)
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), path+":14: invalid policy: [[windows.rule]] 1: windows: window")

	_, err = parseFiles(dirFiles("a.toml", base, "b.toml", "\n[[windows.rule]]\nrole = \"kafka\"\nwindows = [\"Sat 02:00-06:00 UTC\"]\n",
		"c.toml", "[[windows.rule]]\nrole = \"db\"\nwindows = [\"Sat 02:00-06:00 Mars/Base\"]\n"))
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), `c.toml:3: invalid policy: [[windows.rule]] 2: windows: window "Sat 02:00-06:00 Mars/Base": zone "Mars/Base"`)

	p, err := parseFiles(dirFiles("a.toml", base, "b.toml", "[[windows.rule]]\nrole = \"kafka\"\nwindows = [\"Sat 02:00-06:00 UTC\"]\n",
		"c.toml", "[[windows.rule]]\nrole = \"db\"\nwindows = [\"Sun 02:00-06:00 UTC\"]\n"))
	require.NoError(t, err, "rules concatenate across the files of a directory")
	require.Len(t, p.Windows.Rules, 2)
	assert.Equal(t, "db", p.Windows.Rules[1].Role)
}

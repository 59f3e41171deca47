package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const driftBase = "[[archetype]]\nname = \"all\"\nany = { pct = 5 }\n\n"

func TestDriftParse(t *testing.T) {
	p, err := Parse([]byte(driftBase + `[drift]
kernel = ["node_uname.release", "k8s.kernel"]
"os.release" = ["k8s.os_image"]

[[drift.rule]]
name = "crit"
hosts = 'cluster ~ "-critical-"'
class = "risky"

[[drift.rule]]
name = "prev"
attr = "kernel"
declared = ["5.15.0-105-*", "6.8.0-45-generic"]
observed = "5.15.0-91-generic"
observed_regex = "^5\\.15\\."
class = "safe"
`))
	require.NoError(t, err)
	assert.Equal(t, []DriftAttr{{"kernel", []string{"node_uname.release", "k8s.kernel"}}, {"os.release", []string{"k8s.os_image"}}}, p.Drift.Attrs)
	require.Len(t, p.Drift.Rules, 2)
	r := p.Drift.Rules[1]
	assert.Equal(t, []string{"5.15.0-105-*", "6.8.0-45-generic"}, r.Declared)
	assert.Equal(t, []string{"5.15.0-91-generic"}, r.Observed)
	assert.True(t, r.Matches("kernel", "5.15.0-105-generic", "5.15.0-91-generic"))
	assert.False(t, r.Matches("os.release", "5.15.0-105-generic", "5.15.0-91-generic"), "another attribute")
	assert.False(t, r.Matches("kernel", "5.15.0-91-generic", "5.15.0-91-generic"), "declared glob")
	assert.False(t, r.Matches("kernel", "6.8.0-45-generic", "6.8.0-45-generic"), "observed")
	assert.True(t, p.Drift.Rules[0].Matches("os.release", "x", "y"), "no conditions but hosts: every value")

	var refs []string
	for _, a := range p.AttrRefs() {
		if a.Key != "cluster_attr" && a.Key != "rack_attr" && a.Key != "replica_group_attr" {
			refs = append(refs, a.Key+"="+a.Name+"@"+itoa(a.Line))
		}
	}
	assert.Equal(t, []string{"drift.kernel=kernel@6", "drift.kernel=node_uname.release@6", "drift.kernel=k8s.kernel@6",
		`drift."os.release"=os.release@0`, `drift."os.release"=k8s.os_image@0`}, refs, "a quoted key has no line (keyLine reads bare keys)")
	var exprs []string
	for _, e := range p.Expressions() {
		exprs = append(exprs, e.Key+"@"+itoa(e.Line))
	}
	assert.Contains(t, exprs, "drift.rule crit: hosts@11")

	none, err := Parse([]byte(driftBase))
	require.NoError(t, err)
	assert.Equal(t, Drift{}, none.Drift)
}

func itoa(n int) string {
	s := ""
	for ; n > 0 || s == ""; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

// TestDriftErrors: every bad [drift] is an error naming its key; Load
// puts the file and line in front.
func TestDriftErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"[drift]\nkernel = \"x\"\n", `line 6: invalid policy: drift.kernel: expected an array of attribute names, not "x"`},
		{"[drift]\nkernel = [1]\n", `line 6: invalid policy: drift.kernel: expected strings, not 1`},
		{"[drift]\nkernel = [\"kernel\"]\n", `drift.kernel: "kernel" observes itself`},
		{"[drift]\nkernel = [\"a\", \"a\"]\n", `drift.kernel: "a" listed twice`},
		{"[drift]\nkernel = [\"a\", \" \"]\n", `drift.kernel: an empty attribute name`},
		{"[drift]\nkernel = [\"a\"]\nrule = 3\n", `drift.rule: expected [[drift.rule]] tables`},
		{"[drift]\nkernel = [\"a\"]\n[[drift.rule]]\nclass = \"risky\"\n", `line 7: invalid policy: drift.rule[0]: a rule has no name`},
		{"[drift]\nkernel = [\"a\"]\n[[drift.rule]]\nname = \"default\"\nclass = \"risky\"\n", `line 8: invalid policy: drift.rule[0].name: "default": expected letters`},
		{"[drift]\nkernel = [\"a\"]\n[[drift.rule]]\nname = \"x y\"\nclass = \"risky\"\n", `drift.rule[0].name: "x y": expected letters`},
		{"[drift]\nkernel = [\"a\"]\n[[drift.rule]]\nname = \"x\"\nclass = \"risky\"\n[[drift.rule]]\nname = \"x\"\nclass = \"risky\"\n", `line 11: invalid policy: drift.rule[1].name: rule "x" defined twice`},
		{"[drift]\nkernel = [\"a\"]\n[[drift.rule]]\nname = \"x\"\nclass = \"Safe\"\n", `line 9: invalid policy: drift.rule[0].class: class = "Safe": expected "safe" or "risky"`},
		{"[drift]\nkernel = [\"a\"]\n[[drift.rule]]\nname = \"x\"\n", `drift.rule[0].class: class = "": expected "safe" or "risky"`},
		{"[drift]\nkernel = [\"a\"]\n[[drift.rule]]\nname = \"x\"\nclass = \"safe\"\n", `line 7: invalid policy: drift.rule[0]: rule x: a safe rule must say which observed values it accepts`},
		{"[drift]\nkernel = [\"a\"]\n[[drift.rule]]\nname = \"x\"\nobserved = []\nclass = \"safe\"\n", `drift.rule[0].observed: an empty list matches nothing`},
		{"[drift]\nkernel = [\"a\"]\n[[drift.rule]]\nname = \"x\"\nobserved = \"[\"\nclass = \"safe\"\n", `line 9: invalid policy: drift.rule[0].observed: "[": syntax error in pattern`},
		{"[drift]\nkernel = [\"a\"]\n[[drift.rule]]\nname = \"x\"\ndeclared_regex = \"(\"\nclass = \"risky\"\n", `drift.rule[0].declared_regex: "(": error parsing regexp`},
		{"[drift]\nkernel = [\"a\"]\n[[drift.rule]]\nname = \"x\"\nattr = \"krnel\"\nclass = \"risky\"\n", `line 9: invalid policy: drift.rule[0].attr: attr = "krnel": not a declared attribute of [drift] (expected one of kernel)`},
		{"[drift]\n[[drift.rule]]\nname = \"x\"\nattr = \"kernel\"\nclass = \"risky\"\n", `drift.rule[0].attr: attr = "kernel": not a declared attribute of [drift] ([drift] maps no attribute yet)`},
		{"[drift]\nkernel = [\"a\"]\n[[drift.rule]]\nname = \"x\"\nhosts = 'a &'\nclass = \"risky\"\n", `line 9: invalid policy: drift.rule[0].hosts: hosts = 'a &': 1:4:`},
		{"[drift]\nkernel = [\"a\"]\n[[drift.rule]]\nname = \"x\"\nhosts = 5\nclass = \"risky\"\n", `drift.rule[0].hosts: expected a string, not 5`},
		{"[drift]\nkernel = [\"a\"]\n[[drift.rule]]\nname = \"x\"\nclas = \"risky\"\n", `line 9: invalid policy: drift.rule[0].clas: unknown key (expected one of name, attr, hosts`},
		{"drift = 3\n", `drift: expected a table ([drift])`},
	} {
		text := driftBase + c.text
		if c.text == "drift = 3\n" {
			text = c.text + driftBase // a top-level key
		}
		_, err := Parse([]byte(text))
		require.Error(t, err, c.text)
		assert.ErrorIs(t, err, ErrInvalid, c.text)
		assert.Contains(t, err.Error(), c.want, c.text)
	}
}

// TestDriftDirectory: [drift] split over a directory's files merges key
// by key and rule by rule in file order, equal to the one file; a bad
// rule is named by the file and line that wrote it.
func TestDriftDirectory(t *testing.T) {
	one := driftBase + "[drift]\nkernel = [\"node_uname.release\"]\nsku = [\"dmi.product\"]\n\n" +
		"[[drift.rule]]\nname = \"a\"\nobserved = \"x\"\nclass = \"safe\"\n\n[[drift.rule]]\nname = \"b\"\nattr = \"sku\"\nclass = \"risky\"\n"
	want, err := parseText([]byte(one))
	require.NoError(t, err)
	files := []srcFile{
		{Name: "a.toml", Text: []byte(driftBase + "[drift]\nkernel = [\"node_uname.release\"]\n\n[[drift.rule]]\nname = \"a\"\nobserved = \"x\"\nclass = \"safe\"\n"), InDir: true},
		{Name: "b.toml", Text: []byte("[drift]\nsku = [\"dmi.product\"]\n\n[[drift.rule]]\nname = \"b\"\nattr = \"sku\"\nclass = \"risky\"\n"), InDir: true},
	}
	got, err := parseFiles(files)
	require.NoError(t, err)
	got.Text, got.Hash, got.src = nil, "", nil
	assert.Equal(t, want, got)

	files[1].Text = []byte("[drift]\nsku = [\"dmi.product\"]\n\n[[drift.rule]]\nname = \"b\"\nattr = \"sku\"\nclass = \"unsafe\"\n")
	_, err = parseFiles(files)
	assert.EqualError(t, err, `b.toml:7: invalid policy: drift.rule[1].class: class = "unsafe": expected "safe" or "risky"`)
	files[1].Text = []byte("[drift]\nkernel = [\"k8s.kernel\"]\n")
	_, err = parseFiles(files)
	assert.ErrorContains(t, err, "drift.kernel is set twice, in a.toml:6 and in b.toml:2")
}

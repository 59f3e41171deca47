package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store/storetest"
)

func TestNoRaw(t *testing.T) {
	assert.True(t, noRaw("a\tb\n│ é\n"))
	for _, s := range []string{"\x1b[2J", "\a", "\x00", "\r", "\u202e", "\u200b", "\xff"} {
		assert.False(t, noRaw("a"+s), "%q", s)
	}
}

func TestSafeText(t *testing.T) {
	for in, want := range map[string]string{
		"web01":                          "web01",
		"héllo │ ├─ 日本":                  "héllo │ ├─ 日本",
		"\x1b]0;owned\x07":               `\x1b]0;owned\x07`,
		"\x1b[2J":                        `\x1b[2J`,
		"a\x00b":                         `a\x00b`,
		"a\nb\tc\rd":                     `a\x0ab\x09c\x0dd`,
		"bad\xffutf\xc3":                 `bad\xffutf\xc3`,
		"a\x7fb":                         `a\u007fb`,
		"a\u0085b":                       `a\u0085b`,
		"abc\u202eevil":                  `abc\u202eevil`,
		"\u200b\u200c\u200d\u200e\u200f": `\u200b\u200c\u200d\u200e\u200f`,
		"\u202a\u202b\u202c\u202d":       `\u202a\u202b\u202c\u202d`,
		"\u2066\u2067\u2068\u2069":       `\u2066\u2067\u2068\u2069`,
		"\u2028\ufeff\u00a0":             `\u2028\ufeff\u00a0`,
		"tag\U000e0041":                  `tag\udb40\udc41`,
		"\ufffd is printable":            "\ufffd is printable",
	} {
		assert.Equal(t, want, safeText(in), "%q", in)
	}
}

// TestSafeWriter: newlines and tabs pass, everything else is escaped as
// by safeText, a rune split between writes is kept whole, and JSON stays
// valid and exact.
func TestSafeWriter(t *testing.T) {
	var b bytes.Buffer
	w := newSafeWriter(&b)
	in := "a\tb\n│\x1b[2J\u202e日\n"
	for i := 0; i < len(in); i++ { // one byte at a time: every split
		_, err := w.Write([]byte{in[i]})
		require.NoError(t, err)
	}
	require.NoError(t, w.Flush())
	assert.Equal(t, "a\tb\n│\\x1b[2J\\u202e日\n", b.String())

	b.Reset()
	_, _ = w.Write([]byte("x\xe6\x97"))
	require.NoError(t, w.Flush())
	assert.Equal(t, `x\xe6\x97`, b.String(), "an incomplete rune at the end is escaped by Flush")

	b.Reset()
	value := "abc\u202eevil\u200b\x7f\U000e0041"
	require.NoError(t, writeJSON(w, map[string]string{"note": value}))
	assert.NotContains(t, b.String(), "\u202e")
	var got map[string]string
	require.NoError(t, json.Unmarshal(b.Bytes(), &got), b.String())
	assert.Equal(t, value, got["note"], "the escapes are JSON's own")
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "",
		"web01":                  "web01",
		"=cmd|' /C calc'!A0":     "'=cmd|' /C calc'!A0",
		`=HYPERLINK("http://x")`: `'=HYPERLINK("http://x")`,
		"+1":                     "'+1",
		"@SUM(1)":                "'@SUM(1)",
		"\tx":                    "'\tx",
		"\rx":                    "'\rx",
		"-":                      "'-",
		"-1+2":                   "'-1+2",
		"-Inf":                   "'-Inf",
		"--help":                 "'--help",
		"-3":                     "-3",
		"-0.5":                   "-0.5",
		"-1.5e+10":               "-1.5e+10",
		"3":                      "3",
		"a=b":                    "a=b",
	} {
		assert.Equal(t, want, csvCell(in), "%q", in)
	}
}

// hostileInventory has attribute values, a cluster name and a host-list
// set built to hurt a terminal or a spreadsheet.
const hostileInventory = "host,cluster,lifecycle,note\n" +
	"web01,c1,active,\"\x1b]0;owned\x07\x1b[2Jx\"\n" +
	"web02,c1,active,\"abc\u202eevil\"\n" +
	"web03,\"c\u2066\u200b1\",active,\"=cmd|' /C calc'!A0\"\n" +
	"web04,c1,active,-3\n" +
	"web05,c1,active,+1\n" +
	"web06,c1,active,@SUM(1)\n" +
	"web07,c1,active,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\n" +
	"web08,c1,active,\"bad\xffutf\"\n"

// newHostileFixture is an action fixture over hostileInventory, with a
// set targets (web01, web02) and responsive.
func newHostileFixture(t *testing.T) *actionFixture {
	f := &actionFixture{t: t, dir: t.TempDir()}
	f.db, f.policy = filepath.Join(f.dir, "fleetq.db"), filepath.Join(f.dir, "policy.toml")
	write := func(name, text string) string {
		p := filepath.Join(f.dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	write("policy.toml", actionPolicy)
	f.ok("ingest", write("inventory.csv", hostileInventory), write("targets", "web01\nweb02\n"), write("responsive", "web01\nweb02\nweb03\n"))
	t.Cleanup(func() { storetest.MustCheck(t, f.db) })
	return f
}

// hostileReason and hostileRequester reach leases and the audit log.
const (
	hostileReason    = "disk\x1b]0;owned\x07 \u202eswap"
	hostileRequester = "evil\x1b[31m"
)

// assertNoRawControl: no ESC, BEL, NUL, bidi or zero-width character,
// no byte that is not UTF-8, and no CR but a terminal's CR LF, in out.
func assertNoRawControl(t *testing.T, what, out string) {
	t.Helper()
	assert.True(t, noRaw(strings.ReplaceAll(out, "\r\n", "\n")), "%s: raw bytes in %q", what, out)
}

// noRaw reports whether s is valid UTF-8 whose every rune is printable,
// newline or tab: what the safe writer lets through unchanged.
func noRaw(s string) bool { return string(appendSafe(nil, []byte(s), true)) == s }

// TestHostileValuesAreEscaped: attribute values, cluster names, reasons
// and requester names with ESC sequences, bidi overrides, zero-width
// characters and bytes that are not UTF-8, ingested from an inventory
// CSV, are printed escaped by every text renderer, through a pipe.
func TestHostileValuesAreEscaped(t *testing.T) {
	f := newHostileFixture(t)
	f.ok("drain", "targets", "--reason", hostileReason, "--as", hostileRequester, "--commit", "--yes")
	for _, args := range [][]string{
		{"query", "all | show note, cluster"},
		{"query", "all | by cluster"},
		{"query", "--format", "csv", "all | show note, cluster"},
		{"host", "web01"},
		{"host", "web03"},
		{"leases"},
		{"audit"},
		{"audit", "show", "1"},
		{"drain", "targets", "--reason", hostileReason},
		{"sets"},
		{"passes"},
		{"log"},
		{"why", "web03", "cluster = \"c1\""},
	} {
		out, errOut, _ := f.run(args...)
		assertNoRawControl(t, strings.Join(args, " "), out)
		assertNoRawControl(t, strings.Join(args, " ")+" (stderr)", errOut)
	}
	out := f.ok("query", "all | show note, cluster")
	assert.Contains(t, out, `\x1b]0;owned\x07\x1b[2Jx`)
	assert.Contains(t, out, `abc\u202eevil`)
	assert.Contains(t, out, `c\u2066\u200b1`)
	assert.Contains(t, out, `bad\xffutf`)
	assert.Contains(t, f.ok("host", "web01"), `\x1b]0;owned\x07\x1b[2Jx`)
	leases := f.ok("leases")
	assert.Contains(t, leases, `disk\x1b]0;owned\x07 \u202eswap`)
	assert.Contains(t, leases, `evil\x1b[31m`)
}

// TestJSONOutputIsExact: JSON keeps the values exactly (escaped the JSON
// way), and has no raw bidi or zero-width character either.
func TestJSONOutputIsExact(t *testing.T) {
	f := newHostileFixture(t)
	out := f.ok("query", "--format", "json", "all | show note, cluster")
	assertNoRawControl(t, "json", out)
	var got struct{ Rows []map[string]string }
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	require.Len(t, got.Rows, 8)
	assert.Equal(t, "\x1b]0;owned\x07\x1b[2Jx", got.Rows[0]["note"])
	assert.Equal(t, "abc\u202eevil", got.Rows[1]["note"])
	assert.Equal(t, "c\u2066\u200b1", got.Rows[2]["cluster"])
	assert.Equal(t, "bad\ufffdutf", got.Rows[7]["note"], "encoding/json writes a byte that is not UTF-8 as U+FFFD")
}

// TestCSVOutputIsNotAFormula: cells a spreadsheet would run are written
// with a leading quote; plain negative numbers stay numbers.
func TestCSVOutputIsNotAFormula(t *testing.T) {
	f := newHostileFixture(t)
	out := f.ok("query", "--format", "csv", "all | show note")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err, out)
	notes := map[string]string{}
	for _, r := range recs[1:] {
		notes[r[0]] = r[1]
	}
	assert.Equal(t, "'=cmd|' /C calc'!A0", notes["web03"])
	assert.Equal(t, "-3", notes["web04"])
	assert.Equal(t, "'+1", notes["web05"])
	assert.Equal(t, "'@SUM(1)", notes["web06"])
	assert.Equal(t, `'=HYPERLINK("http://x","y")`, notes["web07"])
	assert.Contains(t, out, `"'=HYPERLINK(""http://x"",""y"")"`, "quoted as encoding/csv quotes")
	for _, r := range recs {
		for _, c := range r {
			assert.False(t, c != "" && strings.ContainsRune("=+@\t\r", rune(c[0])), "cell %q starts a formula", c)
		}
	}
	groups := f.ok("query", "--format", "csv", "all | by note")
	assert.Contains(t, groups, "'=cmd|' /C calc'!A0,1")
}

// TestOptionLikeHostsNeverReachTheExecutor: a host list naming -rf or
// --help is refused at ingest, at its line, and no pass is made; so the
// executor, which reads approved hosts as lines, never sees one.
func TestOptionLikeHostsNeverReachTheExecutor(t *testing.T) {
	f := newHostileFixture(t)
	before := f.ok("passes")
	for _, name := range []string{"-rf", "--help", "..", ".ssh"} {
		list := filepath.Join(f.dir, "targets")
		require.NoError(t, os.WriteFile(list, []byte("web01\n"+name+"\n"), 0o644))
		_, errOut, code := f.run("ingest", "hosts:"+list)
		assert.Equal(t, 1, code, name)
		assert.Contains(t, errOut, "targets:2: host \""+name+"\": starts with '"+name[:1]+"'", name)
	}
	assert.Equal(t, before, f.ok("passes"), "no pass made")
}

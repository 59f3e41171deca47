package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestHostileValuesEscapedOnATerminal: on a real terminal (a pty, with
// colour on), hostile values are printed escaped; the only escape
// sequences are fleetq's own colours.
func TestHostileValuesEscapedOnATerminal(t *testing.T) {
	f := newHostileFixture(t)
	f.ok("drain", "targets", "--reason", hostileReason, "--as", hostileRequester, "--commit", "--yes")
	env := []string{"FLEETQ_DB=" + f.db, "FLEETQ_POLICY=" + f.policy}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"query", "all | show note, cluster"}, []string{`\x1b]0;owned\x07\x1b[2Jx`, `abc\u202eevil`, `c\u2066\u200b1`, `bad\xffutf`}},
		{[]string{"host", "web01"}, []string{`\x1b]0;owned\x07\x1b[2Jx`}},
		{[]string{"leases"}, []string{`disk\x1b]0;owned\x07 \u202eswap`, `evil\x1b[31m`}},
		{[]string{"audit"}, []string{`disk\x1b]0;owned\x07 \u202eswap`}},
		{[]string{"query", "all - web\x1b[2J"}, []string{"unexpected text", `all - web\x1b[2J`}}, // an error echoes the query
	} {
		p := startPTY(t, env, fleetqBin, c.args...)
		_ = p.wait() // the last case exits 1
		out := p.output()
		for _, w := range c.want {
			assert.Contains(t, out, w, "%v", c.args)
		}
		assertNoRawControl(t, strings.Join(c.args, " "), withoutOwnColours(out))
	}
}

// withoutOwnColours is out without the ANSI styles fleetq itself writes
// on a terminal (bold headers, red errors).
func withoutOwnColours(out string) string {
	return strings.NewReplacer(ansiBold, "", ansiRed, "", ansiReset, "").Replace(out)
}

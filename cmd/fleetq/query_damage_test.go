package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQueryNamesDamagedAttribute: with one byte of the serial attribute's
// blob flipped in the file, every statement that reads serial fails with
// a storage error naming the pass and the attribute, never as an unknown
// name with a suggestion, an empty set or a partial table. Statements
// that do not read serial still answer.
func TestQueryNamesDamagedAttribute(t *testing.T) {
	db, at := markedDB(t)
	out, _, code := fqBin(t, db, "query", `serial = "SN2"`)
	require.Equal(t, 0, code, "intact")
	require.Equal(t, "a2.x\n", out)
	damage(t, db, func(data []byte) { data[at+2] ^= 0x20 }) // SNmARKERQ7

	for _, args := range [][]string{
		{"query", `serial = "SN2"`},
		{"query", `serial exists | count`},
		{"query", `cluster = "c1" | show serial`},
		{"query", `all | by serial`},
		{"query", `all | stratify serial 1 | count`},
		{"query", `serial = "SN2"`, "--format", "json"},
		{"explain", `cluster = "c1" & serial = "SN2"`},
		{"why", "a1.x", `serial = "SN2"`},
	} {
		out, errOut, code := fqBin(t, db, args...)
		assert.Equal(t, exitFailure, code, "%v", args)
		assert.Empty(t, out, "%v: nothing is answered", args)
		first, _, _ := strings.Cut(errOut, "\n")
		assert.Regexp(t, `^fleetq: \d+:\d+: storage error: pass 1: attribute serial: blob [0-9a-f]+…: checksum mismatch \(corrupt data: `, first, "%v", args)
		assert.NotContains(t, errOut, "unknown name", "%v", args)
		assert.NotContains(t, errOut, "did you mean", "%v", args)
	}

	out, errOut, code := fqBin(t, db, "query", `cluster = "c1" | count`)
	assert.Equal(t, 0, code, "a statement that does not read serial: %s", errOut)
	assert.Equal(t, "2\n", out)
}

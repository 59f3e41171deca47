package query

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/fleetq/fleetq/internal/fleet"
)

func TestAnchoredPrefix(t *testing.T) {
	for expr, want := range map[string]string{
		"^Q9":       "Q9",
		"^Q9.*x$":   "Q9",
		"^smf1-":    "smf1-",
		"Q9":        "",
		"^(Q9)":     "",
		"(?i)^Q9":   "",
		"(?m)^Q9":   "",
		"^Q9|^R":    "",
		"^a\uFFFDb": "",
		"^":         "",
		"^é":        "é",
		"[":         "",
	} {
		assert.Equal(t, want, anchoredPrefix(expr), expr)
	}
}

// sliceDict is a fleet.Coded dictionary over a sorted slice, for the
// range lookups (the other methods are not used).
type sliceDict struct {
	fleet.Coded
	values []string
}

func (d sliceDict) DictLen() int              { return len(d.values) }
func (d sliceDict) DictValue(k uint32) string { return d.values[k] }

func TestPrefixRange(t *testing.T) {
	dict := sliceDict{values: []string{"a", "ab", "abc", "abd", "b", "ba"}}
	for p, want := range map[string][2]int{"": {0, 6}, "a": {0, 4}, "ab": {1, 4}, "abc": {2, 3}, "b": {4, 6}, "c": {6, 6}, "aa": {1, 1}} {
		lo, hi := prefixRange(dict, p)
		assert.Equal(t, want, [2]int{lo, hi}, p)
	}
}

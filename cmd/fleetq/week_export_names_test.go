package main

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCustomerBasesExact(t *testing.T) {
	bases, err := customerBases([]string{"acme", "globex.eu", "Acme", "../x", ".hidden", "-rf", "a/b", "a\x00b", "東京", "", "_unassigned", "index", "initech"}, []string{"INITECH"})
	require.NoError(t, err)
	assert.Equal(t, "acme~822b33ad87c1", bases[0], "a case twin is hashed")
	assert.Equal(t, "globex.eu", bases[1])
	assert.Equal(t, "Acme~37036cd8f974", bases[2])
	for i, prefix := range []string{"_._x~", "_hidden~", "_rf~", "a_b~", "a_b~", "__~"} {
		assert.True(t, strings.HasPrefix(bases[3+i], prefix), "%q, want %s…", bases[3+i], prefix)
		assert.Len(t, bases[3+i], len(prefix)+12)
	}
	assert.Equal(t, unassignedBase, bases[9])
	assert.True(t, strings.HasPrefix(bases[10], "_unassigned~"), "a customer never takes fleetq's own name: %s", bases[10])
	assert.Equal(t, "index", bases[11], "the index is _index.csv")
	assert.Equal(t, "initech~"+hashOf("initech"), bases[12], "a twin in the pass but not in the week counts")
}

// TestCustomerBasesRandom checks the scheme on random names against its
// promises: safe file names, one per customer even on a case-insensitive
// file system, and a plain name kept as it is.
func TestCustomerBasesRandom(t *testing.T) {
	seed := rand.Uint64()
	if v := os.Getenv("FLEETQ_NAMES_SEED"); v != "" {
		var err error
		seed, err = strconv.ParseUint(v, 10, 64)
		require.NoError(t, err)
	}
	t.Logf("seed %d (FLEETQ_NAMES_SEED=%d replays it)", seed, seed)
	r := rand.New(rand.NewPCG(seed, 7))
	parts := []string{"b", "c", "x", "1", "a", "A", "z", "0", ".", "..", "/", "\\", "\x00", "\n", " ", "-", "_", "~", "é", "É", "東", "\xff", "acme", "ACME"}
	for range 500 {
		seen := map[string]bool{}
		var names []string
		for n := 1 + r.IntN(12); n > 0; n-- {
			var b strings.Builder
			for k := r.IntN(30); k >= 0; k-- {
				b.WriteString(parts[r.IntN(len(parts))])
			}
			if !seen[b.String()] {
				seen[b.String()] = true
				names = append(names, b.String())
			}
		}
		if twin := strings.ToUpper(names[0]); !seen[twin] && r.IntN(2) == 0 {
			names = append(names, twin) // a case twin, plain or not
		}
		bases, err := customerBases(names, nil)
		require.NoError(t, err, "%q", names)
		folded := map[string]string{}
		for i, base := range bases {
			assert.True(t, utf8.ValidString(base) && base != "" && len(base) <= 64, "%q", base)
			assert.False(t, strings.ContainsAny(base, "/\\\x00\n") || base[0] == '.' || base[0] == '-', "%q from %q", base, names[i])
			assert.NotContains(t, []string{"_unassigned", "_index"}, base)
			key := strings.ToLower(base)
			assert.NotContains(t, folded, key, "%q and %q", folded[key], names[i])
			folded[key] = names[i]
			twin := false
			for _, o := range names {
				twin = twin || o != names[i] && strings.EqualFold(o, names[i])
			}
			if plainCustomer().MatchString(names[i]) && !twin {
				assert.Equal(t, names[i], base)
			}
		}
	}
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

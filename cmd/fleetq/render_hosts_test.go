package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/nodeset"
)

// TestFoldNamesMatchesFold pins that folding on the second goroutine, in
// batches, gives what nodeset.Fold gives, for more names than one batch
// holds.
func TestFoldNamesMatchesFold(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed: %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>3))
	for _, n := range []int{0, 1, 5000, 40_000} {
		var names []string
		for range n {
			names = append(names, fmt.Sprintf("%s%0*d.%s", []string{"dn", "web", "k"}[rng.IntN(3)], rng.IntN(7), rng.IntN(200_000), []string{"smf1", "atla"}[rng.IntN(2)]))
		}
		slices.Sort(names)
		names = slices.Compact(names)
		f := foldNames(func(fn func([]byte) error) {
			for _, name := range names {
				if err := fn([]byte(name)); err != nil {
					return
				}
			}
		})
		require.Equal(t, nodeset.Fold(names), f.String(), "%d names", len(names))
	}
}

func TestJSONStringMatchesEncoding(t *testing.T) {
	for _, s := range []string{"", "web-01.smf1", `a"b`, `a\b`, "a\nb", "\x01", "é", "\xff", "a\u2028b", "<&>", "\x7f"} {
		var want strings.Builder
		require.NoError(t, writeJSON(&want, s))
		require.Equal(t, strings.TrimSuffix(want.String(), "\n"), string(appendJSONString(nil, []byte(s))), "%q", s)
	}
}

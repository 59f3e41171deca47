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

// TestHeldOutput pins that a small result is held until release (after
// the read transaction), and a large one written through once past the
// bound, in order, with nothing left held.
func TestHeldOutput(t *testing.T) {
	var out strings.Builder
	h := &heldOutput{w: &out}
	_, err := h.Write([]byte("small\n"))
	require.NoError(t, err)
	require.Empty(t, out.String(), "held until release")
	require.NoError(t, h.release())
	require.Equal(t, "small\n", out.String())

	out.Reset()
	h = &heldOutput{w: &out}
	var want strings.Builder
	for i := range 40 {
		chunk := strings.Repeat(string(rune('a'+i%26)), 100_000+i)
		want.WriteString(chunk)
		_, err := h.Write([]byte(chunk))
		require.NoError(t, err)
	}
	require.Greater(t, out.Len(), heldOutputMax, "written through past heldOutputMax")
	require.NoError(t, h.release())
	require.Equal(t, want.String(), out.String())
}

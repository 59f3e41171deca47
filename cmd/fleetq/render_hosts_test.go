package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
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

// TestHeldOutput pins that nothing is written before release (after the
// read transaction), whatever the size and wherever it goes: a small
// result is held in memory, a large one spills to a temporary file; only
// /dev/null is written through once past the bound. Every byte arrives,
// in order.
func TestHeldOutput(t *testing.T) {
	var out strings.Builder
	h := &heldOutput{w: &out}
	_, err := h.Write([]byte("small\n"))
	require.NoError(t, err)
	require.Empty(t, out.String(), "held until release")
	require.NoError(t, h.release())
	require.Equal(t, "small\n", out.String())

	large := func(w io.Writer) string {
		var want strings.Builder
		for i := range 40 {
			chunk := strings.Repeat(string(rune('a'+i%26)), 100_000+i)
			want.WriteString(chunk)
			_, err := w.Write([]byte(chunk))
			require.NoError(t, err)
		}
		return want.String()
	}
	out.Reset()
	h = &heldOutput{w: &out}
	want := large(h)
	require.Empty(t, out.String(), "a large result spills until release")
	require.NotNil(t, h.spill)
	require.NoError(t, h.release())
	require.Equal(t, want, out.String())

	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	require.NoError(t, err)
	defer f.Close()
	h = &heldOutput{w: f}
	want = large(h)
	require.NotNil(t, h.spill, "a regular file gets no partial result either")
	require.NoError(t, h.release())
	got, err := os.ReadFile(f.Name())
	require.NoError(t, err)
	require.Equal(t, want, string(got))

	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(t, err)
	defer null.Close()
	h = &heldOutput{w: null}
	large(h)
	require.True(t, h.through, "/dev/null is written through")
	require.NoError(t, h.release())
}

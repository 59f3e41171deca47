package nodeset

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFoldMatchesReference compares Fold and the Folder, fed in byte order,
// shuffled or with repeats, against the fold before issue 14 (refFold, in
// foldref_test.go) on random name sets: random prefixes and separators,
// zero padding, up to four numeric fields, full and holed grids, runs of
// digits too long for a uint64.
func TestFoldMatchesReference(t *testing.T) {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed: %d (replay with -nodeset.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := range 2000 {
		var names []string
		if i%3 == 0 {
			names = randomGrid(rng)
		} else {
			names = randomFieldNames(rng)
		}
		want := refFold(names)
		require.Equal(t, want, Fold(names), "names %q", names)

		shuffled := append([]string(nil), names...)
		rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		if len(shuffled) > 0 && rng.IntN(2) == 0 {
			shuffled = append(shuffled, shuffled[rng.IntN(len(shuffled))], "")
		}
		var f Folder
		for _, n := range shuffled {
			f.AddString(n)
		}
		require.Equal(t, want, f.String(), "names %q added as %q", names, shuffled)
	}
}

// randomDigits is a run of digits: mostly small numbers with random
// padding, sometimes runs longer than a uint64 or a small code holds.
func randomDigits(rng *rand.Rand) string {
	switch rng.IntN(40) {
	case 0:
		return strings.Repeat("0", rng.IntN(70)) + fmt.Sprint(rng.IntN(3))
	case 1:
		return fmt.Sprint(rng.Uint64N(1_000_000_000) + 18_446_744_073_000_000_000) // near and over 2^64
	case 2:
		return fmt.Sprintf("%d%018d", rng.IntN(3)+1, rng.Uint64N(3)) // 19 digits
	case 3:
		return fmt.Sprintf("%0*d", 17+rng.IntN(4), rng.IntN(4))
	}
	width := rng.IntN(5)
	return fmt.Sprintf("%0*d", width, rng.IntN([]int{3, 12, 120, 1100}[rng.IntN(4)]))
}

// randomFieldNames is a set of names of one to four numeric fields among a
// few prefixes and separators.
func randomFieldNames(rng *rand.Rand) []string {
	texts := []string{"", "dn", "web-", ".smf", "-", "r", "x9y", "[", " ", "-n", ".a"}
	var names []string
	shapes := 1 + rng.IntN(4)
	type form struct{ text []string }
	forms := make([]form, shapes)
	for i := range forms {
		nf := rng.IntN(5)
		for range nf + 1 {
			forms[i].text = append(forms[i].text, texts[rng.IntN(len(texts))])
		}
	}
	for range rng.IntN(200) {
		fm := forms[rng.IntN(len(forms))]
		var b strings.Builder
		for j, tx := range fm.text {
			b.WriteString(tx)
			if j < len(fm.text)-1 {
				if len(tx) == 0 && j > 0 {
					b.WriteByte('z') // keep two runs of digits apart
				}
				b.WriteString(randomDigits(rng))
			}
		}
		names = append(names, b.String())
	}
	return names
}

// randomGrid is a grid of two or three numeric fields with a few holes and
// values shared across rows, the shapes that fold over several rounds.
func randomGrid(rng *rand.Rand) []string {
	nf := 2 + rng.IntN(2)
	sizes := make([]int, nf)
	for i := range sizes {
		sizes[i] = 1 + rng.IntN(6)
	}
	pads := []int{0, 2, 3}
	pad := pads[rng.IntN(len(pads))]
	var names []string
	var walk func(prefix string, f int)
	walk = func(prefix string, f int) {
		if f == nf {
			if rng.IntN(8) != 0 {
				names = append(names, prefix+".dc1")
			}
			return
		}
		sep := []string{"rack", "-n", "-c"}[f]
		for v := range sizes[f] {
			val := v + 1
			if rng.IntN(5) == 0 {
				val += 3 // a gap
			}
			walk(fmt.Sprintf("%s%s%0*d", prefix, sep, pad, val), f+1)
		}
	}
	walk("", 0)
	return names
}

func TestFolderEmpty(t *testing.T) {
	var f Folder
	require.Empty(t, f.String())
	f.AddString("")
	require.Empty(t, f.String())
}

// fleetNames is ~870,000 names shaped as a generated fleet's: a role
// prefix, six digits, a datacenter (most with a digit), ~13% missing, in
// byte order.
func fleetNames() [][]byte {
	roles := []struct {
		prefix string
		n      int
	}{{"dn", 120_000}, {"web", 32_000}, {"k", 27_000}, {"db", 14_000}, {"kf", 11_000}, {"mc", 9_000}, {"ci", 4_500}, {"zk", 2_300}, {"lb", 2_300}}
	dcs := []string{"ams1", "atla", "pdx2", "sin1", "smf1"}
	var names []string
	for _, r := range roles {
		for i := 1; i <= r.n; i++ {
			for j, dc := range dcs {
				if (i*7+j*13)%8 != 0 {
					names = append(names, fmt.Sprintf("%s%06d.%s", r.prefix, i, dc))
				}
			}
		}
	}
	slices.Sort(names)
	out := make([][]byte, len(names))
	for i, n := range names {
		out[i] = []byte(n)
	}
	return out
}

func BenchmarkFolderFleet(b *testing.B) {
	names := fleetNames()
	b.ReportAllocs()
	for b.Loop() {
		var f Folder
		for _, n := range names {
			f.Add(n)
		}
		_, _ = f.WriteTo(io.Discard)
	}
}

// TestFoldHashCollisions: names whose text fields hash alike ("\xfa" and
// "\x00\xfa": a leading zero byte leaves the hash unchanged) are distinct
// shapes, and every one of them is folded (found by FuzzExpand).
func TestFoldHashCollisions(t *testing.T) {
	require.Equal(t, "\x00\xfa,\xfa", Fold([]string{"\xfa", "\x00\xfa"}))
	require.Equal(t, "\x00a[1-2],a[1-2]", Fold([]string{"a2", "\x00a1", "a1", "\x00a2"}))
}

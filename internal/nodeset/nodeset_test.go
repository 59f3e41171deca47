package nodeset

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var seedFlag = flag.Uint64("nodeset.seed", 0, "seed for randomised nodeset tests (0 = from the clock)")

// expandTests are ClusterShell examples with their expansion and their fold.
var expandTests = []struct {
	pattern string
	want    []string
	folded  string
}{
	{"node1", []string{"node1"}, "node1"},
	{"node[1-3]", []string{"node1", "node2", "node3"}, "node[1-3]"},
	{"dn[0001-0003].smf1", []string{"dn0001.smf1", "dn0002.smf1", "dn0003.smf1"}, "dn[0001-0003].smf1"},
	{"dn[0001-0002,0004].smf1", []string{"dn0001.smf1", "dn0002.smf1", "dn0004.smf1"}, "dn[0001-0002,0004].smf1"},
	{"web[1-3,7]-[a-b]", []string{"web1-a", "web1-b", "web2-a", "web2-b", "web3-a", "web3-b", "web7-a", "web7-b"}, "web[1-3,7]-a,web[1-3,7]-b"},
	{"web-01.smf1,web-02.smf1", []string{"web-01.smf1", "web-02.smf1"}, "web-[01-02].smf1"},
	{" a , b ,a", []string{"a", "b"}, "a,b"},
	{"n[08-11]", []string{"n08", "n09", "n10", "n11"}, "n[08-11]"},
	{"n[8-11]", []string{"n8", "n9", "n10", "n11"}, "n[8-11]"},
	{"n[098-100]", []string{"n098", "n099", "n100"}, "n[098-100]"},
	{"n[1,01,001]", []string{"n1", "n01", "n001"}, "n[1,01,001]"},
	{"n[007]", []string{"n007"}, "n007"},
	{"n[0-2]", []string{"n0", "n1", "n2"}, "n[0-2]"},
	{"n[1-9/4]", []string{"n1", "n5", "n9"}, "n[1,5,9]"},
	{"rack[1-2]-n[1-2]", []string{"rack1-n1", "rack1-n2", "rack2-n1", "rack2-n2"}, "rack[1-2]-n[1-2]"},
	{"x[ 1 - 2 ]", nil, ""}, // "1 - 2" is not a number: see errorTests
	{"sw[a-c]", []string{"swa", "swb", "swc"}, "swa,swb,swc"},
	{"sw[A-B,z]", []string{"swA", "swB", "swz"}, "swA,swB,swz"},
	{"[1-2]", []string{"1", "2"}, "[1-2]"},
	{"[1-2][a-b]", []string{"1a", "1b", "2a", "2b"}, "[1-2]a,[1-2]b"},
	{"dn*.smf1", []string{"dn*.smf1"}, "dn*.smf1"},
	{"n[1-2]*", []string{"n1*", "n2*"}, "n[1-2]*"},
	{"n[1-3],n2", []string{"n1", "n2", "n3"}, "n[1-3]"},
}

func TestExpand(t *testing.T) {
	for _, tt := range expandTests {
		if tt.want == nil {
			continue
		}
		t.Run(tt.pattern, func(t *testing.T) {
			got, err := Expand(tt.pattern)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.folded, Fold(got))
			back, err := Expand(tt.folded)
			require.NoError(t, err)
			require.ElementsMatch(t, tt.want, back)
		})
	}
}

func TestExpandErrors(t *testing.T) {
	tests := []struct {
		pattern string
		err     error
		offset  int
		text    string
	}{
		{"", ErrEmptyElement, 0, "offset 0: empty element"},
		{"a,,b", ErrEmptyElement, 2, "offset 2: empty element"},
		{"a, ", ErrEmptyElement, 3, "offset 3: empty element"},
		{"n[1-3", ErrUnbalanced, 1, "offset 1: unbalanced bracket: '[' is never closed"},
		{"n1-3]", ErrUnbalanced, 4, "offset 4: unbalanced bracket: ']' without '['"},
		{"n[1[2]]", ErrUnbalanced, 3, "offset 3: unbalanced bracket: '[' inside brackets"},
		{"n[9-3]", ErrReversedRange, 2, "offset 2: reversed range: 9-3"},
		{"n[1,z-a]", ErrReversedRange, 4, "offset 4: reversed range: z-a"},
		{"n[]", ErrSyntax, 2, "offset 2: invalid syntax: empty range item"},
		{"n[1,]", ErrSyntax, 4, "offset 4: invalid syntax: empty range item"},
		{"n[1-]", ErrSyntax, 2, `offset 2: invalid syntax: range item "1-"`},
		{"n[a-5]", ErrSyntax, 2, `offset 2: invalid syntax: range item "a-5"`},
		{"n[a-Z]", ErrSyntax, 2, "offset 2: invalid syntax: letter range a-Z mixes case"},
		{"n[1-5/0]", ErrSyntax, 2, "offset 2: invalid syntax: step 0"},
		{"n[1-99999999999999999999999]", ErrSyntax, 2, "offset 2: invalid syntax: number out of range"},
		{"x[ 1 - 2 ]", ErrSyntax, 3, `offset 3: invalid syntax: range item "1 - 2"`},
		{"web 1", ErrSyntax, 3, "offset 3: invalid syntax: whitespace inside a name"},
		{"n[001-10]", ErrPadding, 2, "offset 2: bounds padded to different widths: 001-10 (pad both bounds to one width, as 001-010)"},
		{"n[1-010]", ErrPadding, 2, "offset 2: bounds padded to different widths: 1-010 (pad both bounds to one width, as 001-010)"},
		{"n[00-5]", ErrPadding, 2, "offset 2: bounds padded to different widths: 00-5 (pad both bounds to one width, as 00-05)"},
		{"n[9-3]*", ErrReversedRange, 2, "offset 2: reversed range: 9-3"},
		{"dn[0001-0100*", ErrUnbalanced, 2, "offset 2: unbalanced bracket: '[' is never closed"},
		{"*[1-1024]", nil, 0, ""},
		{"*[1-1025]", ErrTooManyGlobs, 0, "offset 0: expands to more than 1024 globs"},
		{"a*[1-1000],b[1-2000],c?[1-25]", ErrTooManyGlobs, 21, "offset 21: expands to more than 1024 globs"},
		{"n[1-1000000]", nil, 0, ""},
		{"n[0-1000000]", ErrTooLarge, 2, "offset 2: expands to more than 1000000 names"},
		{"n[1-1000][1-1001]", ErrTooLarge, 9, "offset 9: expands to more than 1000000 names"},
		{"n[1-600000],m[1-600000]", ErrTooLarge, 12, "offset 12: expands to more than 1000000 names"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			_, err := Expand(tt.pattern)
			if tt.err == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.err)
			var perr *Error
			require.True(t, errors.As(err, &perr))
			require.Equal(t, tt.offset, perr.Offset)
			require.Equal(t, tt.text, err.Error())
		})
	}
}

func TestParseElements(t *testing.T) {
	elems, err := Parse("web-01, dn[0001-0003]*,x?")
	require.NoError(t, err)
	require.Len(t, elems, 3)
	require.Equal(t, []int{0, 8, 23}, []int{elems[0].Offset, elems[1].Offset, elems[2].Offset})
	require.Equal(t, []bool{false, true, true}, []bool{elems[0].Glob, elems[1].Glob, elems[2].Glob})
	require.Equal(t, []string{"dn0001*", "dn0002*", "dn0003*"}, elems[1].Names())
	require.Equal(t, 3, elems[1].Count())
}

func TestGlobSet(t *testing.T) {
	globs := []string{"dn0001*", "dn0002*", "*.atla", "web?", "exact", "dn*"}
	gs := NewGlobSet(globs)
	tests := []struct {
		name string
		want []int
	}{
		{"dn0001.smf1", []int{0, 5}},
		{"dn0002.atla", []int{1, 2, 5}},
		{"dn0003.smf1", []int{5}},
		{"web1", []int{3}},
		{"web12", nil},
		{"exact", []int{4}},
		{"exactly", nil},
		{"", nil},
	}
	for _, tt := range tests {
		var got []int
		gs.Matches(tt.name, func(i int) { got = append(got, i) })
		slices.Sort(got)
		require.Equal(t, tt.want, got, tt.name)
		for i, g := range globs { // the index agrees with Match
			require.Equal(t, Match(g, tt.name), slices.Contains(got, i), "%s vs %s", tt.name, g)
		}
	}
}

func TestIsGlobAndMatch(t *testing.T) {
	require.True(t, IsGlob("dn*.smf1"))
	require.True(t, IsGlob("dn?.smf1"))
	require.False(t, IsGlob("dn[1-2].smf1"))
	tests := []struct {
		glob, name string
		want       bool
	}{
		{"dn*.smf1", "dn0001.smf1", true},
		{"dn*", "dn0001.smf1", true}, // '*' crosses '.'
		{"*.smf1", "dn1.smf1", true},
		{"*.smf1", "dn1.smf2", false},
		{"dn?", "dn1", true},
		{"dn?", "dn12", false},
		{"dn?", "dné", true}, // '?' is one character, not one byte
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"**a", "bba", true},
		{"web[1]", "web[1]", true}, // no character classes
		{"exact", "exact", true},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, Match(tt.glob, tt.name), "Match(%q, %q)", tt.glob, tt.name)
	}
}

// randomNames returns a random set of host names sharing a few prefixes,
// suffixes and paddings, the shapes Fold has to keep apart.
func randomNames(rng *rand.Rand) []string {
	prefixes := []string{"dn", "web-", "n", "rack1-node", "db", "x9y", ""}
	suffixes := []string{"", ".smf1", ".atla", "-a", "-b"}
	var names []string
	for range rng.IntN(300) {
		p, s := prefixes[rng.IntN(len(prefixes))], suffixes[rng.IntN(len(suffixes))]
		if p == "" && s == "" {
			p = "h"
		}
		width := rng.IntN(5)
		num := fmt.Sprintf("%0*d", width, rng.IntN([]int{10, 120, 1100, 20_000}[rng.IntN(4)]))
		if rng.IntN(10) == 0 {
			num += "-" + fmt.Sprint(rng.IntN(4)) // a second numeric field
		}
		names = append(names, p+num+s)
	}
	return names
}

func TestFoldRoundTrip(t *testing.T) {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed: %d (replay with -nodeset.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	for range 500 {
		names := randomNames(rng)
		folded := Fold(names)
		if len(names) == 0 {
			require.Empty(t, folded)
			continue
		}
		got, err := Expand(folded)
		require.NoError(t, err, "Fold gave %q", folded)
		require.ElementsMatch(t, sortedUnique(names), got, "Fold gave %q", folded)
		groups, _ := splitElements(folded)
		require.True(t, slices.IsSortedFunc(groups, func(a, b span) int {
			return strings.Compare(folded[a.start:a.end], folded[b.start:b.end])
		}), "groups not in byte order: %q", folded)
	}
}

// TestFoldKeepsPaddingApart pins that differently padded names never merge
// into a range that would expand to other strings.
func TestFoldKeepsPaddingApart(t *testing.T) {
	require.Equal(t, "n[1-2,01-02]", Fold([]string{"n1", "n01", "n2", "n02"}))
	require.Equal(t, "n[9-10,09]", Fold([]string{"n9", "n09", "n10"}))
	require.Equal(t, "n[09-10]", Fold([]string{"n09", "n10"}))
}

// benchNames is a grid of 1,000 racks of 1,000 hosts, ~3% missing.
func benchNames() []string {
	names := make([]string, 0, 1_000_000)
	for rack := range 1000 {
		for host := range 1000 {
			if (rack*7+host*13)%29 != 0 { // ~3% holes
				names = append(names, fmt.Sprintf("dn%04d-%03d.smf1", rack, host))
			}
		}
	}
	return names
}

func BenchmarkFold(b *testing.B) {
	names := benchNames()
	b.ReportAllocs()
	for b.Loop() {
		_ = Fold(names)
	}
}

func BenchmarkGlobSet(b *testing.B) {
	globs, err := Expand("dn[0001-0100]*")
	require.NoError(b, err)
	gs := NewGlobSet(globs)
	names := make([]string, 0, 100_000)
	for i := range 100_000 {
		names = append(names, fmt.Sprintf("dn%05d.smf1", i))
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, name := range names {
			gs.Matches(name, func(int) { n++ })
		}
	}
}

func BenchmarkExpand(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Expand("dn[0000-0999]-[000-999].smf1"); err != nil {
			b.Fatal(err)
		}
	}
}

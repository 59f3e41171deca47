package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// randomCSV writes an inventory of n hosts whose column "grp" takes one of
// k values, and returns its path and the value of each row.
func randomCSV(t *testing.T, r *rand.Rand, n, k int) (string, []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("host,grp,other\n")
	vals := make([]string, n)
	for i := range vals {
		vals[i] = "g" + strconv.Itoa(r.IntN(k))
		fmt.Fprintf(&b, "h%06d,%s,x%d\n", i, vals[i], r.IntN(3))
	}
	path := filepath.Join(t.TempDir(), "inventory.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, vals
}

// TestFloorsAgainstNaive checks count, by and spread against a map built
// row by row, on random inventories.
func TestFloorsAgainstNaive(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 14))
	for range 20 {
		n, k := 1+r.IntN(5000), 1+r.IntN(300)
		path, vals := randomCSV(t, r, n, k)
		tab, err := load(path, "grp")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{}
		for _, v := range vals {
			want[v]++
		}
		all := roaring.New()
		all.AddRange(0, uint64(n))
		for code, v := range tab.dict {
			if got := count(all, tab.codes, uint32(code)); got != want[v] {
				t.Fatalf("count %s = %d, want %d", v, got, want[v])
			}
			if code > 0 && tab.dict[code-1] >= v {
				t.Fatalf("dictionary not sorted at %d", code)
			}
		}
		lines := strings.Split(strings.TrimSuffix(by(all, tab), "\n"), "\n")
		if len(lines) != len(want) {
			t.Fatalf("by: %d lines, want %d", len(lines), len(want))
		}
		for _, l := range lines {
			v, c, _ := strings.Cut(l, "\t")
			if strconv.Itoa(want[v]) != c {
				t.Fatalf("by: %q, want %d", l, want[v])
			}
		}
		if got, wantS := spread(all, tab, 1), fmt.Sprintf("%d hosts, ", len(want)); !strings.HasPrefix(got, wantS) {
			t.Fatalf("spread 1: %q, want one host per value (%d)", got, len(want))
		}
	}
}

func TestLoadRefusesQuotesAndMissingColumns(t *testing.T) {
	dir := t.TempDir()
	q := filepath.Join(dir, "q.csv")
	_ = os.WriteFile(q, []byte("host,grp\n\"a\",b\n"), 0o644)
	if _, err := load(q, "grp"); err == nil {
		t.Fatal("a quoted CSV loaded")
	}
	p := filepath.Join(dir, "p.csv")
	_ = os.WriteFile(p, []byte("host,grp\na,b\n"), 0o644)
	if _, err := load(p, "rack"); err == nil {
		t.Fatal("a missing column loaded")
	}
	if tab, err := load(p, "grp"); err != nil || len(tab.codes) != 1 || tab.dict[0] != "b" || string(tab.hosts[0]) != "a" {
		t.Fatalf("load = %+v, %v", tab, err)
	}
}

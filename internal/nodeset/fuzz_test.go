package nodeset

import (
	"strings"
	"testing"
)

// FuzzExpand checks that Expand never panics and that whatever it accepts
// folds back to the same set.
func FuzzExpand(f *testing.F) {
	for _, tt := range expandTests {
		f.Add(tt.pattern)
	}
	for _, s := range []string{"n[1-3", "a,,b", "n[9-3]", "n[1-5/0]", "x[0-2]y[a-b]z[08-11]",
		"dn[0001-0100]*", "n[9-3]*", "n[001-10]", "*[1-2000]", "a?[1-3],b*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		if len(pattern) > 200 {
			return // keep each run small; size limits have their own tests
		}
		names, err := Expand(pattern)
		if err != nil {
			return
		}
		folded := Fold(names)
		back, err := Expand(folded)
		if err != nil {
			t.Fatalf("Expand(Fold(Expand(%q))) = Expand(%q): %v", pattern, folded, err)
		}
		if !sameSet(names, back) {
			t.Fatalf("Expand(%q) = %q but Fold gave %q expanding to %q", pattern, names, folded, back)
		}
	})
}

// FuzzFold checks the round trip on names Expand can write: newline-separated
// names without brackets, commas or whitespace.
func FuzzFold(f *testing.F) {
	for _, tt := range expandTests {
		names, err := Expand(tt.pattern)
		if err == nil {
			f.Add(strings.Join(names, "\n"))
		}
	}
	f.Add("n1\nn01\nn2\nn02\nn9\nn09\nn10")
	f.Fuzz(func(t *testing.T, data string) {
		var names []string
		for _, n := range strings.Split(data, "\n") {
			if n != "" && !strings.ContainsAny(n, "[], \t\r\v\f") {
				names = append(names, n)
			}
		}
		if len(names) > 500 {
			return
		}
		folded := Fold(names)
		if len(names) == 0 {
			if folded != "" {
				t.Fatalf("Fold of nothing = %q", folded)
			}
			return
		}
		back, err := Expand(folded)
		if err != nil {
			t.Fatalf("Expand(Fold(%q)) = Expand(%q): %v", names, folded, err)
		}
		if !sameSet(names, back) {
			t.Fatalf("Fold(%q) = %q expanding to %q", names, folded, back)
		}
	})
}

// sameSet reports whether a and b hold the same strings.
func sameSet(a, b []string) bool {
	set := map[string]bool{}
	for _, s := range a {
		set[s] = true
	}
	other := map[string]bool{}
	for _, s := range b {
		if !set[s] {
			return false
		}
		other[s] = true
	}
	return len(set) == len(other)
}

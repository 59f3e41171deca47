package query

import "testing"

// ParseTestInputs is the parse table's inputs, for the external test
// package's fuzz corpus.
func ParseTestInputs() []string {
	out := make([]string, len(parseTests))
	for i, tt := range parseTests {
		out[i] = tt.in
	}
	return out
}

// FuzzParse: no input panics; whatever parses prints to text that parses
// to the same text and tree.
func FuzzParse(f *testing.F) {
	for _, in := range ParseTestInputs() {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		st, err := Parse(in)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("%q: error %T is not *Error", in, err)
			}
			return
		}
		text := st.String()
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", in, text, err)
		}
		if again.String() != text {
			t.Fatalf("%q: %q reprints as %q", in, text, again.String())
		}
		if shape(again) != shape(st) {
			t.Fatalf("%q: tree %s reparses as %s", in, shape(st), shape(again))
		}
	})
}

// Package excerpt shortens text that an error message quotes, so that a
// message about a hostile input (a 100 MB line, a host name of a million
// bytes) is one readable line and not a copy of the input. It imports
// nothing of fleetq, so every layer can use it.
package excerpt

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Max is how many bytes of a text an error message quotes; longer texts
// are quoted as their first Max bytes (cut at a character boundary) and
// then `… (N bytes)`.
const Max = 80

// Text is a text to quote in a message. As a fmt operand, %q quotes its
// prefix and %s and %v print it, each followed by `… (N bytes)` when
// the text is longer than Max.
type Text string

// Format implements fmt.Formatter.
func (t Text) Format(f fmt.State, verb rune) {
	head, cut := prefix(string(t))
	if verb == 'q' {
		head = strconv.Quote(head)
	}
	fmt.Fprint(f, head)
	if cut {
		fmt.Fprintf(f, "… (%d bytes)", len(t))
	}
}

// Quote is %q of s, shortened: "first 80 bytes"… (N bytes).
func Quote(s string) string { return fmt.Sprintf("%q", Text(s)) }

// Long reports whether s is longer than an error message quotes.
func Long(s string) bool { return len(s) > Max }

// prefix returns the first Max bytes of s, backing off to the start of a
// UTF-8 character, and whether anything was cut.
func prefix(s string) (string, bool) {
	if len(s) <= Max {
		return s, false
	}
	end := Max
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end], true
}

// Args returns args with every string or []byte longer than Max replaced
// by its Text, for Errorf-like functions whose operands may be input.
// args itself is not changed.
func Args(args []any) []any {
	var out []any
	for i, a := range args {
		t, ok := long(a)
		if !ok {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = t
	}
	if out == nil {
		return args
	}
	return out
}

// long returns a as a Text when it is a string or []byte longer than Max.
func long(a any) (Text, bool) {
	switch v := a.(type) {
	case string:
		return Text(v), Long(v)
	case []byte:
		if len(v) > Max {
			return Text(v), true
		}
	}
	return "", false
}

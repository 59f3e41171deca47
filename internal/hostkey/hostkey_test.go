package hostkey

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, key string
		err     error
		text    string
	}{
		{in: "dn0001.smf1", key: "dn0001.smf1"},
		{in: "  DN0001.SMF1\t", key: "dn0001.smf1"},
		{in: "web_01", key: "web_01"},
		{in: "10.0.0.1", key: "10.0.0.1"},
		{in: "fe80::1", key: "fe80::1"},
		{in: "nm08.dc1.example.net", key: "nm08.dc1.example.net"},
		{in: "a-b.", key: "a-b."},
		{in: "a..b", key: "a..b"},
		{in: "::1", key: "::1"},
		{in: strings.Repeat("a", 253), key: strings.Repeat("a", 253)},
		{in: "", err: ErrEmpty, text: `host "": empty host name (` + Allowed + ")"},
		{in: "  ", err: ErrEmpty, text: `host "": empty host name (` + Allowed + ")"},
		{in: "a b", err: ErrChar, text: `host "a b": contains a blank (` + Allowed + ")"},
		{in: "a\tb", err: ErrChar, text: `host "a\tb": contains a blank (` + Allowed + ")"},
		{in: "a\x00b", err: ErrChar, text: `host "a\x00b": contains the control character U+0000 (` + Allowed + ")"},
		{in: "a,b", err: ErrChar, text: `host "a,b": contains ',' (` + Allowed + ")"},
		{in: "dn[1-2]", err: ErrChar, text: `host "dn[1-2]": contains '[' (` + Allowed + ")"},
		{in: "dn*", err: ErrChar, text: `host "dn*": contains '*' (` + Allowed + ")"},
		{in: "h/1", err: ErrChar, text: `host "h/1": contains '/' (` + Allowed + ")"},
		{in: "hé", err: ErrChar, text: `host "hé": contains 'é' (` + Allowed + ")"},
		{in: "h\xff", err: ErrChar, text: "host \"h\uFFFD\": contains a byte that is not UTF-8 (" + Allowed + ")"},
		{in: "-rf", err: ErrLeading, text: `host "-rf": starts with '-' (` + Allowed + ")"},
		{in: "--help", err: ErrLeading, text: `host "--help": starts with '-' (` + Allowed + ")"},
		{in: " -x", err: ErrLeading, text: `host "-x": starts with '-' (` + Allowed + ")"},
		{in: ".", err: ErrLeading, text: `host ".": starts with '.' (` + Allowed + ")"},
		{in: "..", err: ErrLeading, text: `host "..": starts with '.' (` + Allowed + ")"},
		{in: ".hidden", err: ErrLeading, text: `host ".hidden": starts with '.' (` + Allowed + ")"},
		{in: "../../etc/passwd", err: ErrLeading, text: `host "../../etc/passwd": starts with '.' (` + Allowed + ")"},
		{in: "etc/../passwd", err: ErrChar, text: `host "etc/../passwd": contains '/' (` + Allowed + ")"},
		{in: "a\x1b]0;pwned\x07", err: ErrChar, text: `host "a\x1b]0;pwned\a": contains the control character U+001B (` + Allowed + ")"},
		{in: "a\u202eb", err: ErrChar, text: `host "a\u202eb": contains '\u202e' (` + Allowed + ")"},
		{in: "a\u200bb", err: ErrChar, text: `host "a\u200bb": contains '\u200b' (` + Allowed + ")"},
		{in: strings.Repeat("a", 254), err: ErrTooLong, text: `host "` + strings.Repeat("a", 80) + `"… (254 bytes): 254 bytes, longer than 253 (` + Allowed + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			key, err := Parse(tt.in)
			if tt.err == nil {
				require.NoError(t, err)
				require.Equal(t, tt.key, key)
				return
			}
			require.ErrorIs(t, err, tt.err)
			require.Equal(t, tt.text, err.Error())
		})
	}
	require.ErrorContains(t, Check("Upper"), "is not lower-case")
}

// FuzzParse: a key Parse accepts is normalised, stays accepted, and can be
// named in a host literal (no blank, ',' '[' ']' '*' '?').
func FuzzParse(f *testing.F) {
	for _, s := range []string{"dn0001.smf1", " A b ", "fe80::1", "a,b", "x[1]", "\x00", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := Parse(s)
		if err != nil {
			return
		}
		if Normalize(key) != key || Check(key) != nil {
			t.Fatalf("%q: key %q is not stable", s, key)
		}
		if strings.ContainsAny(key, " \t,[]*?") {
			t.Fatalf("%q: key %q cannot be named in a literal", s, key)
		}
		if key[0] == '-' || key[0] == '.' {
			t.Fatalf("%q: key %q would read as an option or a hidden file", s, key)
		}
	})
}

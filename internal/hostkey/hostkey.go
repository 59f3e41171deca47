// Package hostkey is the one rule for host keys, shared by every ingester
// (through source.Builder of package ingest), the store's consistency check and the query
// language's test fleet. It imports nothing of fleetq, so every layer can
// use it without an import cycle.
//
// A host key is trimmed and lower-cased (Normalize), then must be 1 to
// MaxLen bytes of ASCII letters, digits, '-', '_', '.' and ':', not
// starting with '-' or '.' (Check): DNS names and their labels, short
// names, IPv4 and IPv6 addresses, and the underscores some CMDBs use.
// Everything else is refused, above all blanks and the characters of the
// host-literal notation (',' '[' ']' '*' '?'), because a host whose key
// holds them cannot be named afterwards. Being ASCII only, a key holds no
// control, invisible or bidirectional character and is valid UTF-8.
//
// A leading '-' is refused because hosts reach other programs as words
// and lines (the executor reads approved hosts on stdin, shell loops pass
// them on): "-rf" or "--help" would be read as an option. A leading '.'
// is refused because sets and hosts become file names ("export"): ".",
// "..", and hidden files. No DNS name starts with either.
package hostkey

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/fleetq/fleetq/internal/excerpt"
)

// MaxLen is the longest host key in bytes, the length of a DNS name.
const MaxLen = 253

// Allowed says which keys are allowed, for error messages.
const Allowed = "a host key is 1 to 253 letters, digits, '-', '_', '.' or ':', not starting with '-' or '.'"

// Sentinel errors, returned wrapped in an *Error.
var (
	// ErrEmpty is returned for a key that is empty after trimming.
	ErrEmpty = errors.New("empty host name")
	// ErrTooLong is returned for a key longer than MaxLen bytes.
	ErrTooLong = fmt.Errorf("longer than %d bytes", MaxLen)
	// ErrChar is returned for a key with a character outside the rule.
	ErrChar = errors.New("character not allowed")
	// ErrLeading is returned for a key that starts with '-' or '.'.
	ErrLeading = errors.New("starts with '-' or '.'")
)

// Error is a refused host key.
type Error struct {
	Key    string // the key as normalised
	Err    error  // one of the sentinels above
	Detail string // the offending character, may be empty
}

// Error quotes at most a prefix of a long key (package excerpt).
func (e *Error) Error() string {
	what := e.Err.Error()
	if e.Detail != "" {
		what = e.Detail
	}
	return fmt.Sprintf("host %q: %s (%s)", excerpt.Text(e.Key), what, Allowed)
}

func (e *Error) Unwrap() error { return e.Err }

// Normalize is how every source's host names become keys: trimmed and
// lower-cased.
func Normalize(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Check returns an *Error when key (already normalised) is not a host key.
func Check(key string) error {
	switch {
	case key == "":
		return &Error{Key: key, Err: ErrEmpty}
	case len(key) > MaxLen:
		return &Error{Key: key, Err: ErrTooLong, Detail: fmt.Sprintf("%d bytes, longer than %d", len(key), MaxLen)}
	case key[0] == '-' || key[0] == '.':
		return &Error{Key: key, Err: ErrLeading, Detail: fmt.Sprintf("starts with %q", key[0])}
	}
	for i := 0; i < len(key); i++ {
		if !allowed(key[i]) {
			return &Error{Key: key, Err: ErrChar, Detail: describe(key, i)}
		}
	}
	return nil
}

// Parse normalises s and checks the result.
func Parse(s string) (string, error) {
	key := Normalize(s)
	return key, Check(key)
}

func allowed(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':'
}

// describe names the character at byte i of key.
func describe(key string, i int) string {
	r, _ := utf8.DecodeRuneInString(key[i:])
	switch {
	case r == ' ' || r == '\t':
		return "contains a blank"
	case r < ' ' || r == 0x7f:
		return fmt.Sprintf("contains the control character %U", r)
	case r >= 'A' && r <= 'Z':
		return "is not lower-case" // only an unnormalised key
	case r == utf8.RuneError:
		return "contains a byte that is not UTF-8"
	}
	return fmt.Sprintf("contains %q", r)
}

package source

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/fleetq/fleetq/internal/excerpt"
)

// LineError is malformed input at a place in a file. It renders as
// `FILE:LINE: what was wrong` (docs/sources.md); Line 0 means the whole file.
type LineError struct {
	File string
	Line int
	Msg  string
	Err  error // the cause, when there is one to test for (a *HostError)
}

// maxMessage bounds the message of a *LineError, whatever it quotes: a
// message built from a wrapped error that quoted a long input is cut.
const maxMessage = 1 << 10

func (e *LineError) Error() string {
	msg := clipMessage(e.Msg)
	if e.Line <= 0 {
		return fmt.Sprintf("%s: %s", e.File, msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
}

// clipMessage cuts a message longer than maxMessage at a character
// boundary and says how long it was.
func clipMessage(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	end := maxMessage
	for end > 0 && !utf8.RuneStart(msg[end]) {
		end--
	}
	return fmt.Sprintf("%s… (a message of %d bytes, cut)", msg[:end], len(msg))
}

func (e *LineError) Unwrap() error { return e.Err }

// Errorf returns a *LineError for file:line. A string or []byte operand
// longer than excerpt.Max (a line or a name quoted from the input) is
// shortened to its prefix and `… (N bytes)`, and the message is kept on
// one line (NewLineError).
func Errorf(file string, line int, format string, args ...any) error {
	return NewLineError(file, line, fmt.Sprintf(format, excerpt.Args(args)...))
}

// NewLineError is the *LineError of a message already built, with its
// control characters escaped (a label name with a newline, a Prometheus
// error text), so the error stays one line.
func NewLineError(file string, line int, msg string) error {
	return &LineError{File: file, Line: line, Msg: oneLine(msg)}
}

// oneLine escapes the line breaks and control characters of msg.
func oneLine(msg string) string {
	var sb strings.Builder
	for _, r := range msg {
		switch {
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 || r == 0x85:
			fmt.Fprintf(&sb, `\x%02x`, r)
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// HostError is a host name a source gave that is no host key (see package
// hostkey), wrapped in the *LineError that Builder.Finish returns at the
// line of the input that holds the name.
type HostError struct {
	Name string // as the source wrote it
	Err  error  // a *hostkey.Error
}

func (e *HostError) Error() string { return e.Err.Error() }

func (e *HostError) Unwrap() error { return e.Err }

// ErrEmpty is returned (wrapped) when a source that must name hosts names
// none, together with the empty source; --allow-empty accepts it.
var ErrEmpty = errors.New("no hosts")

// ErrTooManyExpansions is returned, wrapped in a BoundError, when the host
// ranges of one file expand to more names than the bound a parser was
// given (Limits.Expansions of package ingest; Ansible inventories).
var ErrTooManyExpansions = errors.New("too many expanded host names")

// BoundError is the *LineError of a bound: what was over it, the bound,
// and the flag that changes it. It wraps sentinel.
func BoundError(file string, line int, sentinel error, what string, bound int64, flag string) error {
	return &LineError{File: file, Line: line, Err: sentinel,
		Msg: fmt.Sprintf("%s: %s, the bound is %s (change it with %s)", sentinel, what, sizeText(bound, flag), flag)}
}

// sizeText prints a byte bound with its unit, a count as it is.
func sizeText(n int64, flag string) string {
	if !strings.HasSuffix(flag, "-bytes") {
		return fmt.Sprintf("%d", n)
	}
	for _, u := range []struct {
		shift uint
		name  string
	}{{30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d %s", n>>u.shift, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

package ingest

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/fleetq/fleetq/internal/excerpt"
)

// LineError is malformed input at a place in a file. It renders as
// `FILE:LINE: what was wrong` (SPEC §5); Line 0 means the whole file.
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
// shortened to its prefix and `… (N bytes)`.
func Errorf(file string, line int, format string, args ...any) error {
	return &LineError{File: file, Line: line, Msg: fmt.Sprintf(format, excerpt.Args(args)...)}
}

// HostError is a host name a source gave that is no host key (see package
// hostkey), wrapped in the *LineError that Builder.Finish returns at the
// line of the input that holds the name (Builder.Finish).
type HostError struct {
	Name string // as the source wrote it
	Err  error  // a *hostkey.Error
}

func (e *HostError) Error() string { return e.Err.Error() }

func (e *HostError) Unwrap() error { return e.Err }

// ErrEmpty is returned (wrapped in a *LineError) when a source that must
// name hosts names none; --allow-empty accepts it.
var ErrEmpty = errors.New("no hosts")

// The bounds of Limits, each returned wrapped in a *LineError that names
// the file (and the line where there is one), the bound and its flag.
var (
	// ErrSourceTooLarge is returned when a source has more bytes than
	// Limits.SourceBytes; reading stops there.
	ErrSourceTooLarge = errors.New("source too large")
	// ErrLineTooLong is returned when a line of a line-oriented source is
	// longer than Limits.LineBytes; reading stops there.
	ErrLineTooLong = errors.New("line too long")
	// ErrFieldTooLong is returned when a string attribute value is longer
	// than Limits.FieldBytes.
	ErrFieldTooLong = errors.New("value too long")
	// ErrTooManyHosts is returned when a source names more distinct hosts
	// than Limits.Hosts.
	ErrTooManyHosts = errors.New("too many hosts")
	// ErrTooManyExpansions is returned when the host ranges of one file
	// expand to more names than Limits.Expansions, or one pattern to more
	// than 100,000.
	ErrTooManyExpansions = errors.New("too many expanded host names")
)

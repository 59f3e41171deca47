package ingest

import (
	"errors"
	"fmt"
)

// LineError is malformed input at a place in a file. It renders as
// `FILE:LINE: what was wrong` (SPEC §5); Line 0 means the whole file.
type LineError struct {
	File string
	Line int
	Msg  string
	Err  error // the cause, when there is one to test for (a *HostError)
}

func (e *LineError) Error() string {
	if e.Line <= 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

func (e *LineError) Unwrap() error { return e.Err }

// Errorf returns a *LineError for file:line.
func Errorf(file string, line int, format string, args ...any) error {
	return &LineError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
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

package nodeset

import (
	"errors"
	"fmt"
)

// Sentinel errors, returned wrapped in an *Error that carries the byte offset
// in the pattern; test for them with errors.Is.
var (
	// ErrUnbalanced is returned for a '[' without its ']', a ']' without its
	// '[', or a '[' inside brackets.
	ErrUnbalanced = errors.New("unbalanced bracket")
	// ErrReversedRange is returned when a range's upper bound is below its
	// lower bound, as in [9-3] or [z-a].
	ErrReversedRange = errors.New("reversed range")
	// ErrEmptyElement is returned for an empty pattern or an empty element
	// between commas, as in "a,,b" or "a,".
	ErrEmptyElement = errors.New("empty element")
	// ErrTooLarge is returned when a pattern expands to more than MaxNames
	// names.
	ErrTooLarge = fmt.Errorf("expands to more than %d names", MaxNames)
	// ErrTooManyGlobs is returned when a pattern expands to more than
	// MaxGlobs globs ("*[1-2000]").
	ErrTooManyGlobs = fmt.Errorf("expands to more than %d globs", MaxGlobs)
	// ErrPadding is returned for a range whose bounds are padded to
	// different widths, as in [001-10] or [1-010]: the width of the names
	// it would give is a guess.
	ErrPadding = errors.New("bounds padded to different widths")
	// ErrSyntax is returned for a malformed range item ("[]", "[1-]",
	// "[a-5]", "[1/0]"), a number that does not fit 64 bits, or whitespace
	// inside a name.
	ErrSyntax = errors.New("invalid syntax")
)

// Error is a pattern error at a byte offset.
type Error struct {
	Offset int    // byte offset in the pattern
	Err    error  // one of the sentinel errors above
	Detail string // what was found, may be empty
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("offset %d: %v", e.Offset, e.Err)
	}
	return fmt.Sprintf("offset %d: %v: %s", e.Offset, e.Err, e.Detail)
}

// Reason is the error without its offset: "reversed range: 9-3".
func (e *Error) Reason() string {
	if e.Detail == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// errAt returns an *Error at offset.
func errAt(offset int, err error, detail string) *Error {
	return &Error{Offset: offset, Err: err, Detail: detail}
}

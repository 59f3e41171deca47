package query

import (
	"errors"
	"fmt"
	"strings"
)

// Error is a mistake in a statement, at a position. It renders as
// `1:8: what was wrong` and, with Detail, a caret under the input.
type Error struct {
	Pos   Pos
	Msg   string
	Input string
	Err   error // the sentinel or cause wrapped with %w, if any
}

// Unwrap returns the wrapped sentinel (ErrUnknownName, ErrTooDeep, …).
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}

// Detail is the input line with a caret under the error column.
func (e *Error) Detail() string {
	lines := strings.Split(e.Input, "\n")
	if e.Pos.Line < 1 || e.Pos.Line > len(lines) {
		return ""
	}
	line := lines[e.Pos.Line-1]
	col := e.Pos.Col
	if col < 1 {
		col = 1
	}
	if col > len(line)+1 {
		col = len(line) + 1
	}
	return "  " + line + "\n  " + strings.Repeat(" ", col-1) + "^"
}

// Sentinel errors, wrapped by *Error or returned by evaluation.
var (
	// ErrUnknownName: a set or attribute name that does not exist in the
	// pass (fail closed: never an empty set).
	ErrUnknownName = errors.New("unknown name")
	// ErrBadHostLiteral: a quoted host literal that is not node-set
	// notation (a reversed or empty range, an unbalanced bracket, bounds
	// padded to different widths, too many names or globs).
	ErrBadHostLiteral = errors.New("bad host literal")
	// ErrUnknownHost: a host literal naming a host that is not in the
	// pass, or with a glob that matches no host of it (fail closed: a
	// literal that partly matches is a silently smaller set).
	ErrUnknownHost = errors.New("unknown host")
	// ErrTooDeep: an expression nested deeper than MaxDepth.
	ErrTooDeep = errors.New("expression nested too deeply")
	// ErrTooLong: an expression of more than MaxTokens tokens.
	ErrTooLong = errors.New("expression too long")
	// ErrStorage: a set or attribute of a pass could not be read (a
	// damaged file). The wrapped cause names the pass and what was read.
	ErrStorage = errors.New("storage error")
	// ErrCanceled: evaluation stopped because its context was canceled.
	ErrCanceled = errors.New("query canceled")
)

// MaxDepth bounds nesting (parentheses, runs of not) so no input can
// exhaust the stack.
const MaxDepth = 200

// MaxTokens bounds the length of a statement: a chain of set operators is
// a tree as deep as it is long, and parsing it is slow long before that
// matters to the stack.
const MaxTokens = 10_000

func errAt(p Pos, input, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Pos: p, Msg: err.Error(), Input: input, Err: errors.Unwrap(err)}
}

// posAt computes line and column of a byte offset.
func posAt(input string, off int) Pos {
	if off > len(input) {
		off = len(input)
	}
	line, col := 1, 1
	for _, r := range input[:off] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return Pos{Offset: off, Line: line, Col: col}
}

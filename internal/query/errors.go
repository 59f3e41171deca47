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
}

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
	// ErrTooDeep: an expression nested deeper than MaxDepth.
	ErrTooDeep = errors.New("expression nested too deeply")
	// ErrCanceled: evaluation stopped because its context was canceled.
	ErrCanceled = errors.New("query canceled")
)

// MaxDepth bounds nesting (parentheses, chains) so no input can exhaust
// the stack.
const MaxDepth = 200

func errAt(p Pos, input, format string, args ...any) *Error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...), Input: input}
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

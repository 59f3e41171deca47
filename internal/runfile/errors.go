package runfile

import (
	"errors"
	"fmt"
)

// errAssertSyntax is returned, inside a *query.DefError, for a line that
// starts with assert but is not one.
var errAssertSyntax = errors.New("expected assert count(EXPR) OP NUMBER")

// AssertError is returned by Report.Failed for the first failed assert:
// FILE:LINE: assert failed: TEXT (count is N). fleetq run exits 4 on it.
type AssertError struct {
	File   string
	Assert Assert
}

func (e *AssertError) Error() string {
	return fmt.Sprintf("%s:%d: assert failed: %s (count is %d)", e.File, e.Assert.Line, e.Assert.Text, e.Assert.Count)
}

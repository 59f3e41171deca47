package runfile

import (
	"fmt"
)

// AssertError is returned by Report.Failed for the first failed assert:
// FILE:LINE: assert failed: TEXT (count is N), with the evidence of
// Assert.Detail. fleetq run exits 4 on it.
type AssertError struct {
	File   string
	Assert Assert
}

func (e *AssertError) Error() string {
	return fmt.Sprintf("%s:%d: assert failed: %s (%s)", e.File, e.Assert.Line, e.Assert.Text, e.Assert.Detail())
}

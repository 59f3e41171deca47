package inventory

import (
	"strconv"
	"strings"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/ingest/source"
)

// The type of an inventory CSV column comes from all its non-empty cells:
//
//   - every cell true or false (any case): bool;
//   - more than half of the cells true or false, the rest not: an error
//     at the first other cell (a bool column with a typo, "yes", "1" or
//     "TRUE " is not silently retyped to string, which would empty its set);
//   - every cell a number: number;
//   - otherwise string (a column of yes/no is a string column).

// columnStats is what type inference needs to know about one column.
type columnStats struct {
	values, bools int
	notNum        bool   // some value is not a number
	other         string // the first value that is not true or false
	otherLine     int
}

func (s *columnStats) add(v string, line int) {
	s.values++
	if isBoolWord(v) {
		s.bools++
	} else if s.otherLine == 0 {
		s.other, s.otherLine = strings.Clone(v), line
	}
	if !s.notNum {
		_, err := strconv.ParseFloat(v, 64)
		s.notNum = err != nil
	}
}

func isBoolWord(v string) bool {
	return len(v) >= 4 && len(v) <= 5 && (strings.EqualFold(v, "true") || strings.EqualFold(v, "false"))
}

// typ is the column's type, 0 when it has no value, or the error for a
// mostly-bool column.
func (s *columnStats) typ(file, name string) (fleet.Type, error) {
	switch {
	case s.values == 0:
		return 0, nil
	case s.bools == s.values:
		return fleet.Bool, nil
	case 2*s.bools > s.values:
		return 0, source.Errorf(file, s.otherLine, "column %s: %q is not true or false (expected a bool: %d of the column's %d values are true or false)",
			name, s.other, s.bools, s.values)
	case !s.notNum:
		return fleet.Number, nil
	}
	return fleet.String, nil
}

package policy

import (
	"fmt"
	"math"
	"strconv"
)

// Budget is how many hosts of one cluster a verb may have out at once:
// either a percentage of the cluster size clamped to [floor, ceiling], or
// an absolute max (per-cluster exceptions: `drain = { max = 1 }`).
type Budget struct {
	Pct     *float64 `toml:"pct"`
	Floor   *int     `toml:"floor"`   // default 1, so small clusters still get maintained
	Ceiling *int     `toml:"ceiling"` // default none: only a missing key means none
	Max     *int     `toml:"max"`
}

// pctScale is the resolution of a percentage: 4 decimals (6.25% is 62500
// parts per million), so the cap is integer arithmetic with no rounding
// noise (7% of 100 is exactly 7).
const pctScale = 10000

func (b Budget) validate() error {
	if b.Max != nil {
		if b.Pct != nil || b.Floor != nil || b.Ceiling != nil {
			return fmt.Errorf("max is absolute: give max alone, or pct with floor and ceiling")
		}
		if *b.Max < 0 {
			return fmt.Errorf("max = %d: must not be negative", *b.Max)
		}
		return nil
	}
	if b.Pct == nil {
		return fmt.Errorf("pct (or max) is required")
	}
	if err := validPct(*b.Pct); err != nil {
		return err
	}
	if b.Ceiling != nil && *b.Ceiling < 0 {
		return fmt.Errorf("ceiling = %d: must not be negative (leave ceiling out for no ceiling)", *b.Ceiling)
	}
	floor, ceiling := b.floor(), b.ceiling()
	if floor < 0 {
		return fmt.Errorf("floor = %d: must not be negative", floor)
	}
	if ceiling >= 0 && ceiling < floor {
		return fmt.Errorf("ceiling %d is below floor %d", ceiling, floor)
	}
	return nil
}

// validPct checks a percentage: 0 to 100, at most 4 decimals.
func validPct(pct float64) error {
	if math.IsNaN(pct) || pct < 0 || pct > 100 {
		return fmt.Errorf("pct = %v: must be between 0 and 100", pct)
	}
	if x := pct * pctScale; math.Abs(x-math.Round(x)) > 1e-6 {
		return fmt.Errorf("pct = %v: at most 4 decimals", pct)
	}
	return nil
}

func (b Budget) floor() int   { return deref(b.Floor, 1) }
func (b Budget) ceiling() int { return deref(b.Ceiling, -1) } // -1: none

// Arith is the cap computation for one cluster, kept for the report.
type Arith struct {
	Pct     float64 `json:"pct"`
	Size    int     `json:"size"`
	Raw     int     `json:"raw"` // floor(pct × size), before the clamp
	Floor   int     `json:"floor"`
	Ceiling int     `json:"ceiling"` // -1: none
	Max     int     `json:"max"`     // -1: percentage budget
	Cap     int     `json:"cap"`
}

// Cap computes cap = clamp(floor(pct × size), floor, ceiling), or max.
// floor() rounds down: 6% of 412 is 24.72, so 24; the floor then raises
// a small cluster's 0 to 1.
func (b Budget) Cap(size int) Arith {
	if b.Max != nil {
		return Arith{Size: size, Max: *b.Max, Cap: *b.Max, Floor: -1, Ceiling: -1}
	}
	a := Arith{Pct: *b.Pct, Size: size, Floor: b.floor(), Ceiling: b.ceiling(), Max: -1}
	a.Raw = pctOf(*b.Pct, size)
	a.Cap = max(a.Raw, a.Floor)
	if a.Ceiling >= 0 {
		a.Cap = min(a.Cap, a.Ceiling)
	}
	return a
}

// String renders the arithmetic: "6% of 412 = 24 (floor 1, ceiling 200)",
// "5% of 10 = 0 → 1 (floor 1, ceiling 5)", "max 1".
func (a Arith) String() string {
	if a.Max >= 0 {
		return "max " + strconv.Itoa(a.Max)
	}
	s := fmt.Sprintf("%s%% of %d = %d", strconv.FormatFloat(a.Pct, 'f', -1, 64), a.Size, a.Raw)
	if a.Cap != a.Raw {
		s += fmt.Sprintf(" → %d", a.Cap)
	}
	ceil := "none"
	if a.Ceiling >= 0 {
		ceil = strconv.Itoa(a.Ceiling)
	}
	return s + fmt.Sprintf(" (floor %d, ceiling %s)", a.Floor, ceil)
}

// Headroom is cap − unavailable − leased; it may be negative (more hosts
// are out than the budget allows) and then approves nothing.
func Headroom(cap, unavailable, leased int) int { return cap - unavailable - leased }

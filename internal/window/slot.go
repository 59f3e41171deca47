package window

import "time"

// Slot is one absolute interval [Start, End), such as a maintenance
// week's slot: it opens once. It answers the same questions as a Set.
type Slot struct {
	Start, End time.Time
}

// Open reports whether t is inside the slot.
func (s Slot) Open(t time.Time) bool { return !t.Before(s.Start) && t.Before(s.End) }

// NextOpen is t when the slot is open, its start when it is ahead, and
// false once it has ended.
func (s Slot) NextOpen(t time.Time) (time.Time, bool) {
	switch {
	case s.Open(t):
		return t.UTC(), true
	case t.Before(s.Start):
		return s.Start.UTC(), true
	}
	return time.Time{}, false
}

// Until is the slot's end while it is open.
func (s Slot) Until(t time.Time) (time.Time, bool) {
	if !s.Open(t) {
		return time.Time{}, false
	}
	return s.End.UTC(), true
}

// Fits reports whether the slot is open at t and holds d from t.
func (s Slot) Fits(t time.Time, d time.Duration) bool {
	return s.Open(t) && !t.Add(d).After(s.End)
}

// NextFit is the earliest instant at or after t from which d fits.
func (s Slot) NextFit(t time.Time, d time.Duration) (time.Time, bool) {
	start := t
	if t.Before(s.Start) {
		start = s.Start
	}
	if s.Fits(start, d) {
		return start.UTC(), true
	}
	return time.Time{}, false
}

func (s Slot) String() string {
	const f = "2006-01-02T15:04Z07:00"
	return s.Start.UTC().Format(f) + "/" + s.End.UTC().Format(f)
}

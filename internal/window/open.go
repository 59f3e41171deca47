package window

import (
	"slices"
	"time"
)

// Horizon is how far ahead NextOpen and Until look: two weeks holds the
// next occurrence of every weekly window, whatever the clock changes do.
const Horizon = 15 * 24 * time.Hour

// Open reports whether the zone's wall clock at t is inside the window.
func (w Window) Open(t time.Time) bool {
	lt := t.In(w.loc)
	m := lt.Hour()*60 + lt.Minute()
	d := int(lt.Weekday())
	if !w.crosses() {
		return w.Days[d] && m >= w.Start && m < w.End
	}
	return w.Days[d] && m >= w.Start || w.Days[(d+6)%7] && m < w.End
}

// Open reports whether any window of the set is open at t.
func (s Set) Open(t time.Time) bool {
	for _, w := range s {
		if w.Open(t) {
			return true
		}
	}
	return false
}

// OpenWindow is the first window of the set open at t, if any.
func (s Set) OpenWindow(t time.Time) (Window, bool) {
	for _, w := range s {
		if w.Open(t) {
			return w, true
		}
	}
	return Window{}, false
}

// NextOpen is the earliest instant at or after t at which the set is
// open (t itself when it is open), in UTC; false when nothing opens
// within the Horizon.
func (s Set) NextOpen(t time.Time) (time.Time, bool) {
	if s.Open(t) {
		return t.UTC(), true
	}
	for _, c := range s.changes(t, Horizon) {
		if s.Open(c) {
			return c.UTC(), true
		}
	}
	return time.Time{}, false
}

// Until is when the set, open at t, closes: the end of the run of open
// time holding t (windows that overlap or touch make one run), in UTC.
// false when it is closed at t, or does not close within the Horizon
// (every day, all day).
func (s Set) Until(t time.Time) (time.Time, bool) {
	if !s.Open(t) {
		return time.Time{}, false
	}
	for _, c := range s.changes(t, Horizon) {
		if !s.Open(c) {
			return c.UTC(), true
		}
	}
	return time.Time{}, false
}

// Interval is the run of open time holding t: when it opened (false
// when it has been open for the whole Horizon before t) and when it
// closes (as Until). ok is false when the set is closed at t.
func (s Set) Interval(t time.Time) (start time.Time, opened bool, end time.Time, closes bool, ok bool) {
	if !s.Open(t) {
		return time.Time{}, false, time.Time{}, false, false
	}
	from := t.Add(-Horizon)
	open := s.Open(from)
	for _, c := range s.changes(from, Horizon) {
		if c.After(t) {
			break
		}
		now := s.Open(c)
		if now && !open {
			start, opened = c.UTC(), true
		}
		open = now
	}
	end, closes = s.Until(t)
	return start, opened, end, closes, true
}

// Fits reports whether the set is open at t and stays open for d from t
// (a set open all the time holds any d).
func (s Set) Fits(t time.Time, d time.Duration) bool {
	if !s.Open(t) {
		return false
	}
	end, ok := s.Until(t)
	return !ok || !t.Add(d).After(end)
}

// NextFit is the earliest instant at or after t from which d fits, in
// UTC (an opening, or t itself); false when none within the Horizon.
func (s Set) NextFit(t time.Time, d time.Duration) (time.Time, bool) {
	if s.Fits(t, d) {
		return t.UTC(), true
	}
	for _, c := range s.changes(t, Horizon) {
		if s.Fits(c, d) {
			return c.UTC(), true
		}
	}
	return time.Time{}, false
}

// changes are the instants in (t, t+span] at which the set may open or
// close, sorted: every instant a window's start or end (or a midnight)
// is read on the zone's clock, and every clock change of a zone. Between
// two of them the wall clocks run on without crossing a boundary, so
// whether the set is open stays the same.
func (s Set) changes(t time.Time, span time.Duration) []time.Time {
	end := t.Add(span)
	var out []time.Time
	seen := map[*time.Location]bool{}
	for _, w := range s {
		out = append(out, w.boundaries(t, end)...)
		if !seen[w.loc] {
			seen[w.loc] = true
			out = append(out, transitions(w.loc, t, end)...)
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	out = slices.CompactFunc(out, func(a, b time.Time) bool { return a.Equal(b) })
	i := 0
	for i < len(out) && !out[i].After(t) {
		i++
	}
	return out[i:]
}

// boundaries are the instants in about [t-1d, end+1d] at which the
// zone's clock reads the window's start, its end or a midnight.
func (w Window) boundaries(t, end time.Time) []time.Time {
	minutes := []int{0, w.Start, w.End % (24 * 60)}
	first := t.In(w.loc).AddDate(0, 0, -1)
	y, mo, d := first.Date()
	var out []time.Time
	for day := time.Date(y, mo, d, 12, 0, 0, 0, time.UTC); !day.After(end.AddDate(0, 0, 2)); day = day.AddDate(0, 0, 1) {
		for _, m := range minutes {
			out = append(out, wallInstants(w.loc, day.Year(), day.Month(), day.Day(), m)...)
		}
	}
	return out
}

// wallInstants are the instants (zero, one or two) at which loc's clock
// reads the given date and minute of the day.
func wallInstants(loc *time.Location, y int, mo time.Month, d, minute int) []time.Time {
	wall := time.Date(y, mo, d, minute/60, minute%60, 0, 0, time.UTC).Unix()
	var out []time.Time
	for _, off := range offsetsNear(loc, wall) {
		u := time.Unix(wall-int64(off), 0)
		if _, o := u.In(loc).Zone(); o == off {
			out = append(out, u)
		}
	}
	return out
}

// offsetsNear are the UTC offsets loc uses within a day of the instant
// whose UTC reading is the wall time (every real instant for that wall
// time lies within 15 hours of it).
func offsetsNear(loc *time.Location, wall int64) []int {
	var out []int
	t := time.Unix(wall-15*3600, 0).In(loc)
	stop := time.Unix(wall+15*3600, 0)
	for {
		_, off := t.Zone()
		if !slices.Contains(out, off) {
			out = append(out, off)
		}
		_, next := t.ZoneBounds()
		if next.IsZero() || next.After(stop) {
			return out
		}
		t = next.In(loc)
	}
}

// transitions are loc's clock changes in [t, end].
func transitions(loc *time.Location, t, end time.Time) []time.Time {
	var out []time.Time
	cur := t.In(loc)
	for {
		_, next := cur.ZoneBounds()
		if next.IsZero() || next.After(end) {
			return out
		}
		out = append(out, next)
		cur = next.In(loc)
	}
}

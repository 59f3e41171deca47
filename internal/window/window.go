// Package window is recurring weekly maintenance windows with explicit
// time zones, as a CMDB column or a policy writes them:
//
//	Mon 09:00-11:00 Europe/Berlin; Sat 22:00-02:00 UTC
//
// A value is one or more windows separated by ";", each DAYS HH:MM-HH:MM
// ZONE. DAYS is a day (Mon..Sun), a range (Mon-Fri; Fri-Mon wraps over
// the weekend) or a comma list of either (Sat,Sun or Mon-Wed,Fri). An end
// at or before the start crosses midnight (Sat 22:00-02:00 is Saturday
// 22:00 to Sunday 02:00; 02:00-02:00 is 24 hours); an end of 24:00 is
// midnight. ZONE is an IANA name (Europe/Berlin) or UTC and is required:
// "Local" is refused, a window must mean the same on every machine.
//
// Time zones and DST: a window is wall-clock time in its zone. An instant
// is inside it when the zone's clock, at that instant, reads a time
// between the start (inclusive) and the end (exclusive) on one of the
// window's days (or, for a window crossing midnight, before the end on
// the day after one). So a 09:00-11:00 window is two hours every day,
// DST change days included (the changes happen at night); a window that
// holds the change is as long as the clock says: 01:00-04:00
// Europe/Berlin is 2 hours on the last Sunday of March (02:00-03:00 does
// not exist) and 4 hours on the last Sunday of October (02:00-03:00 is
// read twice), and 02:00-03:00 Europe/Berlin is not open at all on the
// March change day. The zone database is embedded (time/tzdata), so
// zones load on a machine without /usr/share/zoneinfo.
//
// The package imports nothing of fleetq.
package window

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // zones load without /usr/share/zoneinfo
)

// MaxValue bounds the length of a value and MaxWindows its windows: a
// CMDB column is a short human text.
const (
	MaxValue   = 4096
	MaxWindows = 64
)

// Window is one recurring weekly interval.
type Window struct {
	// Days are the days the window starts on, by time.Weekday.
	Days [7]bool
	// Start and End are minutes of the day, End in 1..1440; End <= Start
	// crosses midnight.
	Start, End int
	Zone       string
	loc        *time.Location
}

// Set is the windows of one value; a host is in maintenance while any
// of them is open.
type Set []Window

var dayNames = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// crosses reports whether the window ends on the day after it starts.
func (w Window) crosses() bool { return w.End <= w.Start }

// Length is how long the window is on a day without a clock change.
func (w Window) Length() time.Duration {
	n := w.End - w.Start
	if w.crosses() {
		n += 24 * 60
	}
	return time.Duration(n) * time.Minute
}

// Location is the window's zone.
func (w Window) Location() *time.Location { return w.loc }

// String is the canonical text: days as ranges of three or more
// consecutive days (Mon-Fri), else a list.
func (w Window) String() string {
	return fmt.Sprintf("%s %s-%s %s", daysString(w.Days), hhmm(w.Start), hhmm(w.End), w.Zone)
}

func (s Set) String() string {
	parts := make([]string, len(s))
	for i, w := range s {
		parts[i] = w.String()
	}
	return strings.Join(parts, "; ")
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// daysString writes the days Monday first, runs of three or more as a
// range.
func daysString(days [7]bool) string {
	order := [7]int{1, 2, 3, 4, 5, 6, 0}
	var parts []string
	for i := 0; i < 7; {
		if !days[order[i]] {
			i++
			continue
		}
		j := i
		for j+1 < 7 && days[order[j+1]] {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, dayNames[order[i]]+"-"+dayNames[order[j]])
		case j == i+1:
			parts = append(parts, dayNames[order[i]], dayNames[order[j]])
		default:
			parts = append(parts, dayNames[order[i]])
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// Parse reads a value of one or more windows separated by ";". Empty
// parts between separators are refused, so a stray ";;" is a typo seen.
func Parse(s string) (Set, error) {
	if len(s) > MaxValue {
		return nil, fmt.Errorf("window value of %d bytes: at most %d", len(s), MaxValue)
	}
	parts := strings.Split(s, ";")
	if len(parts) > MaxWindows {
		return nil, fmt.Errorf("%d windows in one value: at most %d", len(parts), MaxWindows)
	}
	out := make(Set, 0, len(parts))
	for _, p := range parts {
		w, err := ParseOne(p)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// ParseOne reads one window: DAYS HH:MM-HH:MM ZONE.
func ParseOne(s string) (Window, error) {
	f := strings.Fields(s)
	if len(f) != 3 {
		return Window{}, fmt.Errorf("window %q: expected DAYS HH:MM-HH:MM ZONE, e.g. \"Mon-Fri 09:00-11:00 Europe/Berlin\"", strings.TrimSpace(s))
	}
	var w Window
	var err error
	if w.Days, err = parseDays(f[0]); err != nil {
		return Window{}, fmt.Errorf("window %q: %v", strings.TrimSpace(s), err)
	}
	if w.Start, w.End, err = parseTimes(f[1]); err != nil {
		return Window{}, fmt.Errorf("window %q: %v", strings.TrimSpace(s), err)
	}
	if w.loc, err = loadZone(f[2]); err != nil {
		return Window{}, fmt.Errorf("window %q: %v", strings.TrimSpace(s), err)
	}
	w.Zone = w.loc.String()
	return w, nil
}

// parseDays reads Mon, Mon-Fri, Sat,Sun or a list of days and ranges.
func parseDays(s string) ([7]bool, error) {
	var days [7]bool
	for _, item := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(item, "-")
		a, ok := dayOf(from)
		if !ok {
			return days, fmt.Errorf("day %q: expected Mon, Tue, Wed, Thu, Fri, Sat or Sun (a range Mon-Fri, a list Sat,Sun)", from)
		}
		b := a
		if isRange {
			if b, ok = dayOf(to); !ok {
				return days, fmt.Errorf("day %q: expected Mon, Tue, Wed, Thu, Fri, Sat or Sun (a range Mon-Fri, a list Sat,Sun)", to)
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			days[d] = true
			if d == b {
				break
			}
		}
	}
	return days, nil
}

func dayOf(s string) (int, bool) {
	for i, n := range dayNames {
		if strings.EqualFold(s, n) {
			return i, true
		}
	}
	return 0, false
}

// parseTimes reads HH:MM-HH:MM; the end may be 24:00.
func parseTimes(s string) (start, end int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q: expected HH:MM-HH:MM", s)
	}
	if start, err = clock(a, false); err != nil {
		return 0, 0, err
	}
	if end, err = clock(b, true); err != nil {
		return 0, 0, err
	}
	if end == 0 {
		end = 24 * 60 // an end at midnight is the end of the day
	}
	return start, end, nil
}

// clock reads HH:MM (two digits each); 24:00 only as an end.
func clock(s string, isEnd bool) (int, error) {
	bad := fmt.Errorf("time %q: expected HH:MM from 00:00 to 23:59 (24:00 as an end)", s)
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	switch {
	case err1 != nil || err2 != nil || s[0] == '+' || s[3] == '+' || s[0] == '-' || s[3] == '-':
		return 0, bad
	case h == 24 && m == 0 && isEnd:
		return 24 * 60, nil
	case h < 0 || h > 23 || m < 0 || m > 59:
		return 0, bad
	}
	return h*60 + m, nil
}

var zones sync.Map // name → *time.Location

// loadZone loads an IANA zone once per process; "Local" and "" are
// refused (they mean a different zone on every machine).
func loadZone(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	if name == "" || strings.EqualFold(name, "local") {
		return nil, fmt.Errorf("zone %q: an explicit zone is required (an IANA name such as Europe/Berlin, or UTC)", name)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("zone %q: not an IANA time zone name (e.g. Europe/Berlin, America/New_York, UTC)", name)
	}
	zones.Store(name, l)
	return l, nil
}

package window

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The reference: a window is open when the zone's wall clock, read as a
// plain date and minute, lies in [day+start, day+start+length) for a
// listed day, today or yesterday; NextOpen, Until and Fits are found by
// stepping minute by minute. FLEETQ_WINDOW_SEED replays a seed.

var refZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
	"America/St_Johns", "Pacific/Chatham", "Asia/Kathmandu", "America/Santiago", "Europe/London"}

func naiveOpen(s Set, t time.Time) bool {
	for _, w := range s {
		lt := t.In(w.Location())
		wall := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), 0, 0, time.UTC)
		for back := 0; back <= 1; back++ {
			day := time.Date(lt.Year(), lt.Month(), lt.Day()-back, 0, 0, 0, 0, time.UTC)
			if !w.Days[day.Weekday()] {
				continue
			}
			start := day.Add(time.Duration(w.Start) * time.Minute)
			if !wall.Before(start) && wall.Before(start.Add(w.Length())) {
				return true
			}
		}
	}
	return false
}

// naiveScan is the first minute in [t, t+Horizon] at which open(m) is want.
func naiveScan(s Set, t time.Time, want bool) (time.Time, bool) {
	for m := t; !m.After(t.Add(Horizon)); m = m.Add(time.Minute) {
		if naiveOpen(s, m) == want {
			return m.UTC(), true
		}
	}
	return time.Time{}, false
}

// naiveBack is the minute the run of open time holding t began: the
// first open minute after the last closed one, within the Horizon.
func naiveBack(s Set, t time.Time) (time.Time, bool) {
	for m := t; m.After(t.Add(-Horizon)); m = m.Add(-time.Minute) {
		if !naiveOpen(s, m.Add(-time.Minute)) {
			return m.UTC(), true
		}
	}
	return time.Time{}, false
}

func randomSet(rng *rand.Rand) string {
	var parts []string
	for range 1 + rng.IntN(3) {
		var days []string
		for d, n := range dayNames {
			if rng.IntN(3) == 0 || d == rng.IntN(7) {
				days = append(days, n)
			}
		}
		if len(days) == 0 {
			days = []string{dayNames[rng.IntN(7)]}
		}
		minute := func() int {
			if rng.IntN(2) == 0 {
				return rng.IntN(24) * 60
			}
			return rng.IntN(24 * 60)
		}
		parts = append(parts, fmt.Sprintf("%s %s-%s %s", strings.Join(days, ","), hhmm(minute()), hhmm(minute()), refZones[rng.IntN(len(refZones))]))
	}
	return strings.Join(parts, "; ")
}

// randomTime is a minute of 2026, often near a clock change.
func randomTime(rng *rand.Rand) time.Time {
	changes := []string{"2026-03-08T07:00:00Z", "2026-03-29T01:00:00Z", "2026-04-04T15:00:00Z", "2026-10-25T01:00:00Z",
		"2026-11-01T06:00:00Z", "2026-09-06T04:00:00Z", "2026-10-03T15:30:00Z", "2026-09-27T14:00:00Z"}
	if rng.IntN(3) > 0 {
		c := at(changes[rng.IntN(len(changes))])
		return c.Add(time.Duration(rng.IntN(4*24*60)-3*24*60) * time.Minute)
	}
	return at("2026-01-01T00:00:00Z").Add(time.Duration(rng.IntN(365*24*60)) * time.Minute)
}

func TestAgainstReference(t *testing.T) {
	sd := seed(t, "FLEETQ_WINDOW_SEED")
	t.Logf("seed %d (FLEETQ_WINDOW_SEED=%d replays it)", sd, sd)
	rng := rand.New(rand.NewPCG(sd, sd^0x77))
	n := 400
	if testing.Short() {
		n = 20
	}
	for range n {
		text := randomSet(rng)
		s := mustParse(t, text)
		now := randomTime(rng)
		open := naiveOpen(s, now)
		if got := s.Open(now); got != open {
			t.Fatalf("seed %d: %s at %s: open %v, reference %v", sd, text, now, got, open)
		}
		wantNext, okNext := naiveScan(s, now, true)
		if got, ok := s.NextOpen(now); ok != okNext || !got.Equal(wantNext) {
			t.Fatalf("seed %d: %s at %s: next open %s %v, reference %s %v", sd, text, now, got, ok, wantNext, okNext)
		}
		if open {
			wantStart, okStart := naiveBack(s, now)
			if got, opened, _, _, ok := s.Interval(now); !ok || opened != okStart || !got.Equal(wantStart) {
				t.Fatalf("seed %d: %s at %s: opened %s %v, reference %s %v", sd, text, now, got, opened, wantStart, okStart)
			}
			wantEnd, okEnd := naiveScan(s, now, false)
			if got, ok := s.Until(now); ok != okEnd || !got.Equal(wantEnd) {
				t.Fatalf("seed %d: %s at %s: until %s %v, reference %s %v", sd, text, now, got, ok, wantEnd, okEnd)
			}
			d := time.Duration(1+rng.IntN(6*60)) * time.Minute
			fits := !okEnd || !now.Add(d).After(wantEnd)
			if got := s.Fits(now, d); got != fits {
				t.Fatalf("seed %d: %s at %s: fits %s %v, reference %v (closes %s)", sd, text, now, d, got, fits, wantEnd)
			}
		} else if s.Fits(now, time.Minute) {
			t.Fatalf("seed %d: %s at %s: a closed set fits", sd, text, now)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"Mon 09:00-11:00 Europe/Berlin", "Mon 09:00-11:00 UTC; Sat 22:00-02:00 UTC", "Fri-Mon 22:00-06:00 UTC",
		"Sat,Sun 00:00-24:00 UTC", "Mon 24:00-01:00 UTC", "Mon 9:00-11:00 Local", ";", "Mon-Wed,Fri 10:00-10:00 Asia/Kolkata"} {
		f.Add(s)
	}
	now := at("2026-03-29T00:30:00Z")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("a multi-line error: %q", err)
			}
			return
		}
		again, err := Parse(s.String())
		if err != nil || again.String() != s.String() {
			t.Fatalf("round trip of %q: %q, %v", s, again, err)
		}
		if n, ok := s.NextOpen(now); ok && !s.Open(n) {
			t.Fatalf("%s: NextOpen %s is not open", s, n)
		}
		if u, ok := s.Until(now); ok && s.Open(u) {
			t.Fatalf("%s: Until %s is open", s, u)
		}
	})
}

package window

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{in: "Mon 09:00-11:00 Europe/Berlin", want: "Mon 09:00-11:00 Europe/Berlin"},
		{in: "mon 09:00-11:00 UTC;  Sat 22:00-02:00 UTC", want: "Mon 09:00-11:00 UTC; Sat 22:00-02:00 UTC"},
		{in: "Mon-Fri 01:00-03:00 America/New_York", want: "Mon-Fri 01:00-03:00 America/New_York"},
		{in: "Sat,Sun 00:00-24:00 UTC", want: "Sat,Sun 00:00-24:00 UTC"},
		{in: "Sun 00:00-00:00 UTC", want: "Sun 00:00-24:00 UTC"},
		{in: "Fri-Mon 22:00-06:00 UTC", want: "Mon,Fri-Sun 22:00-06:00 UTC"},
		{in: "Mon-Wed,Fri 10:00-10:00 Asia/Kolkata", want: "Mon-Wed,Fri 10:00-10:00 Asia/Kolkata"},
		{in: "Sun-Sat 08:00-09:00 UTC", want: "Mon-Sun 08:00-09:00 UTC"},
		{in: "", err: `window "": expected DAYS HH:MM-HH:MM ZONE`},
		{in: "Mon 09:00-11:00", err: `window "Mon 09:00-11:00": expected DAYS HH:MM-HH:MM ZONE`},
		{in: "Mon 09:00-11:00 UTC;", err: `window "": expected DAYS`},
		{in: "Mo 09:00-11:00 UTC", err: `window "Mo 09:00-11:00 UTC": day "Mo": expected Mon, Tue`},
		{in: "Mon-Fr 09:00-11:00 UTC", err: `day "Fr": expected`},
		{in: "Mon 9:00-11:00 UTC", err: `time "9:00": expected HH:MM from 00:00 to 23:59 (24:00 as an end)`},
		{in: "Mon 09:00-24:01 UTC", err: `time "24:01"`},
		{in: "Mon 24:00-02:00 UTC", err: `time "24:00"`},
		{in: "Mon 09:60-11:00 UTC", err: `time "09:60"`},
		{in: "Mon 09:00 UTC", err: `"09:00": expected HH:MM-HH:MM`},
		{in: "Mon 09:00-11:00 Local", err: `zone "Local": an explicit zone is required`},
		{in: "Mon 09:00-11:00 Mars/Olympus", err: `zone "Mars/Olympus": not an IANA time zone name`},
		{in: "Mon 09:00-11:00 +02:00", err: `zone "+02:00": not an IANA`},
		{in: "Mon 0-:00-11:00 UTC", err: `time "0": expected HH:MM`},
	}
	for _, c := range cases {
		s, err := Parse(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Parse(%q) = %v, want error containing %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := s.String(); got != c.want {
			t.Errorf("Parse(%q) = %q, want %q", c.in, got, c.want)
		}
		again, err := Parse(s.String())
		if err != nil || again.String() != s.String() {
			t.Errorf("round trip of %q: %q, %v", s, again, err)
		}
	}
}

func TestLimits(t *testing.T) {
	if _, err := Parse(strings.Repeat("Mon 09:00-11:00 UTC;", MaxWindows) + "Mon 09:00-11:00 UTC"); err == nil || !strings.Contains(err.Error(), "at most 64") {
		t.Errorf("too many windows: %v", err)
	}
	if _, err := Parse(strings.Repeat(" ", MaxValue+1)); err == nil || !strings.Contains(err.Error(), "at most 4096") {
		t.Errorf("too long: %v", err)
	}
}

func mustParse(t testing.TB, s string) Set {
	t.Helper()
	w, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestDST pins what a window means on the clock-change days of
// Europe/Berlin in 2026 (29 March 02:00 CET → 03:00 CEST, 25 October
// 03:00 CEST → 02:00 CET): wall-clock time in the zone.
func TestDST(t *testing.T) {
	cases := []struct {
		win, at   string
		open      bool
		until     string // when open
		nextOpen  string // when closed
		lengthFit time.Duration
	}{
		// 09:00-11:00 is two hours on both change days.
		{win: "Sun 09:00-11:00 Europe/Berlin", at: "2026-03-29T07:00:00Z", open: true, until: "2026-03-29T09:00:00Z"},
		{win: "Sun 09:00-11:00 Europe/Berlin", at: "2026-10-25T08:00:00Z", open: true, until: "2026-10-25T10:00:00Z"},
		// 01:00-04:00 is 2 hours in March and 4 in October.
		{win: "Sun 01:00-04:00 Europe/Berlin", at: "2026-03-29T00:00:00Z", open: true, until: "2026-03-29T02:00:00Z"},
		{win: "Sun 01:00-04:00 Europe/Berlin", at: "2026-10-24T23:00:00Z", open: true, until: "2026-10-25T03:00:00Z"},
		// 02:00-03:00 does not exist on 29 March: next opens a week later.
		{win: "Sun 02:00-03:00 Europe/Berlin", at: "2026-03-29T00:30:00Z", open: false, nextOpen: "2026-04-05T00:00:00Z"},
		// and is read twice on 25 October: open for two hours.
		{win: "Sun 02:00-03:00 Europe/Berlin", at: "2026-10-25T00:00:00Z", open: true, until: "2026-10-25T02:00:00Z"},
		// A window crossing midnight over the change.
		{win: "Sat 23:00-05:00 Europe/Berlin", at: "2026-03-28T22:00:00Z", open: true, until: "2026-03-29T03:00:00Z"},
		{win: "Sat 22:00-02:00 UTC; Sun 02:00-04:00 UTC", at: "2026-03-28T23:00:00Z", open: true, until: "2026-03-29T04:00:00Z"},
		{win: "Mon 09:00-11:00 Europe/Berlin", at: "2026-12-01T20:11:00Z", open: false, nextOpen: "2026-12-07T08:00:00Z"},
	}
	for _, c := range cases {
		s := mustParse(t, c.win)
		now := at(c.at)
		if got := s.Open(now); got != c.open {
			t.Errorf("%s at %s: open %v, want %v", c.win, c.at, got, c.open)
			continue
		}
		if c.open {
			u, ok := s.Until(now)
			if !ok || !u.Equal(at(c.until)) {
				t.Errorf("%s at %s: until %s %v, want %s", c.win, c.at, u, ok, c.until)
			}
			continue
		}
		n, ok := s.NextOpen(now)
		if !ok || !n.Equal(at(c.nextOpen)) {
			t.Errorf("%s at %s: next open %s %v, want %s", c.win, c.at, n, ok, c.nextOpen)
		}
	}
}

func TestAlwaysOpen(t *testing.T) {
	s := mustParse(t, "Mon-Sun 00:00-24:00 UTC")
	now := at("2026-12-01T20:11:00Z")
	if _, ok := s.Until(now); ok || !s.Fits(now, 30*24*time.Hour) {
		t.Errorf("an all-day, every-day window closes")
	}
}

func TestSlot(t *testing.T) {
	s := Slot{at("2026-12-07T09:00:00Z"), at("2026-12-07T13:00:00Z")}
	before, in, after := at("2026-12-07T08:00:00Z"), at("2026-12-07T12:00:00Z"), at("2026-12-07T13:00:00Z")
	if s.Open(before) || !s.Open(in) || s.Open(after) {
		t.Error("open")
	}
	if n, ok := s.NextOpen(before); !ok || !n.Equal(s.Start) {
		t.Error("next open before")
	}
	if _, ok := s.NextOpen(after); ok {
		t.Error("next open after the end")
	}
	if !s.Fits(in, time.Hour) || s.Fits(in, time.Hour+time.Second) {
		t.Error("fits")
	}
	if n, ok := s.NextFit(before, 4*time.Hour); !ok || !n.Equal(s.Start) {
		t.Error("next fit")
	}
	if _, ok := s.NextFit(before, 5*time.Hour); ok {
		t.Error("a 5h request fits a 4h slot")
	}
}

func seed(t *testing.T, env string) uint64 {
	if s := os.Getenv(env); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

package ical

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	goical "github.com/emersion/go-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTextEscapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{`a\b;c,d`, `a\\b\;c\,d`},
		{"l1\nl2\r\nl3\rl4", `l1\nl2\nl3\nl4`},
		{"tab\there", "tab\there"},
		{"nul\x00bel\x07del\x7f", "nul\uFFFDbel\uFFFDdel\uFFFD"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"Müller GmbH, Köln; 東京", `Müller GmbH\, Köln\; 東京`},
		{"colon:ok \"quote\"", "colon:ok \"quote\""},
	} {
		assert.Equal(t, tc.want, Text(tc.in), "Text(%q)", tc.in)
	}
}

func TestFoldExact(t *testing.T) {
	assert.Equal(t, "x\r\n", Fold("x"))
	l75 := strings.Repeat("a", 75)
	assert.Equal(t, l75+"\r\n", Fold(l75), "75 octets fit")
	assert.Equal(t, l75+"\r\n b\r\n", Fold(l75+"b"))
	// 74 a's then a 2-octet ü: it would end at octet 76, so it moves.
	assert.Equal(t, strings.Repeat("a", 74)+"\r\n ü\r\n", Fold(strings.Repeat("a", 74)+"ü"))
	// a continuation line holds a space and 74 octets.
	assert.Equal(t, l75+"\r\n "+strings.Repeat("b", 74)+"\r\n c\r\n", Fold(l75+strings.Repeat("b", 74)+"c"))
}

// seed is the random tests' seed: FLEETQ_ICAL_SEED replays one.
func seed(t *testing.T) uint64 {
	s := rand.Uint64()
	if v := os.Getenv("FLEETQ_ICAL_SEED"); v != "" {
		var err error
		s, err = strconv.ParseUint(v, 10, 64)
		require.NoError(t, err)
	}
	t.Logf("seed %d (FLEETQ_ICAL_SEED=%d replays it)", s, s)
	return s
}

// alphabet is what hostile values are drawn from: the TEXT specials,
// every line break, controls, multi-octet UTF-8, an invalid byte.
var alphabet = []string{"a", "Z", "0", " ", "\\", ";", ",", ":", "\"", "\n", "\r", "\r\n", "\t", "\x00", "\x1b", "\x7f",
	"é", "ß", "€", "東", "😀", "\u200b", "\xff", "\xc3", "n", "\\n", "BEGIN:VEVENT", "END:VCALENDAR"}

func randomText(r *rand.Rand, max int) string {
	var b strings.Builder
	for n := r.IntN(max + 1); n > 0; n-- {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// naiveText is what a reader gets back from Text(s): s with each line
// break as "\n" and each control (not TAB) or invalid byte as U+FFFD,
// rune by rune.
func naiveText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var out []rune
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20 || r == 0x7f || r == utf8.RuneError && n == 1:
			r = utf8.RuneError
		}
		out = append(out, r)
		s = s[n:]
	}
	return string(out)
}

// naiveUnescape reverses TEXT escaping by a left-to-right scan.
func naiveUnescape(t *testing.T, v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' {
			b.WriteByte(v[i])
			continue
		}
		i++
		require.Less(t, i, len(v), "a backslash ends %q", v)
		switch v[i] {
		case 'n':
			b.WriteByte('\n')
		case '\\', ';', ',':
			b.WriteByte(v[i])
		default:
			t.Fatalf("bad escape \\%c in %q", v[i], v)
		}
	}
	return b.String()
}

// checkLines checks the physical lines of iCalendar text: CRLF after
// each, none longer than 75 octets, each valid UTF-8 and free of
// controls but TAB; it returns the unfolded content lines.
func checkLines(t *testing.T, text string) []string {
	require.True(t, strings.HasSuffix(text, "\r\n"), "ends in CRLF")
	phys := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
	var lines []string
	for _, p := range phys {
		require.LessOrEqual(t, len(p), 75, "line %q", p)
		require.True(t, utf8.ValidString(p), "line %q is not UTF-8", p)
		require.False(t, strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }), "control in %q", p)
		if strings.HasPrefix(p, " ") {
			require.NotEmpty(t, lines, "a continuation first")
			lines[len(lines)-1] += p[1:]
			continue
		}
		lines = append(lines, p)
	}
	return lines
}

func randomCalendar(r *rand.Rand) *Calendar {
	base := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	c := &Calendar{ProdID: "-//fleetq//test//EN", Name: randomText(r, 40)}
	for i := r.IntN(5); i >= 0; i-- {
		start := base.Add(time.Duration(r.IntN(7*24*60)) * time.Minute)
		c.Events = append(c.Events, Event{
			UID:   fmt.Sprintf("u%d-%s@test", i, randomText(r, 8)),
			Stamp: base.Add(-time.Hour), Start: start, End: start.Add(time.Duration(1+r.IntN(600)) * time.Minute),
			Sequence: r.IntN(3), Status: []string{"", "CONFIRMED", "CANCELLED"}[r.IntN(3)],
			Summary: randomText(r, 60), Description: randomText(r, 400),
			Categories: []string{randomText(r, 10), "maintenance"}, Transparent: r.IntN(2) == 0,
		})
	}
	return c
}

// TestRandomCalendarsRoundTrip writes random calendars of hostile text
// and reads them back twice: with the naive unfolding and unescaping
// above, and with a real iCalendar parser (github.com/emersion/go-ical),
// whose encoder also checks the required properties.
func TestRandomCalendarsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(seed(t), 16))
	for range 300 {
		c := randomCalendar(r)
		var buf bytes.Buffer
		require.NoError(t, c.Write(&buf))
		lines := checkLines(t, buf.String())
		checkNaive(t, c, lines)
		checkParsed(t, c, buf.Bytes())
	}
}

// checkNaive finds each event's SUMMARY and DESCRIPTION among the
// unfolded lines and unescapes them.
func checkNaive(t *testing.T, c *Calendar, lines []string) {
	var summaries, descriptions []string
	for _, l := range lines {
		name, value, ok := strings.Cut(l, ":")
		require.True(t, ok, l)
		switch name {
		case "SUMMARY":
			summaries = append(summaries, naiveUnescape(t, value))
		case "DESCRIPTION":
			descriptions = append(descriptions, naiveUnescape(t, value))
		}
	}
	require.Len(t, summaries, len(c.Events))
	for i, e := range c.Events {
		assert.Equal(t, naiveText(e.Summary), summaries[i])
		if e.Description != "" {
			assert.Contains(t, descriptions, naiveText(e.Description))
		}
	}
}

func checkParsed(t *testing.T, c *Calendar, text []byte) {
	cal, err := goical.NewDecoder(bytes.NewReader(text)).Decode()
	require.NoError(t, err)
	require.NoError(t, goical.NewEncoder(&bytes.Buffer{}).Encode(cal), "the parsed calendar is a valid one")
	assert.Equal(t, "2.0", cal.Props.Get(goical.PropVersion).Value)
	assert.Equal(t, "PUBLISH", cal.Props.Get(goical.PropMethod).Value)
	name, err := cal.Props.Text("X-WR-CALNAME")
	require.NoError(t, err)
	assert.Equal(t, naiveText(c.Name), name)
	evs := cal.Events()
	require.Len(t, evs, len(c.Events))
	for i, ev := range evs {
		want := c.Events[i]
		text := func(p string) string {
			v, err := ev.Props.Text(p)
			require.NoError(t, err, p)
			return v
		}
		assert.Equal(t, naiveText(want.UID), text(goical.PropUID))
		assert.Equal(t, naiveText(want.Summary), text(goical.PropSummary))
		assert.Equal(t, naiveText(want.Description), text(goical.PropDescription))
		start, err := ev.DateTimeStart(nil)
		require.NoError(t, err)
		end, err := ev.DateTimeEnd(nil)
		require.NoError(t, err)
		assert.True(t, want.Start.Equal(start) && want.End.Equal(end), "%v-%v, want %v-%v", start, end, want.Start, want.End)
		assert.Equal(t, time.UTC, start.Location())
		cats, err := ev.Props.Get(goical.PropCategories).TextList()
		require.NoError(t, err)
		assert.Equal(t, []string{naiveText(want.Categories[0]), "maintenance"}, cats)
	}
}

func TestCalendarExact(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	c := &Calendar{ProdID: "-//fleetq//test//EN", Events: []Event{{
		UID: "x@y", Stamp: at.Add(-time.Hour), Start: at, End: at.Add(2 * time.Hour).In(time.FixedZone("CET", 3600)),
		Status: "CONFIRMED", Summary: "a, b", Description: "line1\nline2",
	}}}
	var buf bytes.Buffer
	require.NoError(t, c.Write(&buf))
	assert.Equal(t, strings.Join([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fleetq//test//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
		"BEGIN:VEVENT", "UID:x@y", "DTSTAMP:20261207T080000Z", "DTSTART:20261207T090000Z", "DTEND:20261207T110000Z", "SEQUENCE:0",
		"STATUS:CONFIRMED", "SUMMARY:a\\, b", "DESCRIPTION:line1\\nline2", "END:VEVENT", "END:VCALENDAR", ""}, "\r\n"), buf.String())
}

// FuzzEventText: any summary and description come out as valid, folded
// iCalendar that a real parser reads back as naiveText says.
func FuzzEventText(f *testing.F) {
	for _, s := range []string{"", "a,b;c\\d", "l1\r\nl2\rl3\n", strings.Repeat("東", 40), "\xff\x00\x7f", "BEGIN:VEVENT\nEND:VCALENDAR"} {
		f.Add(s, s+s)
	}
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, summary, description string) {
		c := &Calendar{ProdID: "-//fleetq//fuzz//EN", Name: summary, Events: []Event{{
			UID: "u@fuzz", Stamp: at, Start: at, End: at.Add(time.Hour), Summary: summary, Description: description,
			Categories: []string{summary, "maintenance"},
		}}}
		var buf bytes.Buffer
		require.NoError(t, c.Write(&buf))
		checkLines(t, buf.String())
		checkParsed(t, c, buf.Bytes())
	})
}

// Package ical writes iCalendar text (RFC 5545): a VCALENDAR of VEVENTs
// whose times are UTC date-times, which every calendar client imports and
// which need no VTIMEZONE. It writes; it does not parse.
//
// What makes the text valid whatever the values hold (RFC 5545 §3.1,
// §3.3.11): every line ends in CRLF; a TEXT value has '\', ';', ',' and
// line breaks escaped (Text); control characters, which TEXT may not
// hold, and bytes that are not UTF-8 become U+FFFD; a line longer than 75
// octets is folded (CRLF and a space) before the octet that would make it
// longer, never inside a UTF-8 character.
package ical

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Calendar is one iCalendar object published to be imported
// (METHOD:PUBLISH, RFC 5546 §3.2.1).
type Calendar struct {
	ProdID string // PRODID, e.g. "-//fleetq//week export//EN"
	Name   string // the calendar's name (NAME, RFC 7986, and X-WR-CALNAME); "": none
	Events []Event
}

// Event is one VEVENT. Start and End are written in UTC; Stamp is DTSTAMP.
type Event struct {
	UID         string
	Stamp       time.Time
	Start, End  time.Time
	Sequence    int    // SEQUENCE: a client keeps the event with the higher one
	Status      string // STATUS: "CONFIRMED", "TENTATIVE", "CANCELLED"; "": none
	Summary     string
	Description string
	Categories  []string // CATEGORIES; nil: none
	Transparent bool     // TRANSP:TRANSPARENT (it does not make the attendee busy)
}

// dateTime is RFC 5545's UTC DATE-TIME form: 20261207T090000Z.
const dateTime = "20060102T150405Z"

// Write writes c as iCalendar text and returns the first write error.
func (c *Calendar) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	lw := lineWriter{bw}
	lw.prop("BEGIN", "VCALENDAR")
	lw.prop("VERSION", "2.0")
	lw.prop("PRODID", Text(c.ProdID))
	lw.prop("CALSCALE", "GREGORIAN")
	lw.prop("METHOD", "PUBLISH")
	if c.Name != "" {
		lw.prop("NAME", Text(c.Name))
		lw.prop("X-WR-CALNAME", Text(c.Name))
	}
	for i := range c.Events {
		c.Events[i].write(lw)
	}
	lw.prop("END", "VCALENDAR")
	return bw.Flush()
}

func (e *Event) write(lw lineWriter) {
	lw.prop("BEGIN", "VEVENT")
	lw.prop("UID", Text(e.UID))
	lw.prop("DTSTAMP", e.Stamp.UTC().Format(dateTime))
	lw.prop("DTSTART", e.Start.UTC().Format(dateTime))
	lw.prop("DTEND", e.End.UTC().Format(dateTime))
	lw.prop("SEQUENCE", strconv.Itoa(e.Sequence))
	if e.Status != "" {
		lw.prop("STATUS", e.Status)
	}
	lw.prop("SUMMARY", Text(e.Summary))
	if e.Description != "" {
		lw.prop("DESCRIPTION", Text(e.Description))
	}
	if len(e.Categories) > 0 {
		cats := make([]string, len(e.Categories))
		for i, c := range e.Categories {
			cats[i] = Text(c)
		}
		lw.prop("CATEGORIES", strings.Join(cats, ","))
	}
	if e.Transparent {
		lw.prop("TRANSP", "TRANSPARENT")
	}
	lw.prop("END", "VEVENT")
}

// lineWriter writes content lines, folded, each ended by CRLF. Its
// writer's error is sticky (bufio), checked once by Write's Flush.
type lineWriter struct{ w *bufio.Writer }

// prop writes "NAME:value"; value is already in its type's form (Text for
// TEXT).
func (lw lineWriter) prop(name, value string) {
	lw.w.WriteString(Fold(name + ":" + value))
}

// maxLine is the longest a content line may be, in octets, without its
// CRLF (RFC 5545 §3.1).
const maxLine = 75

// Fold returns one content line (valid UTF-8, no line break) folded into
// lines of at most 75 octets, each ended by CRLF; a continuation line
// starts with a space, which counts toward its 75. A line is broken only
// at the start of a UTF-8 character.
func Fold(line string) string {
	var b strings.Builder
	b.Grow(len(line) + len(line)/maxLine*3 + 2)
	room := maxLine
	for len(line) > room {
		cut := room
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		room = maxLine - 1
	}
	b.WriteString(line)
	b.WriteString("\r\n")
	return b.String()
}

// Text is s as an RFC 5545 TEXT value (§3.3.11): '\', ';' and ',' are
// escaped with a backslash, a line break (CRLF, LF or a lone CR) is "\n",
// and a control character other than TAB, or a byte that is not UTF-8,
// is U+FFFD, since TEXT cannot hold it.
func Text(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\r' && strings.HasPrefix(s[i:], "\r\n"):
			b.WriteString(`\n`)
			n = 2
		case r == '\r' || r == '\n':
			b.WriteString(`\n`)
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

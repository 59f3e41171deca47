package hdfs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// HDFS prints dates with java.util.Date.toString(), "EEE MMM dd HH:mm:ss zzz
// yyyy", in the local zone of the machine that ran `hdfs dfsadmin`, for
// example "Thu Aug 20 08:59:55 UTC 2026". Zone abbreviations are ambiguous,
// and Go's time.Parse silently gives unknown abbreviations a zero offset,
// so the offset comes from the table below instead.
//
// Ambiguous abbreviations are read the way Java itself resolves them as time
// zone IDs (java.util.TimeZone.getTimeZone): CST is US Central (UTC-6, as
// "CST" → America/Chicago), not China Standard Time (UTC+8); IST is India
// (UTC+5:30). A report using CST adds a warning saying so. Java's custom
// form "GMT+08:00" is understood as written. An abbreviation not in the
// table is read as UTC with a warning, so one odd zone does not fail an
// ingest over a field that is only used for ages.
var zoneOffsets = map[string]int{ // seconds east of UTC
	"UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0,
	"WEST": 3600, "BST": 3600, "CET": 3600, "MET": 3600,
	"CEST": 7200, "MEST": 7200, "EET": 7200, "SAST": 7200,
	"EEST": 10800, "MSK": 10800,
	"IST": 19800,
	"ICT": 25200, "WIB": 25200,
	"HKT": 28800, "SGT": 28800, "AWST": 28800, "PHT": 28800,
	"JST": 32400, "KST": 32400,
	"ACST": 34200, "AEST": 36000, "ACDT": 37800, "AEDT": 39600,
	"NZST": 43200, "NZDT": 46800,
	"BRT": -10800, "ART": -10800,
	"AST": -14400, "ADT": -10800,
	"EST": -18000, "EDT": -14400,
	"CST": -21600, "CDT": -18000,
	"MST": -25200, "MDT": -21600,
	"PST": -28800, "PDT": -25200,
	"AKST": -32400, "AKDT": -28800,
	"HST": -36000,
}

// date is a parsed java Date.toString() value.
type date struct {
	unix int64
	note string // a warning about how the zone was read, or ""
}

// parseDate parses "Thu Aug 20 08:59:55 UTC 2026" to unix seconds.
func parseDate(s string) (date, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return date{}, fmt.Errorf("bad date %q, expected java Date.toString() like \"Thu Aug 20 08:59:55 UTC 2026\"", s)
	}
	t, err := time.Parse("Mon Jan 2 15:04:05 2006", strings.Join([]string{f[0], f[1], f[2], f[3], f[5]}, " "))
	if err != nil {
		return date{}, fmt.Errorf("bad date %q, expected java Date.toString() like \"Thu Aug 20 08:59:55 UTC 2026\"", s)
	}
	off, note := zoneOffset(f[4])
	return date{unix: t.Unix() - int64(off), note: note}, nil
}

// zoneOffset returns the offset of a zone abbreviation in seconds east
// of UTC and a note when the reading is an assumption.
func zoneOffset(zone string) (int, string) {
	if off, ok := zoneOffsets[strings.ToUpper(zone)]; ok {
		if strings.EqualFold(zone, "CST") {
			return off, "time zone CST read as US Central (UTC-6), as Java resolves it; China Standard Time would be UTC+8"
		}
		return off, ""
	}
	if off, ok := gmtOffset(zone); ok {
		return off, ""
	}
	return 0, fmt.Sprintf("unknown time zone %q read as UTC", zone)
}

// gmtOffset parses Java's custom zone form "GMT+08:00" / "GMT-0530".
func gmtOffset(zone string) (int, bool) {
	rest, ok := strings.CutPrefix(strings.ToUpper(zone), "GMT")
	if !ok {
		rest, ok = strings.CutPrefix(strings.ToUpper(zone), "UTC")
	}
	if !ok || len(rest) < 2 || (rest[0] != '+' && rest[0] != '-') {
		return 0, false
	}
	sign := 1
	if rest[0] == '-' {
		sign = -1
	}
	hh, mm := strings.ReplaceAll(rest[1:], ":", ""), "0"
	if len(hh) > 2 {
		hh, mm = hh[:len(hh)-2], hh[len(hh)-2:]
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || h > 14 || m < 0 || m > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60), true
}

package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/server"
)

// The week page: /week?week=ID draws a maintenance week (GET /v1/week,
// fleetq week show; the newest when none is named) as a calendar of its
// slots, one column a day in the schedule's zone, drawn on the server as
// inline SVG; below, its steps, the cross-check and the other weeks (GET
// /v1/weeks, fleetq week list).

// weekListRow is a row of fleetq week list (docs/json.md, Week list).
type weekListRow struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	State     string    `json:"state"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Steps     int       `json:"steps"`
	Hosts     int       `json:"hosts"`
	Unslotted int       `json:"unslotted"`
	Pass      int64     `json:"pass"`
	Scope     string    `json:"scope"`
}

// weekJSON is fleetq week show (docs/json.md, Maintenance week): only
// the fields the page shows.
type weekJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	File      string    `json:"file"`
	Scope     string    `json:"scope"`
	Zone      string    `json:"zone"`
	Verbs     []string  `json:"verbs"`
	Customer  string    `json:"customer"`
	State     string    `json:"state"`
	Created   time.Time `json:"created"`
	Requester string    `json:"requester"`
	Pass      int64     `json:"pass"`
	Audit     int64     `json:"audit"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Hosts     int       `json:"hosts"`
	Steps     []struct {
		N     int       `json:"n"`
		Name  string    `json:"name"`
		Start time.Time `json:"start"`
		End   time.Time `json:"end"`
		Parts []struct {
			Expr    string `json:"expr"`
			Limit   string `json:"limit"`
			Matched int    `json:"matched"`
			Taken   int    `json:"taken"`
		} `json:"parts"`
		Hosts []string `json:"hosts"`
	} `json:"steps"`
	Days []struct {
		Day   string    `json:"day"`
		Date  time.Time `json:"date"`
		Steps int       `json:"steps"`
		Hosts int       `json:"hosts"`
	} `json:"days"`
	Unslotted []string `json:"unslotted"`
	Check     struct {
		Passed  bool     `json:"passed"`
		Pass    int64    `json:"pass"`
		Missing []string `json:"missing"`
		Error   string   `json:"error"`
	} `json:"cross_check"`
}

// slot is a step of a week as the calendar draws it.
type slot struct {
	Step       int
	Name       string
	Start, End time.Time
	Hosts      int
}

// The calendar's geometry in SVG user units: hour labels on the left,
// day headers on top.
const (
	calLeft, calTop, calDayW, calHourH, calBottom = 48.0, 40.0, 168.0, 26.0, 8.0
	calMinHours                                   = 6 // the fewest hours drawn
	calMaxDays                                    = 31
	calCharW                                      = 5.6 // a character of the 10-unit font, wide
)

// calendar is a week's slots laid out: a column per day from the first
// slot's to the last's, the hours from the earliest slot start of any
// day to the latest end.
type calendar struct {
	W, H             float64
	Days             []calDay
	Hours            []tick // a line and label per hour
	Blocks           []calBlock
	Zone             string
	Left, Top, Right float64
	GridH            float64 // the hours' height
}

// calDay is a column: its header, and the API's count of the slots and
// hosts starting that day.
type calDay struct {
	X, W         float64
	Date         string // 2026-12-07, in the zone
	Label        string // Mon 12-07
	Steps, Hosts int
}

// calBlock is a slot, or the part of one on a day when it crosses
// midnight: a rectangle with its step, time and hosts.
type calBlock struct {
	Step          int
	Name          string
	X, Y, W, H    float64
	Time          string // 09:00–13:00 in the zone
	Hosts         int
	Lane, Lanes   int  // side by side with the day's overlapping slots
	Cont          bool // the slot began on an earlier day
	Lines         int  // how many lines of text fit: 1 to 3
	TextX, TextY  float64
	Title, Anchor string
	// Label is the step's name cut to the block's width (the title has
	// all of it).
	Label string
}

// layoutCalendar lays out slots in loc. Empty days between the first and
// the last are columns too (a calendar), up to calMaxDays.
func layoutCalendar(slots []slot, loc *time.Location) calendar {
	c := calendar{Zone: loc.String(), Left: calLeft, Top: calTop}
	if len(slots) == 0 {
		return c
	}
	type piece struct {
		s        slot
		day      int
		from, to int // minutes after the day's midnight
		cont     bool
	}
	first := midnight(slots[0].Start.In(loc))
	last := first
	for _, s := range slots {
		first = minTime(first, midnight(s.Start.In(loc)))
		last = maxTime(last, midnight(s.End.In(loc).Add(-time.Nanosecond)))
	}
	var pieces []piece
	for _, s := range slots {
		start, end := s.Start.In(loc), s.End.In(loc)
		for day := midnight(start); day.Before(end); day = nextDay(day) {
			from, to := maxTime(start, day), minTime(end, nextDay(day))
			n := dayIndex(first, day)
			if n >= calMaxDays {
				break
			}
			pieces = append(pieces, piece{s: s, day: n, from: minutesAfter(day, from), to: minutesAfter(day, to), cont: day.After(midnight(start))})
		}
	}
	days := min(dayIndex(first, last)+1, calMaxDays)
	lo, hi := 24*60, 0
	for _, p := range pieces {
		lo, hi = min(lo, p.from), max(hi, p.to)
	}
	lo, hi = lo/60, (hi+59)/60
	if hi-lo < calMinHours {
		hi = min(24, lo+calMinHours)
		lo = hi - calMinHours
	}
	c.W = calLeft + float64(days)*calDayW + 1
	c.H = calTop + float64(hi-lo)*calHourH + calBottom
	c.Right, c.GridH = c.W-1, float64(hi-lo)*calHourH
	for i, day := 0, first; i < days; i, day = i+1, nextDay(day) {
		c.Days = append(c.Days, calDay{X: calLeft + float64(i)*calDayW, W: calDayW, Date: day.Format("2006-01-02"), Label: day.Format("Mon 01-02")})
	}
	for h := lo; h <= hi; h++ {
		c.Hours = append(c.Hours, tick{Pos: calTop + float64(h-lo)*calHourH, Label: fmt.Sprintf("%02d:00", h%24)})
	}
	// Lanes: within a day, a slot goes into the first lane free at its
	// start; the day's overlapping slots share its width.
	slices.SortStableFunc(pieces, func(a, b piece) int {
		if a.day != b.day {
			return a.day - b.day
		}
		return a.from - b.from
	})
	for i := 0; i < len(pieces); {
		j := i
		var ends []int // per lane, where its last slot ends
		lanes := make([]int, 0, 4)
		for ; j < len(pieces) && pieces[j].day == pieces[i].day; j++ {
			lane := slices.IndexFunc(ends, func(e int) bool { return e <= pieces[j].from })
			if lane < 0 {
				lane, ends = len(ends), append(ends, 0)
			}
			ends[lane] = pieces[j].to
			lanes = append(lanes, lane)
		}
		for k := i; k < j; k++ {
			p := pieces[k]
			w := (calDayW - 4) / float64(len(ends))
			b := calBlock{Step: p.s.Step, Name: p.s.Name, Hosts: p.s.Hosts, Lane: lanes[k-i], Lanes: len(ends), Cont: p.cont,
				X: calLeft + float64(p.day)*calDayW + 2 + float64(lanes[k-i])*w, W: w - 2,
				Y: calTop + float64(p.from-lo*60)*calHourH/60 + 1, H: float64(p.to-p.from)*calHourH/60 - 2,
				Time:   p.s.Start.In(loc).Format("15:04") + "–" + p.s.End.In(loc).Format("15:04"),
				Anchor: fmt.Sprintf("s%d", p.s.Step)}
			b.TextX, b.TextY = b.X+4, b.Y+13
			b.Label = clip(p.s.Name, int((b.W-8)/calCharW))
			b.Lines = max(1, min(3, int(b.H/14)))
			b.Title = fmt.Sprintf("step %d: %s to %s (%s), %d hosts", p.s.Step, p.s.Start.In(loc).Format("Mon 2006-01-02 15:04"),
				p.s.End.In(loc).Format("Mon 2006-01-02 15:04"), c.Zone, p.s.Hosts)
			if p.s.Name != "" {
				b.Title += ": " + p.s.Name
			}
			c.Blocks = append(c.Blocks, b)
		}
		i = j
	}
	return c
}

// clip cuts s to n characters, the last an ellipsis when cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	return string(r[:n-1]) + "…"
}

func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// nextDay is the next midnight (a day is not 24 hours across a change of
// summer time).
func nextDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location())
}

// dayIndex counts the midnights from first to day.
func dayIndex(first, day time.Time) int {
	n := 0
	for d := first; d.Before(day); d = nextDay(d) {
		n++
	}
	return n
}

// minutesAfter is t's wall-clock minutes after day's midnight (24:00 for
// the next midnight).
func minutesAfter(day, t time.Time) int {
	if !t.Before(nextDay(day)) {
		return 24 * 60
	}
	return t.Hour()*60 + t.Minute()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// weekPage is what the week template shows.
type weekPage struct {
	Title, Viewer string
	// Weeks are every week, newest first; Ref the one asked for.
	Weeks []weekListRow
	Ref   string
	Week  *weekJSON
	Error string
	Cal   calendar
	Steps []weekStep
	// UTC says whether the schedule's zone is UTC (one slot column).
	UTC bool
	// Unslotted and Missing are the cross-check's hosts, the first
	// unslottedShown of each; the Href their query page.
	Unslotted, Missing         []string
	UnslottedHref, MissingHref string
}

// weekStep is a row of the steps table.
type weekStep struct {
	N                int
	Name             string
	Slot, SlotUTC    string
	Hosts            int
	Parts            []string
	Query, QueryHref string
}

// unslottedShown is how many unslotted or missing hosts the page names
// before it links to the query of them.
const unslottedShown = 50

// weekHandler parses the week page's template, for Mount.
func (d *dashboard) weekHandler() http.Handler {
	d.pages["week"] = parsePages("week")["week"]
	return http.HandlerFunc(d.week)
}

// week serves /week?week=ID (the newest week without one); with no week
// planned, a page that says so; a week the operation does not know is a
// 404 that says so, with the list of weeks.
func (d *dashboard) week(w http.ResponseWriter, r *http.Request) {
	page := weekPage{Title: "Week", Viewer: viewerOf(r), Ref: strings.TrimSpace(r.URL.Query().Get("week"))}
	var weeks []weekListRow
	if err := d.run(r, "weeks", nil, &weeks); err != nil {
		d.fail(w, err.Status(), err.Message)
		return
	}
	for i := len(weeks) - 1; i >= 0; i-- {
		page.Weeks = append(page.Weeks, weeks[i])
	}
	if len(weeks) == 0 {
		d.render(w, http.StatusOK, "week", page)
		return
	}
	params := url.Values{}
	if page.Ref != "" {
		params.Set("week", page.Ref)
	}
	var wk weekJSON
	if err := d.run(r, "week", params, &wk); err != nil {
		if err.Kind != server.KindFailed && err.Kind != server.KindNotFound {
			d.fail(w, err.Status(), err.Message)
			return
		}
		page.Error = strings.TrimPrefix(err.Message, "week: ")
		d.render(w, http.StatusNotFound, "week", page)
		return
	}
	page.Week, page.Title, page.UTC = &wk, "Week "+wk.ID, wk.Zone == "UTC"
	loc, err := time.LoadLocation(wk.Zone)
	if err != nil {
		loc = time.UTC
	}
	slots := make([]slot, len(wk.Steps))
	for i, st := range wk.Steps {
		slots[i] = slot{Step: st.N, Name: st.Name, Start: st.Start, End: st.End, Hosts: len(st.Hosts)}
		row := weekStep{N: st.N, Name: st.Name, Hosts: len(st.Hosts), Slot: slotText(st.Start, st.End, loc), SlotUTC: slotText(st.Start, st.End, time.UTC),
			Query: fmt.Sprintf("week:%s/s%d", wk.ID, st.N)}
		row.QueryHref = hostsHref(row.Query)
		for _, p := range st.Parts {
			share := "all"
			if p.Limit != "" {
				share = "up to " + p.Limit
			}
			row.Parts = append(row.Parts, fmt.Sprintf("%s: %s, %d taken of %d matched", p.Expr, share, p.Taken, p.Matched))
		}
		page.Steps = append(page.Steps, row)
	}
	page.Unslotted, page.UnslottedHref = clipHosts(wk.Unslotted), hostsHref("week:"+wk.ID+"/unslotted")
	page.Missing, page.MissingHref = clipHosts(wk.Check.Missing), hostsHref("("+wk.Scope+") - week:"+wk.ID)
	page.Cal = layoutCalendar(slots, loc)
	for i := range page.Cal.Days {
		cd := &page.Cal.Days[i]
		for _, dc := range wk.Days {
			if dc.Date.In(loc).Format("2006-01-02") == cd.Date {
				cd.Steps, cd.Hosts = dc.Steps, dc.Hosts
			}
		}
	}
	d.render(w, http.StatusOK, "week", page)
}

// slotText is "Mon 2026-12-07 09:00–13:00" in loc (the end's day too
// when it is another day), as fleetq week show prints a slot.
func slotText(start, end time.Time, loc *time.Location) string {
	s, e := start.In(loc), end.In(loc)
	if s.Format("2006-01-02") == e.Format("2006-01-02") || e.Format("15:04") == "00:00" && e.Sub(s) <= 24*time.Hour {
		return s.Format("Mon 2006-01-02 15:04") + "–" + e.Format("15:04")
	}
	return s.Format("Mon 2006-01-02 15:04") + "–" + e.Format("Mon 15:04")
}

// clipHosts is the first unslottedShown hosts.
func clipHosts(hosts []string) []string {
	return hosts[:min(len(hosts), unslottedShown)]
}

// hostsHref is the query page of the hosts of expression expr.
func hostsHref(expr string) string {
	return "/query?" + url.Values{"expr": {expr}}.Encode()
}

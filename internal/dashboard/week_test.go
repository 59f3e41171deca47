package dashboard

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestCalendarLayout: a column a day from the first slot's to the
// last's (an empty day in between too), the hours from the earliest
// start to the latest end (six at least), a block per slot at its time.
func TestCalendarLayout(t *testing.T) {
	c := layoutCalendar([]slot{
		{Step: 1, Start: at("2026-12-07T09:00:00Z"), End: at("2026-12-07T13:00:00Z"), Hosts: 3},
		{Step: 2, Name: "the rest", Start: at("2026-12-09T10:30:00Z"), End: at("2026-12-09T16:00:00Z"), Hosts: 40},
	}, time.UTC)
	require.Len(t, c.Days, 3, "Monday to Wednesday, Tuesday empty")
	assert.Equal(t, []string{"Mon 12-07", "Tue 12-08", "Wed 12-09"}, []string{c.Days[0].Label, c.Days[1].Label, c.Days[2].Label})
	assert.Equal(t, "2026-12-08", c.Days[1].Date)
	require.Len(t, c.Hours, 8, "09:00 to 16:00")
	assert.Equal(t, "09:00", c.Hours[0].Label)
	assert.Equal(t, "16:00", c.Hours[7].Label)
	assert.Equal(t, calTop, c.Hours[0].Pos)
	assert.Equal(t, 7*calHourH, c.GridH)
	require.Len(t, c.Blocks, 2)
	b1, b2 := c.Blocks[0], c.Blocks[1]
	assert.Equal(t, calLeft+2, b1.X)
	assert.Equal(t, calTop+1, b1.Y, "09:00 is the top")
	assert.Equal(t, 4*calHourH-2, b1.H, "four hours tall")
	assert.Equal(t, "09:00–13:00", b1.Time)
	assert.Equal(t, "s1", b1.Anchor)
	assert.Equal(t, 3, b1.Lines)
	assert.Equal(t, calLeft+2*calDayW+2, b2.X, "the third column")
	assert.Equal(t, calTop+1.5*calHourH+1, b2.Y, "10:30 is an hour and a half down")
	assert.Equal(t, 40, b2.Hosts)
	assert.Contains(t, b2.Title, "step 2: Wed 2026-12-09 10:30 to Wed 2026-12-09 16:00 (UTC), 40 hosts: the rest")
	assert.InDelta(t, calLeft+3*calDayW+1, c.W, 0.001)
	assert.Equal(t, "the rest", b2.Label, "a short name whole")
	long := layoutCalendar([]slot{{Step: 1, Name: strings.Repeat("production VMs, ", 4), Start: at("2026-12-07T09:00:00Z"), End: at("2026-12-07T13:00:00Z")}}, time.UTC)
	assert.Len(t, []rune(long.Blocks[0].Label), int((long.Blocks[0].W-8)/calCharW), "a long name cut to the block")
	assert.True(t, strings.HasSuffix(long.Blocks[0].Label, "…"))

	short := layoutCalendar([]slot{{Step: 1, Start: at("2026-12-07T22:00:00Z"), End: at("2026-12-07T23:00:00Z")}}, time.UTC)
	require.Len(t, short.Hours, 7, "six hours at least, ending at midnight")
	assert.Equal(t, "18:00", short.Hours[0].Label)
	assert.Equal(t, 1, short.Blocks[0].Lines, "an hour has room for one line")

	assert.Empty(t, layoutCalendar(nil, time.UTC).Blocks)
}

// TestCalendarOverlapsAndMidnight: overlapping slots of a day share its
// width side by side; a slot across midnight is a block on each day.
func TestCalendarOverlapsAndMidnight(t *testing.T) {
	c := layoutCalendar([]slot{
		{Step: 1, Start: at("2026-12-07T09:00:00Z"), End: at("2026-12-07T13:00:00Z")},
		{Step: 2, Start: at("2026-12-07T11:00:00Z"), End: at("2026-12-07T15:00:00Z")},
		{Step: 3, Start: at("2026-12-07T13:00:00Z"), End: at("2026-12-07T14:00:00Z")},
		{Step: 4, Start: at("2026-12-07T22:00:00Z"), End: at("2026-12-08T02:00:00Z")},
	}, time.UTC)
	require.Len(t, c.Blocks, 5)
	lanes := map[int][2]int{}
	for _, b := range c.Blocks[:4] {
		lanes[b.Step] = [2]int{b.Lane, b.Lanes}
	}
	assert.Equal(t, map[int][2]int{1: {0, 2}, 2: {1, 2}, 3: {0, 2}, 4: {0, 2}}, lanes, "step 3 starts when step 1 ends: its lane is free again")
	assert.Equal(t, c.Blocks[0].W, c.Blocks[1].W)
	assert.Less(t, c.Blocks[0].X, c.Blocks[1].X)
	assert.Less(t, c.Blocks[0].W, calDayW/2)
	next := c.Blocks[4]
	assert.Equal(t, 4, next.Step)
	assert.True(t, next.Cont, "the part after midnight")
	assert.Equal(t, calLeft+calDayW+2, next.X, "on Tuesday")
	assert.Equal(t, 1, next.Lanes)
	require.Len(t, c.Days, 2)
	assert.Equal(t, "00:00", c.Hours[0].Label, "Tuesday's part starts at midnight")
	assert.Equal(t, calTop+1, next.Y)
	assert.Equal(t, 2*calHourH-2, next.H)
	assert.Equal(t, "22:00–02:00", next.Time, "the slot's own times")
}

// TestCalendarZone: days and hours are the schedule's zone's, not UTC's.
func TestCalendarZone(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	require.NoError(t, err)
	c := layoutCalendar([]slot{{Step: 1, Start: at("2026-12-06T23:30:00Z"), End: at("2026-12-07T03:30:00Z")}}, ams)
	require.Len(t, c.Days, 1, "00:30 to 04:30 on Monday in Amsterdam")
	assert.Equal(t, "2026-12-07", c.Days[0].Date)
	assert.Equal(t, "00:30–04:30", c.Blocks[0].Time)
	assert.Equal(t, "Europe/Amsterdam", c.Zone)
	assert.Equal(t, calTop+calHourH/2+1, c.Blocks[0].Y)
}

// TestRolloutFilter: an empty field matches; a verb matches a rollout
// having it among its verbs.
func TestRolloutFilter(t *testing.T) {
	r := rolloutRow{ID: "r1", Name: "bios", State: "active", Verbs: []string{"drain", "reboot"}}
	assert.True(t, rolloutFilter{}.match(r))
	assert.True(t, rolloutFilter{Verb: "reboot", Name: "bios"}.match(r))
	assert.False(t, rolloutFilter{Verb: "rekick"}.match(r))
	assert.False(t, rolloutFilter{State: "halted"}.match(r))
	assert.Equal(t, "/rollouts?rollout=r1&state=active#rollout-r1", rolloutHref("r1", map[string][]string{"state": {"active"}}))
}

// TestRolloutsWeekRender executes the rollouts and week templates with
// their shapes: the table and an open rollout, none recorded, an unknown
// rollout; a week's calendar and cross-check, no week planned, an
// unknown week.
func TestRolloutsWeekRender(t *testing.T) {
	d := &dashboard{pages: parsePages("error")}
	d.rolloutsHandler()
	d.weekHandler()
	open := &rolloutStatusJSON{ID: "r1", Name: "bios", State: "active", Waves: []waveJSON{
		{Wave: 0, Set: "rollout:r1/w0", Size: 3, Verdict: "go", Pass: 4, Evidence: "started x, pass 4 sealed y"},
		{Wave: 1, Set: "rollout:r1/w1", Size: 9, Verdict: "pause", Transient: true, Reasons: []string{"wave 1 has not started"}},
	}}
	wk := &weekJSON{ID: "w2", Name: "kernel", State: "planned", Zone: "UTC", Hosts: 12, Unslotted: []string{"h9"}}
	wk.Check.Missing = []string{"h10", "h11"}
	weeks := []weekListRow{{ID: "w2", State: "planned"}, {ID: "w1", State: "cancelled"}}
	cal := layoutCalendar([]slot{{Step: 1, Start: at("2026-12-07T09:00:00Z"), End: at("2026-12-07T13:00:00Z"), Hosts: 1}}, time.UTC)
	for _, c := range []struct {
		page string
		data any
		want []string
	}{
		{"rollouts", rolloutsPage{Title: "Rollouts", Viewer: "v", Total: 1, States: []string{"active"}, Filter: rolloutFilter{State: "active"}, Open: open,
			Rollouts: []rolloutRow{{ID: "r1", Name: "bios", State: "active", Waves: 2, WavesGo: 1, Current: 1, Verdict: "pause", Verbs: []string{"reboot"}, Href: "/rollouts?rollout=r1#rollout-r1"}}},
			[]string{`<option selected>active</option>`, `data-id="r1" data-state="active" class="open"`, `<span class="waves-go">1</span>/<span class="waves">2</span>`,
				`id="rollout-r1"`, `data-wave="1" data-size="9" data-verdict="pause"`, `pause (for now)`, `started x, pass 4 sealed y`, `href="/query?expr=rollout%3ar1%2fw0"`}},
		{"rollouts", rolloutsPage{Title: "Rollouts", Viewer: "v"}, []string{`id="rollouts-empty"`, `<span id="count">0</span>`}},
		{"rollouts", rolloutsPage{Title: "Rollouts", Viewer: "v", Ref: "r9", OpenError: "no such rollout: no rollout r9"}, []string{`id="rollout-error">no such rollout: no rollout r9<`}},
		{"week", weekPage{Title: "Week w2", Viewer: "v", Weeks: weeks, Week: wk, Cal: cal, UTC: true, Unslotted: wk.Unslotted, Missing: wk.Check.Missing,
			UnslottedHref: "/query?expr=week%3Aw2%2Funslotted", Steps: []weekStep{{N: 1, Hosts: 1, Slot: "Mon 2026-12-07 09:00–13:00", QueryHref: "/query?expr=week%3Aw2%2Fs1"}}},
			[]string{`id="calendar"`, `<a href="#s1" class="slot" data-step="1" data-hosts="1">`, `1 host<`, `id="s1" data-step="1" data-hosts="1"`,
				`id="unslotted" data-count="1"`, `<code>h9</code>`, `id="missing" data-count="2"`, `data-passed="false"`, `<tr data-id="w2" class="open">`, `href="/week?week=w1"`}},
		{"week", weekPage{Title: "Week", Viewer: "v"}, []string{`id="week-empty"`}},
		{"week", weekPage{Title: "Week", Viewer: "v", Weeks: weeks, Ref: "w9", Error: "no such week: no week w9"}, []string{`id="week-error"`, `href="/week?week=w2"`}},
	} {
		w := httptest.NewRecorder()
		d.render(w, 200, c.page, c.data)
		require.Equal(t, 200, w.Code, "%s: %s", c.page, w.Body)
		for _, s := range c.want {
			assert.Contains(t, w.Body.String(), s, c.page)
		}
	}
}

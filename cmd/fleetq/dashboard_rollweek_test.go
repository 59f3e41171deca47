package main

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDashboardRolloutsWeek drives headless Chromium through /rollouts
// and /week of a served database: first with neither a rollout nor a
// week (each page says so), then with two rollouts (one whose canaries
// were rebooted and judged on a newer pass, one not started) and two
// weeks planned through the CLI while the server runs. The rollouts
// table has GET /v1/rollouts' rows and numbers, its filters keep exactly
// the matching ones, and a rollout's link opens its waves with the sizes
// and verdicts of GET /v1/rollout; the week's calendar has a block per
// step with the hosts of GET /v1/week, its days the API's counts, the
// cross-check's counts, and the list of GET /v1/weeks to switch to
// another week; no page logs a console error. Screenshots: rollouts,
// week.
func TestDashboardRolloutsWeek(t *testing.T) {
	b := newBrowser(t)
	f := newActionFixture(t)
	viewer := newToken(t, f.db, "viewer1", "viewer")
	s := startServe(t, f.db, "--policy", f.policy)

	b.do(chromedp.Navigate(s.URL+"/login?next=%2Frollouts"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.login(viewer, "#rollouts-empty")
	b.do(chromedp.Click(chromedp.CSS(`nav a[href="/week"]`)), chromedp.WaitVisible(chromedp.CSS("#week-empty")))

	// Two rollouts: bios's canaries (one a rack) rebooted, then a pass
	// sealed after them to judge them on; zk not started. Two weeks.
	f.ok("plan", "rollout", dense+` & lifecycle = "active"`, "--waves", "20%,100%", "--canary-by", "rack", "--name", "bios", "--seed", "1")
	f.ok("reboot", "rollout:bios/w0", "--reason", "bios canaries", "--seed", "1", "--commit", "--yes")
	f.ok("plan", "rollout", zk, "--waves", "50%,100%", "--name", "zk", "--seed", "1")
	f.ingest(time.Time{}, nil)
	f.ok("plan", "week", writeSchedule(t, f.dir, "first", `cluster = "smf1-critical-01"`), "--seed", "1")
	f.ok("plan", "week", writeSchedule(t, f.dir, "zk-week", zk), "--seed", "1")

	checkRolloutsPage(t, b, s, viewer)
	checkWeekPage(t, b, s, viewer)
	b.noProblems()
}

// rolloutListJSON is a row of GET /v1/rollouts.
type rolloutListJSON struct {
	ID, Name, State, Verdict string
	Hosts, Waves, Current    int
	WavesGo                  int `json:"waves_go"`
	Verbs                    []string
}

func checkRolloutsPage(t *testing.T, b *browser, s *served, token string) {
	var list []rolloutListJSON
	getJSON(t, s, token, "/v1/rollouts", &list)
	require.Len(t, list, 2)
	ids := func(keep func(rolloutListJSON) bool) []string {
		var out []string
		for _, r := range list {
			if keep(r) {
				out = append(out, r.ID)
			}
		}
		return out
	}
	b.do(chromedp.Click(chromedp.CSS(`nav a[href="/rollouts"]`)), chromedp.WaitVisible(chromedp.CSS("#rollouts")))
	assert.Equal(t, ids(func(rolloutListJSON) bool { return true }), shownRows(b, "#rollouts", "id"), "a row per rollout of GET /v1/rollouts, in its order")
	for _, r := range list {
		row := `#rollouts tr[data-id="` + r.ID + `"] `
		assert.Equal(t, strconv.Itoa(r.Hosts), value(b, chromedp.Text(chromedp.CSS(row+".hosts"))), r.ID)
		assert.Equal(t, fmt.Sprintf("%d/%d", r.WavesGo, r.Waves), value(b, chromedp.Text(chromedp.CSS(row+".go"))), r.ID)
		assert.Equal(t, strconv.Itoa(r.Current), value(b, chromedp.Text(chromedp.CSS(row+".current"))), r.ID)
		assert.Equal(t, r.Verdict, value(b, chromedp.Text(chromedp.CSS(row+".verdict"))), r.ID)
	}
	bios := list[0]
	require.Equal(t, []string{"reboot"}, bios.Verbs, "the canaries' leases")

	// The filters: a verb only bios has, a name, a state none has.
	b.do(chromedp.SetValue(chromedp.CSS("#f-verb"), "reboot"), chromedp.Click(chromedp.CSS("#filter-submit")),
		chromedp.WaitReady(chromedp.CSS(`#f-verb option[selected]`)))
	assert.Equal(t, ids(func(r rolloutListJSON) bool { return slices.Contains(r.Verbs, "reboot") }), shownRows(b, "#rollouts", "id"))
	assert.Contains(t, b.location(), "verb=reboot", "the filtered table is its address")
	b.do(chromedp.Navigate(s.URL+"/rollouts?name=zk"), chromedp.WaitVisible(chromedp.CSS("#rollouts")))
	assert.Equal(t, ids(func(r rolloutListJSON) bool { return r.Name == "zk" }), shownRows(b, "#rollouts", "id"))
	b.do(chromedp.Navigate(s.URL+"/rollouts?state=done"), chromedp.WaitVisible(chromedp.CSS("#shown")))
	assert.Empty(t, shownRows(b, "#rollouts", "id"))

	// bios's link opens its waves: each wave's size and verdict as GET
	// /v1/rollout?rollout=ID judges them.
	b.do(chromedp.Navigate(s.URL+"/rollouts"), chromedp.WaitVisible(chromedp.CSS("#rollouts")),
		chromedp.Click(chromedp.CSS(`#rollouts tr[data-id="`+bios.ID+`"] a`)), chromedp.WaitVisible(chromedp.CSS("#rollout-"+bios.ID)))
	assert.Contains(t, b.location(), "rollout="+bios.ID, "an open rollout is its address")
	var st struct {
		Waves []struct {
			Wave, Size int
			Verdict    string
		}
	}
	getJSON(t, s, token, "/v1/rollout?rollout="+bios.ID, &st)
	require.Len(t, st.Waves, bios.Waves)
	var want []string
	for _, w := range st.Waves {
		want = append(want, fmt.Sprintf("%d %d %s", w.Wave, w.Size, w.Verdict))
	}
	got := value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#waves tbody tr')].map(tr => tr.dataset.wave + " " + tr.dataset.size + " " + tr.dataset.verdict)`))
	assert.Equal(t, want, got, "the waves of GET /v1/rollout")
	assert.NotEqual(t, "none yet", value(b, chromedp.Text(chromedp.CSS(`#waves tr[data-wave="0"] .evidence`))), "wave 0 was judged on the newer pass")
	b.screenshot("rollouts")

	// An unknown rollout: the API's message, a 404, the table kept.
	resp, body := s.call(t, http.MethodGet, "/v1/rollout?rollout=r99", token, nil)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "%s", body)
	resp, page := s.call(t, http.MethodGet, "/rollouts?rollout=r99", token, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, string(page), apiErrorOf(t, body)["message"])
	assert.Contains(t, string(page), `id="rollouts"`)
}

// weekShowJSON is the part of GET /v1/week the page is checked against.
type weekShowJSON struct {
	ID, Zone string
	Hosts    int
	Steps    []struct {
		N     int
		Hosts []string
	}
	Days []struct {
		Date  time.Time
		Hosts int
	}
	Unslotted []string
	Check     struct {
		Missing []string
	} `json:"cross_check"`
}

func checkWeekPage(t *testing.T, b *browser, s *served, token string) {
	var weeks []struct{ ID string }
	getJSON(t, s, token, "/v1/weeks", &weeks)
	require.Len(t, weeks, 2)
	var wk weekShowJSON
	getJSON(t, s, token, "/v1/week", &wk)
	require.Equal(t, weeks[1].ID, wk.ID, "the newest week")

	b.do(chromedp.Click(chromedp.CSS(`nav a[href="/week"]`)), chromedp.WaitVisible(chromedp.CSS("#calendar")))
	checkWeekNumbers(t, b, wk)
	var newestFirst []string
	for i := len(weeks) - 1; i >= 0; i-- {
		newestFirst = append(newestFirst, weeks[i].ID)
	}
	assert.Equal(t, newestFirst, shownRows(b, "#weeks", "id"), "every week of GET /v1/weeks, newest first")
	b.screenshot("week")

	// The other week through its link: its own numbers.
	var first weekShowJSON
	getJSON(t, s, token, "/v1/week?week="+weeks[0].ID, &first)
	b.do(chromedp.Click(chromedp.CSS(`#weeks tr[data-id="`+weeks[0].ID+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`#weeks tr.open[data-id="`+weeks[0].ID+`"]`)))
	assert.True(t, strings.HasSuffix(b.location(), "/week?week="+weeks[0].ID), b.location())
	checkWeekNumbers(t, b, first)
}

// checkWeekNumbers compares the week page shown with GET /v1/week's wk.
func checkWeekNumbers(t *testing.T, b *browser, wk weekShowJSON) {
	t.Helper()
	assert.Equal(t, strconv.Itoa(wk.Hosts), value(b, chromedp.Text(chromedp.CSS("#week-hosts"))), wk.ID)
	var want, got []string
	for _, st := range wk.Steps {
		want = append(want, fmt.Sprintf("%d %d", st.N, len(st.Hosts)))
	}
	got = value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#calendar a.slot:not([data-cont])')].map(a => a.dataset.step + " " + a.dataset.hosts)`))
	assert.Equal(t, want, got, "%s: a calendar block per step, with its hosts", wk.ID)
	got = value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#steps tbody tr')].map(tr => tr.dataset.step + " " + tr.dataset.hosts)`))
	assert.Equal(t, want, got, "%s: a row per step, with its hosts", wk.ID)
	loc, err := time.LoadLocation(wk.Zone)
	require.NoError(t, err)
	for _, d := range wk.Days {
		date := d.Date.In(loc).Format("2006-01-02")
		assert.Equal(t, strconv.Itoa(d.Hosts), attr(b, `#calendar g.day[data-date="`+date+`"]`, "data-hosts"), "%s: the hosts of %s", wk.ID, date)
	}
	assert.Equal(t, strconv.Itoa(len(wk.Unslotted)), attr(b, "#unslotted", "data-count"), wk.ID)
	assert.Equal(t, strconv.Itoa(len(wk.Check.Missing)), attr(b, "#missing", "data-count"), wk.ID)
}

// attr is attribute name of the first element sel matches.
func attr(b *browser, sel, name string) string {
	b.t.Helper()
	a := value(b, chromedp.AttributeValue(chromedp.CSS(sel), name))
	require.True(b.t, a.Exists, "%s has no %s", sel, name)
	return a.Value
}

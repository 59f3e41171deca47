package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDashboardTables drives headless Chromium through /leases and
// /audit of a served database with leases of two requesters and verbs
// and a dry run: each table has a row per lease and per entry that
// GET /v1/leases and /v1/audit return for the same state; the GET form's
// filters (requester and verb of leases, kind and requester of the
// audit) show exactly the API's rows that match, and the filtered page
// is its address; a bad since shows the command's message; no page logs
// a console error. A screenshot per page is saved.
func TestDashboardTables(t *testing.T) {
	b := newBrowser(t)
	f := newActionFixture(t)
	f.ok("drain", dense+` & lifecycle = "active" | sample 5`, "--reason", "disk swap", "--commit", "--yes", "--seed", "7", "--as", "ann")
	f.ok("reboot", zk+` | sample 1`, "--reason", "kernel", "--commit", "--yes", "--seed", "3", "--as", "bob")
	f.ok("drain", `cluster = "smf1-critical-01" | sample 1`, "--reason", "a dry run", "--seed", "1", "--as", "cy")
	f.ok("freeze", "ams1-zk-01", "--reason", "zookeeper upgrade")
	viewer := newToken(t, f.db, "viewer1", "viewer")
	s := startServe(t, f.db, "--policy", f.policy)

	// Signing in straight from the form (a visit without a session would
	// write a refused entry a second later: the audit must stay still).
	b.do(chromedp.Navigate(s.URL+"/login?next=%2Fleases"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.login(viewer, "#leases")
	assert.Equal(t, s.URL+"/leases", b.location())

	var leases []struct{ Host, Verb, Requester, State string }
	getJSON(t, s, viewer, "/v1/leases", &leases)
	require.Len(t, leases, 6, "the fixture's leases: ann's 5 drains and bob's reboot")
	hosts := func(keep func(verb, requester string) bool) []string {
		var hs []string
		for _, l := range leases {
			if keep(l.Verb, l.Requester) {
				hs = append(hs, l.Host)
			}
		}
		return hs
	}
	assert.Equal(t, hosts(func(string, string) bool { return true }), shownRows(b, "#leases", "host"), "a row per lease of GET /v1/leases, in its order")
	assert.Equal(t, fmt.Sprint(len(leases)), value(b, chromedp.Text(chromedp.CSS("#total"))))
	b.screenshot("leases")

	// The filter form: requester ann, then verb reboot (nobody's but bob's).
	b.do(chromedp.SetValue(chromedp.CSS("#f-requester"), "ann"), chromedp.Click(chromedp.CSS("#filter-submit")),
		chromedp.WaitReady(chromedp.CSS(`#f-requester option[selected]`)))
	assert.Equal(t, hosts(func(_, r string) bool { return r == "ann" }), shownRows(b, "#leases", "host"), "ann's leases")
	assert.Contains(t, b.location(), "requester=ann", "the filtered table is its address")
	b.screenshot("leases-filtered")
	b.do(chromedp.Navigate(s.URL+"/leases?verb=reboot"), chromedp.WaitVisible(chromedp.CSS("#leases")))
	assert.Equal(t, hosts(func(v, _ string) bool { return v == "reboot" }), shownRows(b, "#leases", "host"), "the reboots")
	b.do(chromedp.Navigate(s.URL+"/leases?verb=reboot&requester=ann"), chromedp.WaitVisible(chromedp.CSS("#shown")))
	assert.Empty(t, shownRows(b, "#leases", "host"), "ann took no reboot")
	assert.Equal(t, "0", value(b, chromedp.Text(chromedp.CSS("#count"))))

	// The audit log through the nav link: every entry, newest first.
	b.do(chromedp.Click(chromedp.CSS(`nav a[href="/audit"]`)), chromedp.WaitVisible(chromedp.CSS("#audit")))
	var entries []struct {
		ID              int64
		Kind, Requester string
	}
	getJSON(t, s, viewer, "/v1/audit", &entries)
	ids := func(keep func(kind, requester string) bool) []string {
		var out []string
		for i := len(entries) - 1; i >= 0; i-- {
			if keep(entries[i].Kind, entries[i].Requester) {
				out = append(out, fmt.Sprint(entries[i].ID))
			}
		}
		return out
	}
	require.GreaterOrEqual(t, len(entries), 4, "two commits, a dry run and a freeze")
	assert.Equal(t, ids(func(string, string) bool { return true }), shownRows(b, "#audit", "id"), "a row per entry of GET /v1/audit, newest first")
	b.screenshot("audit")

	// Filtered by requester in the form, and by kind as the API filters it.
	b.do(chromedp.SetValue(chromedp.CSS("#f-requester"), "cy"), chromedp.Click(chromedp.CSS("#filter-submit")),
		chromedp.WaitReady(chromedp.CSS(`#f-requester option[selected]`)))
	cy := ids(func(_, r string) bool { return r == "cy" })
	require.Len(t, cy, 1, "cy's dry run")
	assert.Equal(t, cy, shownRows(b, "#audit", "id"))
	var freezes []struct{ ID int64 }
	getJSON(t, s, viewer, "/v1/audit?kind=freeze", &freezes)
	require.Len(t, freezes, 1)
	b.do(chromedp.Navigate(s.URL+"/audit?kind=freeze"), chromedp.WaitVisible(chromedp.CSS("#audit")))
	assert.Equal(t, []string{fmt.Sprint(freezes[0].ID)}, shownRows(b, "#audit", "id"), "the freeze, as GET /v1/audit?kind=freeze")
	b.do(chromedp.Navigate(s.URL+"/audit?since=1h&requester=bob"), chromedp.WaitVisible(chromedp.CSS("#audit")))
	assert.Equal(t, ids(func(_, r string) bool { return r == "bob" }), shownRows(b, "#audit", "id"), "bob's entries of the last hour")

	// A since the command refuses: its message, the form kept.
	resp, body := s.call(t, http.MethodGet, "/v1/audit?since=yesterday", viewer, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s", body)
	b.do(chromedp.Navigate(s.URL+"/audit?since=yesterday"), chromedp.WaitVisible(chromedp.CSS("#audit-error")))
	assert.Equal(t, apiErrorOf(t, body)["message"], value(b, chromedp.Text(chromedp.CSS("#audit-error"))))
	assert.Equal(t, "yesterday", value(b, chromedp.Value(chromedp.CSS("#f-since"))))
	b.noProblems()
}

// getJSON decodes GET path's 200 answer into v.
func getJSON(t *testing.T, s *served, token, path string, v any) {
	t.Helper()
	resp, body := s.call(t, http.MethodGet, path, token, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
	require.NoError(t, json.Unmarshal(body, v), "%s", path)
}

// shownRows is the data-ATTR of every body row of table sel.
func shownRows(b *browser, sel, attr string) []string {
	b.t.Helper()
	rows := value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('`+sel+` tbody tr')].map(tr => tr.dataset.`+attr+`)`))
	if len(rows) == 0 {
		return nil
	}
	return rows
}

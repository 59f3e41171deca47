package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDashboardClusterPage drives headless Chromium to the cluster page
// of the actions fixture (five leases taken in smf1-dense-02, then a dry
// run the budget denies in part): reached from the overview's tile, it
// shows the pass, each verb's hosts out by cause as fleetq headroom
// prints them and its cap and headroom equal to GET
// /v1/headroom?cluster=…, each budget's arithmetic as GET
// /v1/policy/clusters/… returns it, the cluster's leases as GET
// /v1/leases, the racks with every host counted, and the newest decision
// with its denials by rule as GET /v1/audit records them; no console
// error. An unknown cluster is a 404 that names it.
func TestDashboardClusterPage(t *testing.T) {
	b := newBrowser(t)
	f := newActionFixture(t)
	f.ok("drain", dense+` & lifecycle = "active" | sample 5`, "--reason", "disk swap", "--commit", "--yes", "--seed", "7")
	f.ok("reboot", dense+` & lifecycle = "active" | sample 50`, "--reason", "kernel", "--seed", "8")
	viewer := newToken(t, f.db, "viewer1", "viewer")
	s := startServe(t, f.db, "--policy", f.policy)
	const name = "smf1-dense-02"

	b.do(chromedp.Navigate(s.URL + "/"))
	b.login(viewer, "#tiles")
	b.do(chromedp.Click(chromedp.CSS(`.tile[data-cluster="`+name+`"] h2 a`)), chromedp.WaitVisible(chromedp.CSS("#cluster")))
	assert.Equal(t, s.URL+"/clusters/"+name, b.location())

	type verbRow struct {
		Verb, Budget, Out, Cap, Headroom string
	}
	type shown struct {
		Pass, Cluster string
		Verbs         []verbRow
		Leases        []string
		RackHosts     []string
		Denials       []string
		Audit         string
	}
	got := value(b, chromedp.Evaluate[shown](`({
		pass: document.querySelector('#cluster').dataset.pass,
		cluster: document.querySelector('#cluster').dataset.cluster,
		verbs: [...document.querySelectorAll('#budgets tr[data-verb]')].map(tr => ({verb: tr.dataset.verb,
			budget: tr.querySelector('.budget').textContent, out: tr.querySelector('.out').textContent,
			cap: tr.querySelector('.cap').textContent, headroom: tr.querySelector('.headroom').textContent})),
		leases: [...document.querySelectorAll('#leases tr[data-host]')].map(tr => tr.dataset.host),
		rackHosts: [...document.querySelectorAll('table[data-attr="rack"] tbody tr td:nth-child(2)')].map(td => td.textContent),
		denials: [...document.querySelectorAll('#decisions tbody tr:first-child .rule')].map(s => s.textContent),
		audit: document.querySelector('#decisions tbody tr:first-child').dataset.audit})`))

	resp, body := s.call(t, http.MethodGet, "/v1/headroom?cluster="+name, viewer, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var hr headroomJSON
	require.NoError(t, json.Unmarshal(body, &hr))
	resp, body = s.call(t, http.MethodGet, "/v1/policy/clusters/"+name, viewer, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var pol struct {
		Archetype string
		Verbs     []struct{ Verb, Budget string }
	}
	require.NoError(t, json.Unmarshal(body, &pol))
	budgets := map[string]string{}
	for _, v := range pol.Verbs {
		budgets[v.Verb] = v.Budget
	}

	assert.Equal(t, name, got.Cluster)
	assert.Equal(t, fmt.Sprint(hr.Pass), got.Pass, "the page shows the API's pass")
	require.Len(t, got.Verbs, len(hr.Clusters), "a row per verb")
	for i, c := range hr.Clusters {
		r := got.Verbs[i]
		assert.Equal(t, c.Verb, r.Verb)
		parts := make([]string, len(c.Causes))
		for k, x := range c.Causes {
			parts[k] = fmt.Sprintf("%s %d", x.Name, x.Hosts)
		}
		assert.Equal(t, fmt.Sprintf("%d = %s", c.Unavailable, strings.Join(parts, " + ")), r.Out, "%s: hosts out by cause", c.Verb)
		assert.Equal(t, budgets[c.Verb], r.Budget, "%s: the budget's arithmetic", c.Verb)
		if c.Budgeted {
			assert.Equal(t, fmt.Sprint(c.Cap), r.Cap, "%s cap", c.Verb)
			assert.Equal(t, fmt.Sprint(c.Headroom), r.Headroom, "%s headroom", c.Verb)
		} else {
			assert.Equal(t, "no budget", r.Cap)
		}
	}
	require.Equal(t, "22 = dead 9 + repair 8 + leased 5", got.Verbs[0].Out, "the fixture's arithmetic")

	resp, body = s.call(t, http.MethodGet, "/v1/leases", viewer, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var leases []struct{ Host, Cluster string }
	require.NoError(t, json.Unmarshal(body, &leases))
	var want []string
	for _, l := range leases {
		if l.Cluster == name {
			want = append(want, l.Host)
		}
	}
	assert.Len(t, want, 5)
	assert.ElementsMatch(t, want, got.Leases, "the cluster's leases")

	hosts := 0
	for _, h := range got.RackHosts {
		var n int
		_, err := fmt.Sscan(h, &n)
		require.NoError(t, err)
		hosts += n
	}
	assert.Equal(t, hr.Clusters[0].Size, hosts, "every host of the cluster in a rack's row")
	assert.Len(t, got.RackHosts, 21, "the fixture's racks of 20 hosts")

	resp, body = s.call(t, http.MethodGet, "/v1/audit?kind=decision", viewer, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var audit []struct {
		ID       int64
		Decision struct {
			Denied []struct{ Cluster, Rule string }
		}
	}
	require.NoError(t, json.Unmarshal(body, &audit))
	require.NotEmpty(t, audit)
	last := audit[len(audit)-1]
	byRule := map[string]int{}
	for _, d := range last.Decision.Denied {
		if d.Cluster == name {
			byRule[d.Rule]++
		}
	}
	require.NotEmpty(t, byRule, "the dry run's denials")
	var wantDenials []string
	for r, n := range byRule {
		wantDenials = append(wantDenials, fmt.Sprintf("%s %d", r, n))
	}
	assert.Equal(t, fmt.Sprint(last.ID), got.Audit, "the newest decision first")
	assert.ElementsMatch(t, wantDenials, got.Denials, "its denials by rule")
	b.screenshot("cluster")

	// An unknown cluster: a 404 that says so (a Go client: a 404 page is
	// a console error in the browser).
	req, err := http.NewRequest(http.MethodGet, s.URL+"/clusters/no-such-cluster", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+viewer)
	resp, err = noRedirects.Do(req)
	require.NoError(t, err)
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, string(page), "no cluster no-such-cluster")
	b.noProblems()
}

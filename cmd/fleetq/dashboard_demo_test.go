package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// demoCluster is the demo's cluster with leases (alice's five drains)
// and decisions (the dry runs and the commit of examples/demo.sh).
const demoCluster = "smf1-dense-02"

// demoExpr fills more than a page of hosts and has an explain tree of
// several nodes; demoBadExpr is the demo's own typo (a caret error).
const (
	demoExpr    = `all - hadoop_exclude & responsive & hadoop`
	demoBadExpr = `all - hadoop_exlude & responsive`
)

// demoPage is one page of the dashboard TestDashboardDemo visits: its
// address, the element visible once it is loaded, and the check of the
// numbers it shows against the API's for the same pass. A page is one
// row of demoPages.
type demoPage struct {
	name  string // the screenshot's name
	path  string // the address, with its query
	ready string // a CSS selector visible once the page is loaded
	check func(t *testing.T, d *demoSession)
}

// demoSession is the signed-in browser, the server and the viewer's
// token for the API's side of the comparisons.
type demoSession struct {
	b     *browser
	s     *served
	token string
}

// get decodes GET path's 200 answer with the viewer's token into v.
func (d *demoSession) get(t *testing.T, path string, v any) {
	t.Helper()
	getJSON(t, d.s, d.token, path, v)
}

// shown evaluates js in the page and decodes its value.
func shown[T any](d *demoSession, js string) T {
	d.b.t.Helper()
	return value(d.b, chromedp.Evaluate[T](js))
}

var demoPages = []demoPage{
	{"overview", "/", "#tiles", checkDemoOverview},
	{"cluster", "/clusters/" + demoCluster, "#cluster", checkDemoCluster},
	{"leases", "/leases", "#leases", checkDemoLeases},
	{"audit", "/audit", "#audit", checkDemoAudit},
	{"rollouts", "/rollouts", "#rollouts", checkDemoRollouts},
	{"week", "/week", "#calendar", checkDemoWeek},
	{"trends", "/trends", "#trend-table", checkDemoTrends},
	{"query", "/query?expr=" + url.QueryEscape(demoExpr), "#result", checkDemoQuery},
	{"query-error", "/query?expr=" + url.QueryEscape(demoBadExpr), "#query-error", checkDemoQueryError},
}

// TestDashboardDemo is issue 18's browser test: it builds the demo
// database as `make demo` does (examples/demo.sh, unchanged: 5,000
// hosts, 3 passes, its leases, decisions and week), serves it with the
// demo's policy and drives headless Chromium through every page of
// demoPages. Each page visited without credentials is a 303 to
// /login?next=PATH, where the browser lands on the form; a bad token
// and a bad expression are answered 200 (a 4xx page is a console
// error); the viewer's token signs in through the form; each page shows
// the numbers of the API calls it is made of; a bearer header gets each
// page without the cookie; no page logged a console error, an exception
// or a browser log error. A screenshot per page is saved.
func TestDashboardDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the 5,000-host demo database")
	}
	b := newBrowser(t)
	bash, err := exec.LookPath("bash")
	require.NoError(t, err, "examples/demo.sh is a bash script")
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	// In the demo's directory, so the pages name the policy's files as
	// `make demo` does (examples/policy/base.toml:52).
	t.Chdir(cookbookDemo(t, root, bash))
	const db = "demo/fleetq.db"
	viewer := newToken(t, db, "viewer1", "viewer")
	s := startServe(t, db, "--policy", "examples/policy/")
	d := &demoSession{b: b, s: s, token: viewer}
	shots := demoShotDir(t)

	// Without credentials every page is the login form.
	refusals := 0
	for _, p := range demoPages {
		login := "/login?next=" + url.QueryEscape(p.path)
		resp, err := noRedirects.Get(s.URL + p.path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "%s without credentials", p.path)
		assert.Equal(t, login, resp.Header.Get("Location"), "%s without credentials", p.path)
		b.do(chromedp.Navigate(s.URL+p.path), chromedp.WaitVisible(chromedp.CSS("#login-form")))
		assert.Equal(t, s.URL+login, b.location(), "the browser lands on the login form")
		refusals += 2
	}
	demoShot(t, b, shots, "login")

	// A bad token: the form again with the reason, answered 200.
	resp, err := noRedirects.PostForm(s.URL+"/login", url.Values{"token": {"fq_not-a-token"}, "next": {"/"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a bad login is answered 200")
	b.do(chromedp.SendKeys(chromedp.CSS("#token"), "fq_not-a-token"), chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#login-error")))
	assert.Contains(t, value(b, chromedp.Text(chromedp.CSS("#login-error"))), "unknown or revoked")
	refusals += 2
	// The audit page is compared with GET /v1/audit: the refusals above
	// must be written first (at most about a second later).
	waitRefusals(t, d, refusals)

	// The viewer's token signs in through the form, back to the page.
	first := demoPages[0]
	b.do(chromedp.Navigate(s.URL+first.path), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.login(viewer, chromedp.CSS(first.ready))
	assert.Equal(t, s.URL+first.path, b.location())

	for _, p := range demoPages {
		t.Run(p.name, func(t *testing.T) {
			b.do(chromedp.Navigate(s.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)))
			p.check(t, d)
			demoShot(t, b, shots, p.name)

			// A bearer header gets the page without the cookie.
			req, err := http.NewRequest(http.MethodGet, s.URL+p.path, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+viewer)
			resp, err := noRedirects.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode, "%s with a bearer token", p.path)
			assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
		})
	}
	b.noProblems()
}

// waitRefusals polls GET /v1/audit?kind=refused until the refused
// entries count n requests: the server writes them at most about once a
// second, on its own clock.
func waitRefusals(t *testing.T, d *demoSession, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // a hung server, not a timing assumption
	for {
		var entries []struct {
			Refusal struct{ Count int }
		}
		d.get(t, "/v1/audit?kind=refused", &entries)
		count := 0
		for _, e := range entries {
			count += e.Refusal.Count
		}
		if count >= n {
			assert.Equal(t, n, count, "every refused visit is audited, once")
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d refusals audited after a minute:\n%s", count, n, d.s.Logs())
		}
		<-time.After(100 * time.Millisecond) // the poll's period
	}
}

// demoShotDir is where the test's screenshots go: the demo/ directory of
// $FLEETQ_ARTIFACTS when set (CI keeps it; make screenshots copies it
// into docs/screenshots), else of t.ArtifactDir() (go test -artifacts
// keeps it). A directory of its own: the fixtures' tests save pages of
// the same names.
func demoShotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FLEETQ_ARTIFACTS")
	if dir == "" {
		dir = t.ArtifactDir()
	}
	dir = filepath.Join(dir, "demo")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	t.Logf("screenshots in %s", dir)
	return dir
}

// demoShot saves the whole page as dir/NAME.png.
func demoShot(t *testing.T, b *browser, dir, name string) {
	t.Helper()
	png := value(b, chromedp.FullScreenshot(100))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

// headroomOut is the hosts out as fleetq headroom prints them.
func headroomOut(unavailable int, causes []struct {
	Name  string
	Hosts int
}) string {
	if len(causes) == 0 {
		return strconv.Itoa(unavailable)
	}
	parts := make([]string, len(causes))
	for i, c := range causes {
		parts[i] = fmt.Sprintf("%s %d", c.Name, c.Hosts)
	}
	return fmt.Sprintf("%d = %s", unavailable, strings.Join(parts, " + "))
}

// checkDemoOverview: the pass, every cluster and verb's cap, headroom
// and leases (checkOverviewNumbers), and the hosts out by cause, as
// GET /v1/headroom returns them.
func checkDemoOverview(t *testing.T, d *demoSession) {
	checkOverviewNumbers(t, d.b, d.s, d.token)
	type row struct {
		Cluster string `json:"cluster"`
		Verb    string `json:"verb"`
		Out     string `json:"out"`
	}
	rows := shown[[]row](d, `[...document.querySelectorAll('.tile tr[data-verb]')].map(tr => {
		const tile = tr.closest('.tile'), all = tile.querySelector('.out-all .out');
		return {cluster: tile.dataset.cluster, verb: tr.dataset.verb,
			out: (all || tr.querySelector('.out')).textContent};
	})`)
	var hr headroomJSON
	d.get(t, "/v1/headroom", &hr)
	require.Len(t, rows, len(hr.Clusters))
	require.Greater(t, len(hr.Clusters), 50, "the demo's clusters and verbs")
	out := map[string]string{}
	for _, r := range rows {
		out[r.Cluster+"/"+r.Verb] = r.Out
	}
	for _, c := range hr.Clusters {
		assert.Equal(t, headroomOut(c.Unavailable, c.Causes), out[c.Cluster+"/"+c.Verb], "%s %s: hosts out", c.Cluster, c.Verb)
	}
}

// checkDemoCluster: each verb's budget arithmetic, hosts out, cap and
// headroom as GET /v1/headroom?cluster= and /v1/policy/clusters/NAME
// return them, the cluster's leases as GET /v1/leases, every host in a
// rack, and the newest decisions touching it with their denials by rule
// as GET /v1/audit records them.
func checkDemoCluster(t *testing.T, d *demoSession) {
	type verbRow struct{ Verb, Budget, Out, Cap, Headroom string }
	type decision struct {
		Audit   string
		Denials []string
	}
	type page struct {
		Pass, Cluster string
		Verbs         []verbRow
		Leases        []string
		RackHosts     []string
		Decisions     []decision
	}
	got := shown[page](d, `({
		pass: document.querySelector('#cluster').dataset.pass,
		cluster: document.querySelector('#cluster').dataset.cluster,
		verbs: [...document.querySelectorAll('#budgets tr[data-verb]')].map(tr => ({verb: tr.dataset.verb,
			budget: tr.querySelector('.budget').textContent, out: tr.querySelector('.out').textContent,
			cap: tr.querySelector('.cap').textContent, headroom: tr.querySelector('.headroom').textContent})),
		leases: [...document.querySelectorAll('#leases tr[data-host]')].map(tr => tr.dataset.host),
		rackHosts: [...document.querySelectorAll('table[data-attr="rack"] tbody tr td:nth-child(2)')].map(td => td.textContent),
		decisions: [...document.querySelectorAll('#decisions tbody tr')].map(tr => ({audit: tr.dataset.audit,
			denials: [...tr.querySelectorAll('.rule')].map(s => s.textContent)}))})`)

	var hr headroomJSON
	d.get(t, "/v1/headroom?cluster="+demoCluster, &hr)
	var pol struct {
		Verbs []struct{ Verb, Budget string }
	}
	d.get(t, "/v1/policy/clusters/"+demoCluster, &pol)
	budgets := map[string]string{}
	for _, v := range pol.Verbs {
		budgets[v.Verb] = v.Budget
	}
	assert.Equal(t, demoCluster, got.Cluster)
	assert.Equal(t, fmt.Sprint(hr.Pass), got.Pass, "the page shows the API's pass")
	require.Len(t, got.Verbs, len(hr.Clusters), "a row per verb")
	for i, c := range hr.Clusters {
		r := got.Verbs[i]
		assert.Equal(t, c.Verb, r.Verb)
		assert.Equal(t, budgets[c.Verb], r.Budget, "%s: the budget's arithmetic", c.Verb)
		assert.Equal(t, headroomOut(c.Unavailable, c.Causes), r.Out, "%s: hosts out", c.Verb)
		if c.Budgeted {
			assert.Equal(t, fmt.Sprint(c.Cap), r.Cap, "%s cap", c.Verb)
			assert.Equal(t, fmt.Sprint(c.Headroom), r.Headroom, "%s headroom", c.Verb)
		} else {
			assert.Equal(t, "no budget", r.Cap, c.Verb)
		}
	}

	var leases []struct{ Host, Cluster string }
	d.get(t, "/v1/leases", &leases)
	var want []string
	for _, l := range leases {
		if l.Cluster == demoCluster {
			want = append(want, l.Host)
		}
	}
	assert.Len(t, want, 5, "alice's drains in the demo")
	assert.ElementsMatch(t, want, got.Leases, "the cluster's leases")

	hosts := 0
	for _, h := range got.RackHosts {
		n, err := strconv.Atoi(h)
		require.NoError(t, err, "a rack's hosts")
		hosts += n
	}
	require.NotEmpty(t, hr.Clusters)
	assert.Equal(t, hr.Clusters[0].Size, hosts, "every host of the cluster in a rack's row")

	var audit []struct {
		ID       int64
		Decision *struct {
			Clusters []struct{ Cluster string }
			Denied   []struct{ Cluster, Rule string }
		}
	}
	d.get(t, "/v1/audit?kind=decision,commit,apply", &audit)
	var wantDecisions []decision
	for i := len(audit) - 1; i >= 0 && len(wantDecisions) < 10; i-- {
		e := audit[i]
		if e.Decision == nil || !slices.ContainsFunc(e.Decision.Clusters, func(c struct{ Cluster string }) bool { return c.Cluster == demoCluster }) {
			continue
		}
		byRule := map[string]int{}
		var rules []string
		for _, dn := range e.Decision.Denied {
			if dn.Cluster == demoCluster {
				if byRule[dn.Rule] == 0 {
					rules = append(rules, dn.Rule)
				}
				byRule[dn.Rule]++
			}
		}
		denials := []string{}
		for _, r := range rules {
			denials = append(denials, fmt.Sprintf("%s %d", r, byRule[r]))
		}
		wantDecisions = append(wantDecisions, decision{Audit: fmt.Sprint(e.ID), Denials: denials})
	}
	require.GreaterOrEqual(t, len(wantDecisions), 3, "the demo's dry runs and commit in %s", demoCluster)
	require.Len(t, got.Decisions, len(wantDecisions), "the newest decisions touching the cluster")
	for i, w := range wantDecisions {
		assert.Equal(t, w.Audit, got.Decisions[i].Audit, "decisions newest first")
		assert.ElementsMatch(t, w.Denials, got.Decisions[i].Denials, "audit %s: its denials by rule", w.Audit)
	}
}

// checkDemoLeases: a row per lease of GET /v1/leases, in its order.
func checkDemoLeases(t *testing.T, d *demoSession) {
	var leases []struct{ Host string }
	d.get(t, "/v1/leases", &leases)
	require.Len(t, leases, 6, "the demo's leases: alice's five drains and the k8s-bios canary's reboot")
	var hosts []string
	for _, l := range leases {
		hosts = append(hosts, l.Host)
	}
	assert.Equal(t, hosts, shownRows(d.b, "#leases", "host"))
	assert.Equal(t, strconv.Itoa(len(leases)), value(d.b, chromedp.Text(chromedp.CSS("#total"))))
}

// checkDemoRollouts: a row per rollout of GET /v1/rollouts (the demo's
// k8s-bios), each with its hosts, waves judged go of all, current wave
// and verdict.
func checkDemoRollouts(t *testing.T, d *demoSession) {
	var list []rolloutListJSON
	d.get(t, "/v1/rollouts", &list)
	require.NotEmpty(t, list, "make demo plans a rollout")
	var ids []string
	for _, r := range list {
		ids = append(ids, r.ID)
		row := `#rollouts tr[data-id="` + r.ID + `"] `
		assert.Equal(t, strconv.Itoa(r.Hosts), value(d.b, chromedp.Text(chromedp.CSS(row+".hosts"))), r.ID)
		assert.Equal(t, fmt.Sprintf("%d/%d", r.WavesGo, r.Waves), value(d.b, chromedp.Text(chromedp.CSS(row+".go"))), r.ID)
		assert.Equal(t, strconv.Itoa(r.Current), value(d.b, chromedp.Text(chromedp.CSS(row+".current"))), r.ID)
		assert.Equal(t, r.Verdict, value(d.b, chromedp.Text(chromedp.CSS(row+".verdict"))), r.ID)
	}
	assert.Equal(t, ids, shownRows(d.b, "#rollouts", "id"))
}

// checkDemoWeek: the demo's week (examples/week.toml over smf1) as GET
// /v1/week shows it: its hosts, a block and a row per step, each day's
// hosts, the unslotted and missing counts.
func checkDemoWeek(t *testing.T, d *demoSession) {
	var wk weekShowJSON
	d.get(t, "/v1/week", &wk)
	require.NotEmpty(t, wk.Steps, "make demo plans a week")
	checkWeekNumbers(t, d.b, wk)
}

// checkDemoAudit: a row per entry of GET /v1/audit, newest first, each
// of its kind; a refused entry with its count and what was refused.
func checkDemoAudit(t *testing.T, d *demoSession) {
	var entries []struct {
		ID      int64
		Kind    string
		Refusal *struct {
			Op, Kind, Remote, Message string
			Count                     int
		}
	}
	d.get(t, "/v1/audit", &entries)
	var ids, kinds, refusals []string
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		ids = append(ids, fmt.Sprint(e.ID))
		kinds = append(kinds, e.Kind)
		if x := e.Refusal; x != nil {
			refusals = append(refusals, fmt.Sprintf("%d refused %s ×%d %s from %s: %s", e.ID, x.Kind, x.Count, x.Op, x.Remote, x.Message))
		}
	}
	require.GreaterOrEqual(t, len(ids), 8, "the demo's decisions, commit and week, and the refusals")
	require.NotEmpty(t, refusals, "the visits without credentials")
	assert.Equal(t, ids, shownRows(d.b, "#audit", "id"), "a row per entry, newest first")
	assert.Equal(t, kinds, shownRows(d.b, "#audit", "kind"))
	assert.Equal(t, refusals, shown[[]string](d, `[...document.querySelectorAll('#audit tr[data-kind="refused"]')].map(tr =>
		tr.dataset.id + ' ' + tr.children[2].textContent + ' ' + tr.querySelector('.refusal').textContent)`),
		"a refused entry shows its count and what was refused")
	assert.Equal(t, strconv.Itoa(len(entries)), value(d.b, chromedp.Text(chromedp.CSS("#total"))))
}

// checkDemoTrends: the default sets the newest pass has, each chart with
// one point per pass of GET /v1/passes at the size GET /v1/trend returns,
// and the table of the same numbers.
func checkDemoTrends(t *testing.T, d *demoSession) {
	type chart struct {
		Set    string   `json:"set"`
		Passes []string `json:"passes"`
		Values []string `json:"values"`
	}
	type page struct {
		Charts []chart    `json:"charts"`
		Rows   [][]string `json:"rows"`
	}
	got := shown[page](d, `({
		charts: [...document.querySelectorAll('figure.chart')].map(f => ({set: f.dataset.set,
			passes: [...f.querySelectorAll('circle.point')].map(c => c.dataset.pass),
			values: [...f.querySelectorAll('circle.point')].map(c => c.dataset.value)})),
		rows: [...document.querySelectorAll('#trend-table tbody tr')].map(tr => [...tr.children].map(td => td.textContent))})`)

	var passes []struct{ ID int64 }
	d.get(t, "/v1/passes", &passes)
	require.Len(t, passes, 3, "the demo's passes")
	var sets []string
	for _, c := range got.Charts {
		sets = append(sets, c.Set)
	}
	assert.Equal(t, []string{"dead", "responsive"}, sets, "the defaults the demo's newest pass has (it has no repair)")
	q := url.Values{"sets": sets}
	var tr struct {
		Sets   []string
		Passes []struct {
			ID    int64
			Sizes []*uint64
		}
	}
	d.get(t, "/v1/trend?"+q.Encode(), &tr)
	require.Equal(t, sets, tr.Sets)
	require.Len(t, tr.Passes, len(passes))
	for i, c := range got.Charts {
		require.Len(t, c.Passes, len(passes), "%s: one point per pass", c.Set)
		for k, p := range tr.Passes {
			require.NotNil(t, p.Sizes[i], "pass %d has %s", p.ID, c.Set)
			assert.Equal(t, strconv.FormatInt(passes[k].ID, 10), c.Passes[k], "%s: the points in pass order", c.Set)
			assert.Equal(t, strconv.FormatUint(*p.Sizes[i], 10), c.Values[k], "%s in pass %d", c.Set, p.ID)
		}
	}
	require.Len(t, got.Rows, len(tr.Passes), "a table row per pass")
	for k, p := range tr.Passes {
		row := got.Rows[k]
		require.Len(t, row, 2+len(sets))
		assert.Equal(t, strconv.FormatInt(p.ID, 10), row[0])
		for i := range sets {
			assert.Equal(t, strconv.FormatUint(*p.Sizes[i], 10), row[2+i], "pass %d, %s", p.ID, sets[i])
		}
	}
}

// checkDemoQuery: the pass, the count, every node of the explain tree
// with its size, and the first page of hosts, as GET /v1/query and
// /v1/explain return them.
func checkDemoQuery(t *testing.T, d *demoSession) {
	var q struct {
		Pass  int64
		Count int
		Hosts []string
	}
	d.get(t, "/v1/query?expr="+url.QueryEscape(demoExpr), &q)
	require.Greater(t, q.Count, 100, "the demo's expression fills more than a page")
	var explain []struct {
		Text  string
		Hosts int
	}
	d.get(t, "/v1/explain?expr="+url.QueryEscape(demoExpr), &explain)
	require.Greater(t, len(explain), 3, "an explain tree of several nodes")

	type page struct {
		Pass, Count string
		Nodes       []string
		Sizes       []string
		Hosts       []string
	}
	got := shown[page](d, `({
		pass: document.querySelector('#result').dataset.pass,
		count: document.querySelector('#count').textContent,
		nodes: [...document.querySelectorAll('#explain tbody tr')].map(tr => tr.querySelector('.node').textContent),
		sizes: [...document.querySelectorAll('#explain tbody tr')].map(tr => tr.dataset.hosts),
		hosts: [...document.querySelectorAll('#hosts li')].map(li => li.textContent)})`)
	assert.Equal(t, fmt.Sprint(q.Pass), got.Pass)
	assert.Equal(t, fmt.Sprint(q.Count), got.Count, "the page's count is the API's")
	require.Len(t, got.Nodes, len(explain), "a row per node of the explain tree")
	for i, n := range explain {
		assert.Equal(t, n.Text, got.Nodes[i])
		assert.Equal(t, strconv.Itoa(n.Hosts), got.Sizes[i], "%s: its size", n.Text)
	}
	assert.Equal(t, q.Hosts[:100], got.Hosts, "the first page of hosts")
	resp, folded := d.s.call(t, http.MethodGet, "/v1/query?format=folded&expr="+url.QueryEscape(demoExpr), d.token, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", folded)
	assert.Equal(t, strings.TrimSuffix(string(folded), "\n"), value(d.b, chromedp.TextContent(chromedp.CSS("#folded"))), "the folded form is the API's ?format=folded")
}

// checkDemoQueryError: a bad expression shows the message and the caret
// of the API's 400 inline, keeps the expression in the box, and is
// answered 200 (a 4xx page would be a console error).
func checkDemoQueryError(t *testing.T, d *demoSession) {
	resp, body := d.s.call(t, http.MethodGet, "/v1/query?expr="+url.QueryEscape(demoBadExpr), d.token, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s", body)
	e := apiErrorOf(t, body)
	require.Equal(t, "expression", e["kind"])
	require.NotEmpty(t, e["caret"], "the API's error has a caret")
	assert.Equal(t, e["message"], value(d.b, chromedp.Text(chromedp.CSS("#query-error .message"))))
	assert.Equal(t, e["caret"], value(d.b, chromedp.TextContent(chromedp.CSS("#query-error .caret"))))
	assert.Equal(t, demoBadExpr, value(d.b, chromedp.Value(chromedp.CSS("#expr"))), "the box keeps the expression")

	resp, _ = d.s.call(t, http.MethodGet, "/query?expr="+url.QueryEscape(demoBadExpr), d.token, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a bad expression's page is answered 200")
}

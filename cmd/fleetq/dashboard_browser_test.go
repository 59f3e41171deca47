package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromiumPath is Debian's chromium (.ci/run installs it).
const chromiumPath = "/usr/bin/chromium"

// browser is a headless Chromium driven by chromedp, with every console
// error, uncaught exception and error entry of the browser log of its
// pages collected.
type browser struct {
	t   *testing.T
	ctx context.Context
	mu  sync.Mutex
	// problems are console.error calls, exceptions and error log entries
	// (a failed load, a CSP violation).
	problems []string
	// marks receives the text of each console.info call (the end mark).
	marks chan string
}

// newBrowser starts Chromium for t, or skips t with one loud line when
// it is not installed.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("SKIP: chromium not installed (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath), chromedp.NoSandbox,
		chromedp.WindowSize(1400, 1000), chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, marks: make(chan string, 16)}
	// Console starts the browser and subscribes before any page loads.
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleException, "assert":
				b.mu.Lock()
				b.problems = append(b.problems, fmt.Sprintf("%s: %s (%s)", m.Type, m.Text, m.URL))
				b.mu.Unlock()
			case chromedp.ConsoleInfo:
				b.marks <- m.Text
			}
		}
	}()
	return b
}

// noProblems fails when a page logged an error. It writes an end mark
// with console.info and waits for it, so every message before it was
// read (an event, not a sleep).
func (b *browser) noProblems() {
	b.t.Helper()
	const mark = "fleetq-test-end"
	b.do(chromedp.Navigate("about:blank"))
	_, err := b.runCtx(chromedp.Evaluate[any](`console.info("` + mark + `")`))
	require.NoError(b.t, err)
	for m := range b.marks {
		if m == mark {
			break
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	assert.Empty(b.t, b.problems, "the console has errors")
}

// runCtx runs one action with a bound: a hung browser fails the test
// instead of hanging it (every step waits on the DOM, not on a clock).
func (b *browser) runCtx(a chromedp.Action[any]) (any, error) {
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	return chromedp.Run(ctx, a)
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, steps...))
}

// value runs an action that returns a value.
func value[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	require.NoError(b.t, err)
	return v
}

// location is the page's address now.
func (b *browser) location() string {
	b.t.Helper()
	return value(b, chromedp.Location())
}

// screenshot saves the whole page as NAME.png in the test's artifacts
// directory: $FLEETQ_ARTIFACTS (make screenshots), else t.ArtifactDir()
// (go test -artifacts keeps it).
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png := value(b, chromedp.FullScreenshot(100))
	dir := os.Getenv("FLEETQ_ARTIFACTS")
	if dir == "" {
		dir = b.t.ArtifactDir()
	}
	require.NoError(b.t, os.MkdirAll(dir, 0o755))
	path := filepath.Join(dir, name+".png")
	require.NoError(b.t, os.WriteFile(path, png, 0o644))
	b.t.Logf("screenshot %s", path)
}

// login signs in through the form with secret; the page it lands on is
// loaded when sel is visible.
func (b *browser) login(secret string, sel chromedp.CSS) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#token"), secret),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(sel))
}

// noRedirects is a client that shows a redirect instead of following it.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestDashboardBrowser drives headless Chromium through the dashboard
// of a served database: an unauthenticated visit goes to the login
// form, the form signs in with a viewer token (a session cookie that is
// HttpOnly, SameSite=Strict and not the token), the overview shows the
// numbers GET /v1/headroom and /v1/leases return for the same pass, a
// bearer token is as good as the cookie, signing out ends the session,
// the query page shows the API's count, explain tree and hosts a page
// at a time, with a bad expression's caret inline, and no page logs a
// console error. A screenshot per page is saved.
func TestDashboardBrowser(t *testing.T) {
	b := newBrowser(t)
	f := newActionFixture(t)
	f.ok("drain", dense+` & lifecycle = "active" | sample 5`, "--reason", "disk swap", "--commit", "--yes", "--seed", "7")
	f.ok("freeze", "ams1-zk-01", "--reason", "zookeeper upgrade")
	viewer := newToken(t, f.db, "viewer1", "viewer")
	s := startServe(t, f.db, "--policy", f.policy)

	// Unauthenticated: a 303 to the login form, for a client and a browser.
	resp, err := noRedirects.Get(s.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/login?next=%2F", resp.Header.Get("Location"))
	b.do(chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	assert.Equal(t, s.URL+"/login?next=%2F", b.location())
	b.screenshot("login")

	// A bad token shows the form again with the reason.
	b.do(chromedp.SendKeys(chromedp.CSS("#token"), "fq_not-a-token"), chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#login-error")))
	assert.Contains(t, value(b, chromedp.Text(chromedp.CSS("#login-error"))), "unknown or revoked")

	b.login(viewer, "#tiles")
	assert.Equal(t, s.URL+"/", b.location())
	got, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{})
	require.NoError(t, err)
	cookies := got.Cookies
	require.Len(t, cookies, 1)
	c := cookies[0]
	assert.Equal(t, "fleetq_session", c.Name)
	assert.True(t, c.HTTPOnly, "the session cookie is HttpOnly")
	assert.Equal(t, network.CookieSameSiteStrict, c.SameSite)
	assert.NotContains(t, c.Value, viewer, "the cookie is a session id, not the token")

	checkOverviewNumbers(t, b, s, viewer)
	frozen := value(b, chromedp.Evaluate[int](`document.querySelectorAll(".tile.frozen[data-cluster='ams1-zk-01']").length`))
	assert.Equal(t, 1, frozen, "the frozen cluster's tile is coloured frozen")
	b.screenshot("overview")

	checkQueryPage(t, b, s, viewer)

	// A bearer token is as good as the cookie.
	req, err := http.NewRequest(http.MethodGet, s.URL+"/", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+viewer)
	resp, err = noRedirects.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")

	// Signing out ends the session: the next visit is the login again.
	b.do(chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.do(chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	assert.Equal(t, s.URL+"/login?next=%2F", b.location())
	b.noProblems()
}

// checkOverviewNumbers reads the overview's tiles and compares them with
// GET /v1/headroom and /v1/leases: the same pass, every cluster and verb
// with the same cap and headroom, the same leases per cluster, tiles in
// the order of least headroom.
func checkOverviewNumbers(t *testing.T, b *browser, s *served, token string) {
	t.Helper()
	type row struct {
		Cluster  string `json:"cluster"`
		Verb     string `json:"verb"`
		Cap      string `json:"cap"`
		Headroom string `json:"headroom"`
		Leases   string `json:"leases"`
	}
	type page struct {
		Pass string `json:"pass"`
		Rows []row  `json:"rows"`
	}
	shown := value(b, chromedp.Evaluate[page](`({
		pass: document.querySelector('#pass').dataset.pass,
		rows: [...document.querySelectorAll('.tile tr[data-verb]')].map(tr => {
			const tile = tr.closest('.tile');
			return {cluster: tile.dataset.cluster, verb: tr.dataset.verb,
				cap: tr.querySelector('.cap').textContent, headroom: tr.querySelector('.headroom').textContent,
				leases: tile.querySelector('.leases').textContent};
		})})`))

	resp, body := s.call(t, http.MethodGet, "/v1/headroom", token, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var hr headroomJSON
	require.NoError(t, json.Unmarshal(body, &hr))
	resp, body = s.call(t, http.MethodGet, "/v1/leases", token, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var leases []struct{ Cluster, State string }
	require.NoError(t, json.Unmarshal(body, &leases))
	perCluster := map[string]int{}
	for _, l := range leases {
		if l.State == "active" {
			perCluster[l.Cluster]++
		}
	}
	require.NotZero(t, perCluster["smf1-dense-02"], "the fixture's leases")

	assert.Equal(t, fmt.Sprint(hr.Pass), shown.Pass, "the overview shows the API's pass")
	require.Len(t, shown.Rows, len(hr.Clusters), "a row per cluster and verb")
	byKey := map[string]row{}
	for _, r := range shown.Rows {
		byKey[r.Cluster+"/"+r.Verb] = r
	}
	least := map[string]int{}
	for _, c := range hr.Clusters {
		r, ok := byKey[c.Cluster+"/"+c.Verb]
		require.True(t, ok, "no row for %s %s", c.Cluster, c.Verb)
		if c.Budgeted {
			assert.Equal(t, fmt.Sprint(c.Cap), r.Cap, "%s %s cap", c.Cluster, c.Verb)
			assert.Equal(t, fmt.Sprint(c.Headroom), r.Headroom, "%s %s headroom", c.Cluster, c.Verb)
			if h, seen := least[c.Cluster]; !seen || c.Headroom < h {
				least[c.Cluster] = c.Headroom
			}
		} else {
			assert.Equal(t, "no budget", r.Cap)
		}
		assert.Equal(t, fmt.Sprint(perCluster[c.Cluster]), r.Leases, "%s leases", c.Cluster)
	}
	var order []string
	for _, r := range shown.Rows {
		if len(order) == 0 || order[len(order)-1] != r.Cluster {
			order = append(order, r.Cluster)
		}
	}
	for i := 1; i < len(order); i++ {
		assert.LessOrEqual(t, least[order[i-1]], least[order[i]], "tiles by least headroom: %v", order)
	}
}

// checkQueryPage runs an expression from the query form and checks the
// page against GET /v1/query and /v1/explain: the count, the explain tree,
// the hosts a page at a time, the link that reproduces the page; then a
// bad expression shows the parser's message and caret inline.
func checkQueryPage(t *testing.T, b *browser, s *served, token string) {
	t.Helper()
	expr := dense + ` & lifecycle = "active"`
	b.do(chromedp.Click(chromedp.CSS(`nav a[href="/query"]`)), chromedp.WaitVisible(chromedp.CSS("#query-form")),
		chromedp.SendKeys(chromedp.CSS("#expr"), expr), chromedp.Click(chromedp.CSS("#query-submit")),
		chromedp.WaitVisible(chromedp.CSS("#result")))

	resp, body := s.call(t, http.MethodGet, "/v1/query?expr="+urlEscape(expr), token, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var q struct {
		Pass  int64
		Count int
		Hosts []string
	}
	require.NoError(t, json.Unmarshal(body, &q))
	require.Greater(t, q.Count, 100, "the fixture's expression fills more than one page")
	resp, body = s.call(t, http.MethodGet, "/v1/explain?expr="+urlEscape(expr), token, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var explain []struct{ Text string }
	require.NoError(t, json.Unmarshal(body, &explain))

	type shown struct {
		Pass    string   `json:"pass"`
		Count   string   `json:"count"`
		Explain []string `json:"explain"`
		Hosts   []string `json:"hosts"`
		Link    string   `json:"link"`
	}
	read := func() shown {
		return value(b, chromedp.Evaluate[shown](`({
			pass: document.querySelector('#result').dataset.pass,
			count: document.querySelector('#count').textContent,
			explain: [...document.querySelectorAll('#explain tbody td.node')].map(td => td.textContent),
			hosts: [...document.querySelectorAll('#hosts li')].map(li => li.textContent),
			link: document.querySelector('#permalink').getAttribute('href')})`))
	}
	page1 := read()
	assert.Equal(t, fmt.Sprint(q.Pass), page1.Pass)
	assert.Equal(t, fmt.Sprint(q.Count), page1.Count, "the page's count is the API's")
	require.Len(t, page1.Explain, len(explain), "a row per node of the explain tree")
	for i := range explain {
		assert.Equal(t, explain[i].Text, page1.Explain[i])
	}
	assert.Equal(t, q.Hosts[:100], page1.Hosts, "the first page of hosts")
	assert.Equal(t, "/query?expr="+urlEscape(expr), page1.Link)
	b.screenshot("query")

	b.do(chromedp.Click(chromedp.CSS("#next")), chromedp.WaitVisible(chromedp.CSS("#prev")))
	assert.Equal(t, q.Hosts[100:min(200, len(q.Hosts))], read().Hosts, "the second page of hosts")

	// The link reproduces the page.
	b.do(chromedp.Navigate(s.URL+page1.Link), chromedp.WaitVisible(chromedp.CSS("#result")))
	assert.Equal(t, page1, read())

	// A bad expression: the message and the caret the API returns, inline.
	bad := `dead & (cluster = "x"`
	b.do(chromedp.SetValue(chromedp.CSS("#expr"), bad), chromedp.Click(chromedp.CSS("#query-submit")),
		chromedp.WaitVisible(chromedp.CSS("#query-error")))
	resp, body = s.call(t, http.MethodGet, "/v1/query?expr="+urlEscape(bad), token, nil)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	e := apiErrorOf(t, body)
	require.Equal(t, "expression", e["kind"])
	assert.Equal(t, e["message"], value(b, chromedp.Text(chromedp.CSS("#query-error .message"))))
	assert.Equal(t, e["caret"], value(b, chromedp.TextContent(chromedp.CSS("#query-error .caret"))))
	assert.Equal(t, bad, value(b, chromedp.Value(chromedp.CSS("#expr"))), "the box keeps the expression")
	b.screenshot("query-error")
}

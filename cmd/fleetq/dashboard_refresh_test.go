package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDashboardRefresh drives headless Chromium through the live
// refresh: the overview, open in the browser, shows the next pass once
// fleetq ingest (a process beside the server) has written it; the
// leases page shows a drain committed from the command line; the query
// page, with an expression typed and not sent, keeps it and says what
// changed instead of reloading; no page logs a console error. Every wait
// is on the page (chromedp), none on the clock.
func TestDashboardRefresh(t *testing.T) {
	b := newBrowser(t)
	f := newActionFixture(t)
	viewer := newToken(t, f.db, "viewer1", "viewer")
	s := startServe(t, f.db, "--policy", f.policy, "--events-poll", "100ms")

	b.do(chromedp.Navigate(s.URL+"/login?next=%2F"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.login(viewer, `#pass[data-pass="1"]`)
	stamp := value(b, chromedp.AttributeValue(chromedp.CSS("body"), "data-stamp")).Value
	require.True(t, strings.HasPrefix(stamp, "1."), "the page's stamp names its pass: %q", stamp)
	// A mark of this page load: a reload drops it.
	_, err := b.runCtx(chromedp.Evaluate[any](`window.fleetqLoaded = "first"`))
	require.NoError(t, err)

	f.ingest(time.Time{}, nil) // pass 2, by a separate fleetq ingest
	b.do(chromedp.WaitVisible(chromedp.CSS(`#pass[data-pass="2"]`)))
	assert.Contains(t, value(b, chromedp.Text(chromedp.CSS("#pass h1"))), "Pass 2")
	again, err := b.runCtx(chromedp.Evaluate[any](`window.fleetqLoaded === undefined`))
	require.NoError(t, err)
	assert.Equal(t, true, again, "the overview was reloaded, not patched")
	assert.NotEqual(t, stamp, value(b, chromedp.AttributeValue(chromedp.CSS("body"), "data-stamp")).Value)

	// A ledger change: a drain committed on the command line.
	b.do(chromedp.Navigate(s.URL+"/leases"), chromedp.WaitVisible(chromedp.CSS("#leases")))
	require.Empty(t, shownRows(b, "#leases", "host"), "no lease yet")
	f.ok("drain", `"dn0000.smf1"`, "--reason", "disk swap", "--commit", "--yes", "--as", "ann")
	b.do(chromedp.WaitVisible(chromedp.CSS(`#leases tr[data-host="dn0000.smf1"]`)))
	assert.Equal(t, []string{"dn0000.smf1"}, shownRows(b, "#leases", "host"))

	// The query page with an expression typed and not run: kept, and told.
	b.do(chromedp.Navigate(s.URL+"/query?expr=all"), chromedp.WaitVisible(chromedp.CSS("#result")))
	b.do(chromedp.SetValue(chromedp.CSS("#expr"), `cluster = "ams1-zk-01"`))
	f.ok("freeze", "smf1-critical-01", "--reason", "a freeze changes the ledger")
	b.do(chromedp.WaitVisible(chromedp.CSS("#refresh-notice a")))
	assert.Contains(t, value(b, chromedp.Text(chromedp.CSS("#refresh-notice"))), "the leases or the audit log changed")
	assert.Equal(t, `cluster = "ams1-zk-01"`, value(b, chromedp.Value(chromedp.CSS("#expr"))), "what was typed stays")
	assert.Contains(t, b.location(), "expr=all", "the page's address still holds its query")
	b.noProblems()
}

// TestServeEventsSIGTERM: GET /events is a text/event-stream that sends
// the state stamp at once and again when a command changes the ledger;
// on SIGTERM the stream ends at once and the server exits 0 without
// waiting out --grace for it (a stream never finishes by itself).
func TestServeEventsSIGTERM(t *testing.T) {
	f := newActionFixture(t)
	viewer := newToken(t, f.db, "viewer1", "viewer")
	s := startServe(t, f.db, "--policy", f.policy, "--events-poll", "50ms", "--grace", "5m")

	events := make([]*bufio.Reader, 2)
	for i := range events {
		req, err := http.NewRequest("GET", s.URL+"/events", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+viewer)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
		events[i] = bufio.NewReader(resp.Body)
	}
	first := nextStamp(t, events[0])
	assert.Equal(t, first, nextStamp(t, events[1]), "both streams start at the same stamp")
	assert.True(t, strings.HasPrefix(first, `{"stamp":"1.`), first)

	f.ok("freeze", "smf1-critical-01", "--reason", "the stamp moves")
	changed := nextStamp(t, events[0])
	assert.Contains(t, changed, `"ledger":1,`, "a freeze changes the ledger's counter (and only the change is sent: %s first)", first)
	assert.Equal(t, changed, nextStamp(t, events[1]), "every stream hears the one poller")

	resp, err := http.Get(s.URL + "/events")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a stream needs credentials (a 401, not the login form)")

	start := time.Now()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	for _, r := range events {
		_, err := io.ReadAll(r)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			require.NoError(t, err)
		}
	}
	select {
	case err := <-s.done:
		require.NoError(t, err, "fleetq serve did not exit cleanly:\n%s", s.Logs())
	case <-time.After(time.Minute): // a hung server, not a timing assumption
		t.Fatalf("fleetq serve still runs a minute after SIGTERM (the streams hold the shutdown):\n%s", s.Logs())
	}
	assert.Less(t, time.Since(start), 4*time.Minute, "the shutdown did not wait --grace")
	assert.Contains(t, s.Logs(), "fleetq serve: stopped")
	assert.NotContains(t, s.Logs(), "cut off")
}

// nextStamp reads events from r to the next "stamp" event and returns
// its data; comment lines (heartbeats) and retry: are skipped.
func nextStamp(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	type line struct {
		s   string
		err error
	}
	stamp := false
	for {
		got := make(chan line, 1)
		go func() { s, err := r.ReadString('\n'); got <- line{s, err} }()
		var l line
		select {
		case l = <-got:
		case <-ctx.Done():
			t.Fatal("no stamp event within a minute")
		}
		require.NoError(t, l.err)
		text := strings.TrimRight(l.s, "\n")
		switch {
		case text == "event: stamp":
			stamp = true
		case stamp && strings.HasPrefix(text, "data: "):
			return strings.TrimPrefix(text, "data: ")
		case strings.HasPrefix(text, ":"), strings.HasPrefix(text, "retry:"), text == "":
		default:
			t.Fatalf("an unexpected line in the stream: %q", text)
		}
	}
}

// TestDashboardStaleSources: the overview marks a source older than
// the policy's evidence age for its kind stale (a class and the word),
// by the rule of fleetq check freshness (GET /v1/check/freshness, 422
// when one is stale), and a source within its age fresh. The fixture's
// pass is 3 hours old: its hosts: source is past the 2h max_evidence_age,
// its inventory within the inventory kind's 26h.
func TestDashboardStaleSources(t *testing.T) {
	f := newActionFixtureAt(t, time.Now().UTC().Add(-3*time.Hour).Truncate(time.Second))
	viewer := newToken(t, f.db, "viewer1", "viewer")
	s := startServe(t, f.db, "--policy", f.policy)

	resp, body := s.call(t, "GET", "/v1/check/freshness", viewer, nil)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "%s", body)
	var report struct {
		Result struct {
			Sources []struct {
				Source string
				Stale  bool
			}
		}
	}
	require.NoError(t, json.Unmarshal(body, &report), "%s", body)
	stale := map[string]bool{}
	for _, src := range report.Result.Sources {
		stale[src.Source] = src.Stale
	}
	require.Equal(t, map[string]bool{"hosts:responsive": true, "inventory:inventory": false}, stale, "%s", body)

	resp, page := s.call(t, "GET", "/", viewer, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", page)
	row := func(source string) string {
		m := regexp.MustCompile(`<tr data-source="` + regexp.QuoteMeta(source) + `" class="([a-z]+)">.*?</tr>`).FindStringSubmatch(string(page))
		require.NotNil(t, m, "no row of %s on the overview:\n%s", source, page)
		return m[0]
	}
	assert.Contains(t, row("hosts:responsive"), `class="stale"`)
	assert.Contains(t, row("hosts:responsive"), `<td class="fresh-state">stale (max 2h00m)</td>`, "the word, not only a colour")
	assert.Contains(t, row("inventory:inventory"), `class="fresh"`)
	assert.Contains(t, row("inventory:inventory"), `<td class="fresh-state">fresh (max 26h00m)</td>`)
	assert.Contains(t, string(page), `<p id="pass-age" class="stale">made 3h00m ago: <b>stale</b>`, "the pass past max_evidence_age")
}

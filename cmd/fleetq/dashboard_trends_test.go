package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDashboardTrends serves a database of four passes (the first
// before the definitions of dead and repair, the next three with 10, 12
// and 15 dead hosts), signs in through the form, opens
// /trends?set=dead&set=responsive and checks that each set's chart has
// one point per pass that has the set, at the size GET /v1/trend returns,
// that the table's numbers are the API's, that the pass times label the x
// axis, and that no page logged a console error. A screenshot is saved.
func TestDashboardTrends(t *testing.T) {
	b := newBrowser(t)
	f := newActionFixture(t)
	defs := filepath.Join(f.dir, "fleet.defs")
	require.NoError(t, os.WriteFile(defs, []byte("dead = lifecycle = \"dead\"\nrepair = lifecycle = \"repair\"\n"), 0o644))
	f.ok("defs", "set", defs)
	dead := map[string]string{}
	for i, more := range []int{1, 3, 6} { // 9 dead in the fixture, then 10, 12, 15
		for len(dead) < more {
			dead[fmtHost(len(dead))] = "dead"
		}
		f.ingest(f.base.Add(time.Duration(i+1)*time.Minute), dead)
	}
	viewer := newToken(t, f.db, "viewer1", "viewer")
	s := startServe(t, f.db, "--policy", f.policy)

	resp, body := s.call(t, http.MethodGet, "/v1/trend?sets=dead&sets=responsive", viewer, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var tr struct {
		Sets   []string
		Passes []struct {
			ID      int64
			Created time.Time
			Sizes   []*uint64
		}
	}
	require.NoError(t, json.Unmarshal(body, &tr))
	require.Equal(t, []string{"dead", "responsive"}, tr.Sets)
	require.Len(t, tr.Passes, 4)
	require.Nil(t, tr.Passes[0].Sizes[0], "pass 1 was made before dead was defined")
	var deads []uint64
	for _, p := range tr.Passes[1:] {
		deads = append(deads, *p.Sizes[0])
	}
	require.Equal(t, []uint64{10, 12, 15}, deads)

	b.do(chromedp.Navigate(s.URL+"/trends?set=dead&set=responsive"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.login(viewer, "#trend-table")
	assert.Equal(t, s.URL+"/trends?set=dead&set=responsive", b.location())

	type shownChart struct {
		Set    string   `json:"set"`
		Passes []string `json:"passes"`
		Values []string `json:"values"`
		Titles []string `json:"titles"`
		XTicks []string `json:"xticks"`
		YTicks int      `json:"yticks"`
	}
	type shown struct {
		Charts []shownChart `json:"charts"`
		Head   []string     `json:"head"`
		Rows   [][]string   `json:"rows"`
	}
	got := value(b, chromedp.Evaluate[shown](`({
		charts: [...document.querySelectorAll('figure.chart')].map(f => ({
			set: f.dataset.set,
			passes: [...f.querySelectorAll('circle.point')].map(c => c.dataset.pass),
			values: [...f.querySelectorAll('circle.point')].map(c => c.dataset.value),
			titles: [...f.querySelectorAll('circle.point > title')].map(t => t.textContent),
			xticks: [...f.querySelectorAll('text.xtick')].map(t => t.textContent),
			yticks: f.querySelectorAll('text.ytick').length})),
		head: [...document.querySelectorAll('#trend-table thead th')].map(th => th.textContent),
		rows: [...document.querySelectorAll('#trend-table tbody tr')].map(tr => [...tr.children].map(td => td.textContent))})`))

	require.Len(t, got.Charts, 2)
	assert.Equal(t, []string{"pass", "time (UTC)", "dead", "responsive"}, got.Head)
	require.Len(t, got.Rows, len(tr.Passes))
	for i, c := range got.Charts {
		assert.Equal(t, tr.Sets[i], c.Set)
		var passes, values []string
		for _, p := range tr.Passes {
			if n := p.Sizes[i]; n != nil {
				passes = append(passes, strconv.FormatInt(p.ID, 10))
				values = append(values, strconv.FormatUint(*n, 10))
			}
		}
		assert.Equal(t, passes, c.Passes, "%s: one point per pass that has the set", c.Set)
		assert.Equal(t, values, c.Values, "%s: the points' sizes are the API's", c.Set)
		require.Len(t, c.Titles, len(values))
		assert.Contains(t, c.Titles[len(c.Titles)-1], c.Set+" "+values[len(values)-1])
		assert.Len(t, c.XTicks, len(tr.Passes), "%s: a pass time per pass on the x axis", c.Set)
		assert.Equal(t, tr.Passes[0].Created.UTC().Format("01-02 15:04"), c.XTicks[0])
		assert.GreaterOrEqual(t, c.YTicks, 2, "%s: the y axis has ticks", c.Set)
	}
	assert.Len(t, got.Charts[1].Passes, len(tr.Passes), "responsive is in every pass")
	for i, p := range tr.Passes {
		row := got.Rows[i]
		require.Len(t, row, 4)
		assert.Equal(t, strconv.FormatInt(p.ID, 10), row[0])
		assert.Equal(t, p.Created.UTC().Format("2006-01-02 15:04:05"), row[1])
		for j, n := range p.Sizes {
			want := ""
			if n != nil {
				want = strconv.FormatUint(*n, 10)
			}
			assert.Equal(t, want, row[2+j], "pass %d, %s", p.ID, tr.Sets[j])
		}
	}
	b.screenshot("trends")

	// Without set: the defaults the newest pass has (dead, repair,
	// responsive), reached through the nav link.
	b.do(chromedp.Click(chromedp.CSS(`nav a[href="/trends"]`)), chromedp.WaitVisible(chromedp.CSS("#trend-table")))
	sets := value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('figure.chart')].map(f => f.dataset.set)`))
	assert.Equal(t, []string{"dead", "repair", "responsive"}, sets)
	b.noProblems()
}

// fmtHost is the fixture's n-th active dense host (dn0000.smf1, …,
// skipping the fixture's dead and repair ones: i%40 is 3 or 23).
func fmtHost(n int) string {
	i := 0
	for ; i%40 == 3 || i%40 == 23 || n > 0; i++ {
		if i%40 != 3 && i%40 != 23 {
			n--
		}
	}
	return fmt.Sprintf("dn%04d.smf1", i)
}

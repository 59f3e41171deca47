package dashboard

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPagesRender executes every page's template with the shapes it
// shows (the browser test drives them against a server; this one runs
// without chromium): a template that fails is a 500, never half a page.
func TestPagesRender(t *testing.T) {
	d := &dashboard{pages: parsePages("overview", "query", "login", "error")}
	count, seed := 3, uint64(42)
	for _, c := range []struct {
		page string
		data any
		want []string
	}{
		{"login", loginPage{Title: "Sign in", Next: "/", Error: "that token is unknown or revoked"}, []string{`id="login-error"`, `name="next" value="/"`}},
		{"error", errorPage{Title: "Error", Message: "headroom: no policy file"}, []string{"no policy file"}},
		{"overview", overviewPage{Title: "Overview", Viewer: "vera (viewer)", Pass: 2, Incident: &incidentJSON{Incident: true},
			Tiles: tiles(headroomJSON{Pass: 2, Clusters: []headroomLine{{Verb: "drain", Cluster: "c1", Budgeted: true, Cap: 2, Headroom: 0}}}, nil, false)},
			[]string{`id="banner-incident"`, `data-cluster="c1" data-state="exhausted"`, `headroom none`, `vera (viewer)`}},
		{"query", queryPage{Title: "Query", Viewer: "v", Expr: "all | by rack", Ran: true, Result: queryJSON{Pass: 2, By: "rack", Groups: []queryGroup{{"r1", 4}}}},
			[]string{`id="groups"`, `<td>r1</td><td class="num">4</td>`}},
		{"query", queryPage{Title: "Query", Viewer: "v", Expr: "all | show rack", Ran: true, Columns: []string{"host", "rack"},
			Result: queryJSON{Pass: 2, Rows: []map[string]string{{"host": "h1", "rack": "r1"}}}}, []string{`id="rows"`, `<td>h1</td><td>r1</td>`}},
		{"query", queryPage{Title: "Query", Viewer: "v", Expr: "all | sample 1", Ran: true, Result: queryJSON{Pass: 2, Count: &count, Seed: &seed}, Link: "/query?expr=x&seed=42"},
			[]string{`<span id="count">3</span>`, "seed 42", `href="/query?expr=x&amp;seed=42"`}},
		{"query", queryPage{Title: "Query", Viewer: "v", Expr: "dead & (", Error: "1:9: unexpected end of input", Caret: "  dead & (\n          ^"},
			[]string{`id="query-error"`, "dead &amp; (\n          ^"}},
	} {
		w := httptest.NewRecorder()
		d.render(w, 200, c.page, c.data)
		require.Equal(t, 200, w.Code, "%s: %s", c.page, w.Body)
		for _, s := range c.want {
			assert.Contains(t, w.Body.String(), s, c.page)
		}
		assert.Equal(t, "default-src 'self'; frame-ancestors 'none'", w.Header().Get("Content-Security-Policy"))
	}
}

// TestQueryPages: the hosts a page at a time, with the links beside.
func TestQueryPages(t *testing.T) {
	hosts := make([]string, 250)
	for i := range hosts {
		hosts[i] = "h" + strings.Repeat("x", i%3)
	}
	p := &queryPage{Result: queryJSON{Hosts: hosts}}
	p.paginate(map[string][]string{"expr": {"all"}}, "2")
	assert.Equal(t, 101, p.From)
	assert.Equal(t, 200, p.To)
	assert.Equal(t, "/query?expr=all&page=1", p.Prev)
	assert.Equal(t, "/query?expr=all&page=3", p.Next)
	p.paginate(map[string][]string{"expr": {"all"}}, "99")
	assert.Equal(t, 201, p.From, "past the end is the last page")
	assert.Empty(t, p.Next)
	p.paginate(map[string][]string{"expr": {"all"}}, "x")
	assert.Equal(t, 1, p.From)
	assert.Empty(t, p.Prev)
}

// TestSessions: a session gives back its token until it is closed or
// expires; an unknown id gives nothing.
func TestSessions(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newSessions(time.Hour)
	s.now = func() time.Time { return now }
	id, err := s.open("fq_secret")
	require.NoError(t, err)
	assert.NotContains(t, id, "fq_secret")
	assert.Equal(t, "fq_secret", s.secret(id))
	assert.Empty(t, s.secret("nosuch"))
	assert.Empty(t, s.secret(""))
	now = now.Add(2 * time.Hour)
	assert.Empty(t, s.secret(id), "expired")
	id, err = s.open("fq_secret")
	require.NoError(t, err)
	s.close(id)
	assert.Empty(t, s.secret(id), "closed")
}

// TestLocalPath: a login sends the browser back only to this server.
func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{"/query?expr=dead": "/query?expr=dead", "": "/", "https://evil": "/", "//evil": "/", `/\evil`: "/",
		"/\t/evil": "/", "/\n/evil": "/", "/\r/evil": "/", "/\x7f": "/", "/query?expr=a%09b": "/query?expr=a%09b"} {
		assert.Equal(t, want, localPath(in), in)
	}
}

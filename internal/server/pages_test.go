package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/auth"
)

// TestHandlePage: a page is served to a bearer token or to the secret the
// page's reader finds (a cookie), a caller with neither goes to the login
// handler (and is counted as a refusal), and Run runs the API's own
// operation for the page's principal: the same command line as GET /v1/….
func TestHandlePage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	secret, err := auth.Create(path, "vera", auth.Viewer, false, "", time.Now())
	require.NoError(t, err)
	st, err := auth.NewStore(path)
	require.NoError(t, err)
	rec := &recorder{}
	var refused []Refusal
	var res Result
	page := func(m *Mux) {
		m.HandlePage("GET /page", func(r *http.Request) string {
			if c, err := r.Cookie("s"); err == nil {
				return c.Value
			}
			return ""
		}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/login", http.StatusSeeOther) }),
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, "vera", Principal(r).Name)
				res = m.Run(r, "headroom", url.Values{"verb": {"drain"}})
				w.WriteHeader(http.StatusNoContent)
			}))
	}
	s, err := New(Config{Executor: rec, Tokens: st, Mount: []func(*Mux){page}, Refused: func(r Refusal) { refused = append(refused, r) }})
	require.NoError(t, err)

	get := func(set func(*http.Request)) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/page", nil)
		set(req)
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		return w
	}
	w := get(func(*http.Request) {})
	assert.Equal(t, http.StatusSeeOther, w.Code)
	assert.Equal(t, "/login", w.Header().Get("Location"))
	require.Len(t, refused, 1, "an unauthenticated visit is a refusal")
	assert.Equal(t, KindUnauthenticated, refused[0].Kind)

	w = get(func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "s", Value: "fq_wrong"}) })
	assert.Equal(t, http.StatusSeeOther, w.Code, "a bad secret is the login too")

	w = get(func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "s", Value: secret}) })
	assert.Equal(t, http.StatusNoContent, w.Code)
	w = get(func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+secret) })
	assert.Equal(t, http.StatusNoContent, w.Code, "a bearer token is as good")

	require.Nil(t, res.Err)
	require.Len(t, rec.calls, 2)
	c := rec.calls[1]
	assert.Equal(t, []string{"headroom"}, c.Op.Command)
	assert.Equal(t, "json", c.Format)
	assert.Equal(t, []string{"--verb=drain", "--"}, c.Args, "the command line GET /v1/headroom?verb=drain makes")
	assert.Equal(t, "vera", c.Principal.Name)

	var mux *Mux
	_, err = New(Config{Executor: rec, Tokens: st, Mount: []func(*Mux){func(m *Mux) { mux = m }}})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	assert.Equal(t, KindInternal, mux.Run(req, "freeze", nil).Err.Kind, "a page never runs a write")
	assert.Equal(t, KindInternal, mux.Run(req, "nosuch", nil).Err.Kind)
}

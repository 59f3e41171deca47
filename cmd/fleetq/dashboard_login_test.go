package main

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// login POSTs the dashboard's form with secret and returns the response
// (not following its redirect).
func dashboardLogin(t *testing.T, c *http.Client, base, secret, next string) *http.Response {
	t.Helper()
	resp, err := c.PostForm(base+"/login", url.Values{"token": {secret}, "next": {next}})
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func sessionCookie(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == "fleetq_session" {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", resp.Header["Set-Cookie"])
	return nil
}

func getWithCookie(t *testing.T, c *http.Client, u string, cookie *http.Cookie) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	req.AddCookie(cookie)
	resp, err := c.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// pageWithCookie GETs u with the session cookie: the status and the page.
func pageWithCookie(t *testing.T, c *http.Client, u string, cookie *http.Cookie) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	req.AddCookie(cookie)
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

// TestDashboardLogin: the form's POST sets a session cookie (HttpOnly,
// SameSite=Strict, not the token, Secure only under TLS) and sends the
// browser back to the page it asked for, never elsewhere; the cookie
// opens the pages until logout, and a revoked token's session ends at
// once. No browser: the browser test drives the same form in Chromium.
func TestDashboardLogin(t *testing.T) {
	f := newActionFixture(t)
	viewer := newToken(t, f.db, "viewer1", "viewer")
	s := startServe(t, f.db, "--policy", f.policy)

	resp := dashboardLogin(t, noRedirects, s.URL, viewer, "/query?expr=dead")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/query?expr=dead", resp.Header.Get("Location"))
	c := sessionCookie(t, resp)
	assert.True(t, c.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, c.SameSite)
	assert.False(t, c.Secure, "plain HTTP: a Secure cookie would never come back")
	assert.NotContains(t, c.Value, viewer)
	assert.NotContains(t, c.Value, strings.TrimPrefix(viewer, "fq_"))

	assert.Equal(t, "/", dashboardLogin(t, noRedirects, s.URL, viewer, "//evil.example/").Header.Get("Location"), "only a path of this server")
	bad := dashboardLogin(t, noRedirects, s.URL, "fq_wrong", "/")
	assert.Equal(t, http.StatusOK, bad.StatusCode, "the form again, with the reason")
	assert.Empty(t, bad.Cookies())

	assert.Equal(t, http.StatusOK, getWithCookie(t, noRedirects, s.URL+"/", c).StatusCode)

	// An error page has every page's header: who is signed in, the way out.
	code, body := pageWithCookie(t, noRedirects, s.URL+"/clusters/nosuch", c)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, body, "no cluster nosuch")
	assert.Contains(t, body, "viewer1 (viewer)")
	assert.Contains(t, body, `id="logout"`)

	// A script whose bearer token is refused is told so (401 and the
	// API's error), not sent to a form it cannot fill in.
	for _, path := range []string{"/", "/leases", "/query?expr=dead"} {
		resp, body := s.call(t, http.MethodGet, path, "fq_wrong", nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s with a bad bearer token", path)
		assert.Equal(t, `Bearer realm="fleetq"`, resp.Header.Get("WWW-Authenticate"))
		assert.Equal(t, "unauthenticated", apiErrorOf(t, body)["kind"], "%s", body)
	}

	// Another site's page cannot sign a browser in (login CSRF).
	req, err := http.NewRequest(http.MethodPost, s.URL+"/login", strings.NewReader(url.Values{"token": {viewer}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err = noRedirects.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Empty(t, resp.Cookies())

	// Logout ends the session server-side: the old cookie opens nothing.
	req, err = http.NewRequest(http.MethodPost, s.URL+"/logout", nil)
	require.NoError(t, err)
	req.AddCookie(c)
	resp, err = noRedirects.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, http.StatusSeeOther, getWithCookie(t, noRedirects, s.URL+"/", c).StatusCode)

	// A revoked token ends its sessions on their next request.
	c = sessionCookie(t, dashboardLogin(t, noRedirects, s.URL, viewer, "/"))
	assert.Equal(t, http.StatusOK, getWithCookie(t, noRedirects, s.URL+"/", c).StatusCode)
	fqBinOK(t, f.db, "token", "revoke", "viewer1")
	resp = getWithCookie(t, noRedirects, s.URL+"/", c)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/login?next=%2F", resp.Header.Get("Location"))
}

// TestDashboardLoginTLS: under TLS the session cookie is also Secure.
func TestDashboardLoginTLS(t *testing.T) {
	f := newActionFixture(t)
	viewer := newToken(t, f.db, "viewer1", "viewer")
	ca := newTestCA(t)
	cert, key := ca.issue("127.0.0.1", true)
	s := startServe(t, f.db, "--policy", f.policy, "--tls-cert", cert, "--tls-key", key)
	pem, err := os.ReadFile(ca.File)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
		CheckRedirect: noRedirects.CheckRedirect,
	}
	resp := dashboardLogin(t, client, s.URL, viewer, "/")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	c := sessionCookie(t, resp)
	assert.True(t, c.Secure)
	assert.True(t, c.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, c.SameSite)
	assert.Equal(t, http.StatusOK, getWithCookie(t, client, s.URL+"/", c).StatusCode)
}

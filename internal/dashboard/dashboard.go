package dashboard

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/fleetq/fleetq/internal/agefmt"
	"github.com/fleetq/fleetq/internal/server"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// cookieName is the session cookie.
const cookieName = "fleetq_session"

// Options configure the dashboard.
type Options struct {
	// SessionTTL is how long a sign-in lasts (default 12h).
	SessionTTL time.Duration
	// Now is the clock the pages' ages are measured on (default time.Now).
	Now func() time.Time
	// Poll is how often the database's state stamp is read while a
	// page listens on GET /events (events.go); 0 serves no /events and
	// the pages do not refresh themselves. Heartbeat is the idle
	// stream's comment interval (default 15s), Streams the most streams
	// open at once (default 256).
	Poll, Heartbeat time.Duration
	Streams         int
}

type dashboard struct {
	mux      *server.Mux
	sessions *sessions
	pages    map[string]*template.Template
	now      func() time.Time
	events   *broker // nil: no live refresh
}

// Mount is the dashboard as a server.Config.Mount: / (the overview),
// /query, /trends, /clusters/NAME, /leases, /audit, /rollouts, /week,
// /login, /logout, /events and /assets/.
func Mount(o Options) func(*server.Mux) {
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	o = o.refreshDefaults()
	if o.Now == nil {
		o.Now = time.Now
	}
	pages := parsePages("overview", "query", "trends", "leases", "audit", "login", "error")
	return func(m *server.Mux) {
		d := &dashboard{mux: m, sessions: newSessions(o.SessionTTL), pages: pages, now: o.Now}
		if o.Poll > 0 && m.HasState() {
			d.events = newBroker(m, o)
			m.HandlePage("GET /events", d.cookieSecret, http.HandlerFunc(unauthorized), http.HandlerFunc(d.events.events))
		}
		assets, _ := fs.Sub(assetFS, "assets")
		m.HandlePublic("GET /assets/", http.StripPrefix("/assets/", cacheAssets(http.FileServerFS(assets))))
		m.HandlePublic("GET /login", http.HandlerFunc(d.loginForm))
		m.HandlePublic("POST /login", http.HandlerFunc(d.login))
		m.HandlePublic("POST /logout", http.HandlerFunc(d.logout))
		m.HandlePage("GET /{$}", d.cookieSecret, http.HandlerFunc(toLogin), d.stamped(d.overview))
		m.HandlePage("GET /query", d.cookieSecret, http.HandlerFunc(toLogin), d.stamped(d.query))
		m.HandlePage("GET /trends", d.cookieSecret, http.HandlerFunc(toLogin), d.stamped(d.trends))
		m.HandlePage("GET /clusters/{name}", d.cookieSecret, http.HandlerFunc(toLogin), d.stamped(d.clusterPage().ServeHTTP))
		m.HandlePage("GET /leases", d.cookieSecret, http.HandlerFunc(toLogin), d.stamped(d.leases))
		m.HandlePage("GET /audit", d.cookieSecret, http.HandlerFunc(toLogin), d.stamped(d.audit))
		m.HandlePage("GET /rollouts", d.cookieSecret, http.HandlerFunc(toLogin), d.stamped(d.rolloutsHandler().ServeHTTP))
		m.HandlePage("GET /week", d.cookieSecret, http.HandlerFunc(toLogin), d.stamped(d.weekHandler().ServeHTTP))
	}
}

// parsePages parses each page's template with the layout.
func parsePages(names ...string) map[string]*template.Template {
	pages := map[string]*template.Template{}
	for _, n := range names {
		pages[n] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/nav.html", "templates/"+n+".html"))
	}
	return pages
}

var funcs = template.FuncMap{
	"age": func(d time.Duration) string { return formatAge(d) },
}

// formatAge is an age as the CLI prints it (agefmt), except that a
// time ahead of the server's clock says so rather than 0s.
func formatAge(d time.Duration) string {
	if d < 0 {
		return "in the future"
	}
	return agefmt.Age(d)
}

func cacheAssets(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// cookieSecret is the token of the request's session cookie, if any.
func (d *dashboard) cookieSecret(r *http.Request) string {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return ""
	}
	return d.sessions.secret(c.Value)
}

// toLogin sends a visitor without valid credentials to the login form,
// with the page it asked for to come back to.
func toLogin(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

// localPath is next when it is a path of this server, else "/": a login
// never sends the browser elsewhere. A control character refuses it too:
// a browser drops tabs and newlines from an address (the URL standard),
// so "/\t/evil.example" would be followed as "//evil.example", another
// host; a path this server sent (toLogin's) is escaped and has none.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsFunc(next, isControl) {
		return "/"
	}
	return next
}

// isControl is an ASCII control character (C0 or DEL).
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// loginPage is the sign-in form; Viewer is always "" (no one yet).
type loginPage struct {
	Title, Viewer, Next, Error string
}

func (d *dashboard) loginForm(w http.ResponseWriter, r *http.Request) {
	if !d.mux.AuthRequired() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	d.render(w, http.StatusOK, "login", loginPage{Title: "Sign in", Next: localPath(r.URL.Query().Get("next"))})
}

// login checks the token of the form, opens a session and sets its
// cookie; a bad token shows the form again with the reason, as a 200:
// the browser logs a console error for any 4xx page, and the refusal is
// counted and rate limited as a 401 of the API is.
func (d *dashboard) login(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "dashboard: a sign-in from another site's page is refused", http.StatusForbidden)
		return
	}
	if err := r.ParseForm(); err != nil {
		d.render(w, http.StatusBadRequest, "login", loginPage{Title: "Sign in", Next: "/", Error: "the form could not be read: " + err.Error()})
		return
	}
	next := localPath(r.PostForm.Get("next"))
	secret := strings.TrimSpace(r.PostForm.Get("token"))
	if !d.mux.AuthRequired() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if secret == "" {
		d.render(w, http.StatusOK, "login", loginPage{Title: "Sign in", Next: next, Error: "paste a token (fleetq token create NAME --role viewer prints one)"})
		return
	}
	if _, answered, err := d.mux.CheckToken(w, r, secret); err != nil {
		if !answered {
			d.render(w, http.StatusOK, "login", loginPage{Title: "Sign in", Next: next, Error: "that token is unknown or revoked"})
		}
		return
	}
	id, err := d.sessions.open(secret)
	if err != nil {
		d.fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/", HttpOnly: true,
		Secure: d.mux.TLS(), SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session and clears its cookie.
func (d *dashboard) logout(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "dashboard: a sign-out from another site's page is refused", http.StatusForbidden)
		return
	}
	if c, err := r.Cookie(cookieName); err == nil {
		d.sessions.close(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: d.mux.TLS(), SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// sameOrigin says whether a form's POST came from this server's pages:
// a browser sends Origin on every POST, and another site's page must not
// sign a browser in with the other site's token (login CSRF) or out. A
// client without Origin (curl) is not a browser page and may post.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// run runs a read operation of the API for the page's viewer and
// decodes its JSON into v. Its error has the status the API would have
// answered.
func (d *dashboard) run(r *http.Request, op string, params url.Values, v any) *server.Error {
	res := d.mux.Run(r, op, params)
	if res.Err != nil {
		e := *res.Err
		e.Message = op + ": " + e.Message
		return &e
	}
	if err := json.Unmarshal(res.Stdout, v); err != nil {
		return &server.Error{Kind: server.KindInternal, Message: fmt.Sprintf("%s: its JSON: %v", op, err)}
	}
	return nil
}

// renderBuffers keep the pages' buffers between requests: the overview
// at 1,000,000 hosts is 3 MB of HTML, and growing a fresh buffer to that
// size on each request costs more than writing it.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes page with data into a buffer first, so a template
// error is a clean 500, never half a page.
func (d *dashboard) render(w http.ResponseWriter, status int, page string, data any) {
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); renderBuffers.Put(buf) }()
	if err := d.pages[page].Execute(buf, data); err != nil {
		http.Error(w, "dashboard: "+page+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(d.withStamp(w, page, buf.Bytes())) //nolint:errcheck // the browser went away
}

type errorPage struct{ Title, Viewer, Message string }

// fail renders the error page, with the page's header for its viewer
// when the page is a stamped one (every page but the login's).
func (d *dashboard) fail(w http.ResponseWriter, status int, msg string) {
	page := errorPage{Title: "Error", Message: msg}
	if sw, ok := w.(*stampWriter); ok {
		page.Viewer = sw.viewer
	}
	d.render(w, status, "error", page)
}

package dashboard

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/fleetq/fleetq/internal/server"
)

// pageSize is how many hosts the query page lists at once.
const pageSize = 100

// queryJSON is every shape fleetq query prints (docs/json.md, Query
// result): a host set, a count, groups (| by) or rows (| show).
type queryJSON struct {
	Pass   int64               `json:"pass"`
	Count  *int                `json:"count"`
	Hosts  []string            `json:"hosts"`
	Seed   *uint64             `json:"seed"`
	By     string              `json:"by"`
	Groups []queryGroup        `json:"groups"`
	Rows   []map[string]string `json:"rows"`
}

type queryGroup struct {
	Value string `json:"value"`
	Hosts int    `json:"hosts"`
}

type explainStep struct {
	Depth  int    `json:"depth"`
	Text   string `json:"text"`
	Hosts  int    `json:"hosts"`
	Origin string `json:"origin"`
	Stage  bool   `json:"stage"`
}

// queryPage is what the query template shows.
type queryPage struct {
	Title, Viewer string
	Expr          string
	// Error is the parser's or checker's message; Caret the expression
	// with a caret under the position (as the CLI prints it).
	Error, Caret string
	Ran          bool
	Result       queryJSON
	Explain      []explainStep
	// Hosts is the page of hosts shown, From its first (1-based), and
	// Prev and Next the addresses of the pages beside it ("" at an end).
	Hosts      []string
	From, To   int
	Prev, Next string
	Columns    []string // of Rows
	// Folded is the result's hosts as `fleetq query --format folded`
	// prints them (dn[0001-0042].smf1), when the result is a host set.
	Folded string
	// Link reproduces the page (the seed of a random stage included).
	Link string
}

// query serves /query?expr=EXPR[&seed=N][&page=N]: the expression box,
// the result (its count, the hosts a page at a time, or the groups or
// rows of a terminal stage), the explain tree with every intermediate
// size, and a bad expression's message with its caret inline.
func (d *dashboard) query(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := queryPage{Title: "Query", Viewer: viewerOf(r), Expr: q.Get("expr")}
	if strings.TrimSpace(page.Expr) == "" {
		d.render(w, http.StatusOK, "query", page)
		return
	}
	params := url.Values{"expr": {page.Expr}}
	if seed := q.Get("seed"); seed != "" {
		params.Set("seed", seed)
	}
	if err := d.run(r, "query", params, &page.Result); err != nil {
		if err.Kind != server.KindExpression && err.Kind != server.KindFailed && err.Kind != server.KindBadRequest {
			d.fail(w, err.Status(), err.Message)
			return
		}
		// The form with the message is the answer to a bad expression
		// (200: a 4xx page is a console error in every browser).
		page.Error, page.Caret = strings.TrimPrefix(err.Message, "query: "), err.Caret
		d.render(w, http.StatusOK, "query", page)
		return
	}
	page.Ran = true
	if err := d.run(r, "explain", url.Values{"expr": {page.Expr}}, &page.Explain); err != nil {
		d.fail(w, err.Status(), err.Message)
		return
	}
	link := url.Values{"expr": {page.Expr}}
	if page.Result.Seed != nil {
		link.Set("seed", strconv.FormatUint(*page.Result.Seed, 10))
	}
	page.Link = "/query?" + link.Encode()
	if page.Result.Hosts != nil {
		// The seed of the result, so a random stage folds the same hosts.
		res := d.mux.RunFormat(r, "query", link, "folded")
		if res.Err != nil {
			d.fail(w, res.Err.Status(), "query: "+res.Err.Message)
			return
		}
		page.Folded = strings.TrimSuffix(string(res.Stdout), "\n")
	}
	page.paginate(link, q.Get("page"))
	page.Columns = columns(page.Result.Rows)
	d.render(w, http.StatusOK, "query", page)
}

// paginate picks the hosts of page n (from 1; a bad or past-the-end n is
// the last page).
func (p *queryPage) paginate(link url.Values, n string) {
	hosts := p.Result.Hosts
	p.Hosts, p.From, p.To, p.Prev, p.Next = nil, 0, 0, "", ""
	if len(hosts) == 0 {
		return
	}
	pages := (len(hosts) + pageSize - 1) / pageSize
	i, err := strconv.Atoi(n)
	if err != nil || i < 1 {
		i = 1
	}
	i = min(i, pages)
	from, to := (i-1)*pageSize, min(i*pageSize, len(hosts))
	p.Hosts, p.From, p.To = hosts[from:to], from+1, to
	at := func(k int) string {
		v := url.Values{}
		for key, vs := range link {
			v[key] = vs
		}
		v.Set("page", strconv.Itoa(k))
		return "/query?" + v.Encode()
	}
	if i > 1 {
		p.Prev = at(i - 1)
	}
	if i < pages {
		p.Next = at(i + 1)
	}
}

// columns are the fields of | show's rows: host first, then the rest in
// byte order (as the CLI prints them).
func columns(rows []map[string]string) []string {
	if len(rows) == 0 {
		return nil
	}
	var cols []string
	for k := range rows[0] {
		if k != "host" {
			cols = append(cols, k)
		}
	}
	slices.Sort(cols)
	return append([]string{"host"}, cols...)
}

// viewerOf is the signed-in principal as the pages' header shows it.
func viewerOf(r *http.Request) string {
	p := server.Principal(r)
	return p.Name + " (" + p.Role.String() + ")"
}

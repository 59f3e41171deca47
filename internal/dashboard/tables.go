package dashboard

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/server"
)

// The filterable tables: /leases and /audit. Each runs its API operation
// (GET /v1/leases, /v1/audit) through Mux.Run and filters the rows on the
// server by the query string of a plain GET form, so a filtered table is
// an address (bookmark it) and needs no JavaScript.

// leaseRow is a row of fleetq leases (docs/json.md, Leases).
type leaseRow struct {
	Host      string    `json:"host"`
	Verb      string    `json:"verb"`
	Cluster   string    `json:"cluster"`
	Requester string    `json:"requester"`
	Reason    string    `json:"reason"`
	Start     time.Time `json:"start"`
	Expiry    time.Time `json:"expiry"`
	Audit     int64     `json:"audit"`
	Forced    bool      `json:"forced"`
	State     string    `json:"state"`
	Ghost     string    `json:"ghost"`
}

// leaseFilter is the form of /leases: each field "" matches every lease.
type leaseFilter struct {
	Cluster, Verb, Requester, State string
	All                             bool
}

func (f leaseFilter) match(l leaseRow) bool {
	return (f.Cluster == "" || l.Cluster == f.Cluster) && (f.Verb == "" || l.Verb == f.Verb) &&
		(f.Requester == "" || l.Requester == f.Requester) && (f.State == "" || l.State == f.State)
}

// leasesPage is what the leases template shows.
type leasesPage struct {
	Title, Viewer string
	Filter        leaseFilter
	// Clusters, Verbs, Requesters and States are the choices of the
	// form: the values of every lease the operation returned.
	Clusters, Verbs, Requesters, States []string
	Leases                              []leaseRow
	// Total is how many leases the operation returned before filtering.
	Total int
	Now   time.Time
}

// leases serves /leases?cluster=&verb=&requester=&state=&all=1: the
// ledger's leases (GET /v1/leases, with all=true when asked), filtered.
func (d *dashboard) leases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := leasesPage{Title: "Leases", Viewer: viewerOf(r), Now: d.now(),
		Filter: leaseFilter{Cluster: q.Get("cluster"), Verb: q.Get("verb"), Requester: q.Get("requester"), State: q.Get("state"), All: q.Get("all") != ""}}
	params := url.Values{}
	if page.Filter.All {
		params.Set("all", "true")
	}
	var all []leaseRow
	if err := d.run(r, "leases", params, &all); err != nil {
		d.fail(w, err.Status(), err.Message)
		return
	}
	page.Total = len(all)
	for _, l := range all {
		page.Clusters = append(page.Clusters, l.Cluster)
		page.Verbs = append(page.Verbs, l.Verb)
		page.Requesters = append(page.Requesters, l.Requester)
		page.States = append(page.States, l.State)
		if page.Filter.match(l) {
			page.Leases = append(page.Leases, l)
		}
	}
	page.Clusters, page.Verbs = choices(page.Clusters, page.Filter.Cluster), choices(page.Verbs, page.Filter.Verb)
	page.Requesters, page.States = choices(page.Requesters, page.Filter.Requester), choices(page.States, page.Filter.State)
	d.render(w, http.StatusOK, "leases", page)
}

// choices are the distinct non-empty values, sorted, with the one chosen
// kept even when no row has it (the form shows what was asked).
func choices(values []string, chosen string) []string {
	if chosen != "" {
		values = append(values, chosen)
	}
	values = slices.DeleteFunc(values, func(s string) bool { return s == "" })
	slices.Sort(values)
	return slices.Compact(values)
}

// auditRow is the part of an audit entry the table shows (docs/json.md,
// Audit entry).
type auditRow struct {
	ID        int64      `json:"id"`
	Time      time.Time  `json:"time"`
	Requester string     `json:"requester"`
	Kind      string     `json:"kind"`
	Verb      string     `json:"verb"`
	Expr      string     `json:"expr"`
	Reason    string     `json:"reason"`
	Pass      int64      `json:"pass"`
	Committed bool       `json:"committed"`
	Forced    bool       `json:"forced"`
	Approved  []string   `json:"approved"`
	Denied    []struct{} `json:"denied"`
	Refused   string     `json:"refused"`
	Refusal   *refusal   `json:"refusal"`
}

// refusal is a refused entry's count of the requests fleetq serve
// refused before any command ran (docs/json.md, Audit entry).
type refusal struct {
	Op      string `json:"op"`
	Kind    string `json:"kind"`
	Remote  string `json:"remote"`
	Count   int    `json:"count"`
	Message string `json:"message"`
}

// auditKinds are the kinds an entry can have (docs/json.md), the
// choices of the form's kind box.
var auditKinds = []string{"decision", "commit", "apply", "release", "lease-expired", "freeze", "unfreeze",
	"incident-start", "incident-stop", "rollout", "week", "week-cancel", "refused", "cancel"}

// auditPage is what the audit template shows.
type auditPage struct {
	Title, Viewer          string
	Kind, Requester, Since string
	Kinds, Requesters      []string
	Entries                []auditRow
	Total                  int
	Error                  string
}

// audit serves /audit?kind=&requester=&since=: the audit log (GET
// /v1/audit with its kind and since parameters), newest first, filtered
// by requester on the server. A since or kind the command refuses shows
// its message above the table (200: a 4xx page is a console error).
func (d *dashboard) audit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := auditPage{Title: "Audit", Viewer: viewerOf(r), Kinds: auditKinds,
		Kind: strings.TrimSpace(q.Get("kind")), Requester: q.Get("requester"), Since: strings.TrimSpace(q.Get("since"))}
	params := url.Values{}
	if page.Kind != "" {
		params.Set("kind", page.Kind)
	}
	if page.Since != "" {
		params.Set("since", page.Since)
	}
	var all []auditRow
	if err := d.run(r, "audit", params, &all); err != nil {
		if err.Kind != server.KindUsage && err.Kind != server.KindFailed && err.Kind != server.KindBadRequest {
			d.fail(w, err.Status(), err.Message)
			return
		}
		page.Error = strings.TrimPrefix(err.Message, "audit: ")
		page.Requesters = choices(nil, page.Requester)
		d.render(w, http.StatusOK, "audit", page)
		return
	}
	page.Total = len(all)
	for i := len(all) - 1; i >= 0; i-- {
		e := all[i]
		page.Requesters = append(page.Requesters, e.Requester)
		if page.Requester == "" || e.Requester == page.Requester {
			page.Entries = append(page.Entries, e)
		}
	}
	page.Requesters = choices(page.Requesters, page.Requester)
	d.render(w, http.StatusOK, "audit", page)
}

package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/server"
)

// The rollouts page: /rollouts lists every rollout (GET /v1/rollouts,
// fleetq rollout list), filtered by a GET form; /rollouts?rollout=ID also
// shows that rollout's waves, each with its size, verdict and evidence
// (GET /v1/rollout?rollout=ID, fleetq rollout status ID).

// rolloutRow is a row of fleetq rollout list (docs/json.md, Rollout list).
type rolloutRow struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Expr      string    `json:"expr"`
	State     string    `json:"state"`
	Hosts     int       `json:"hosts"`
	Waves     int       `json:"waves"`
	WavesGo   int       `json:"waves_go"`
	Current   int       `json:"current"`
	Verdict   string    `json:"verdict"`
	Reason    string    `json:"reason"`
	Verbs     []string  `json:"verbs"`
	Started   time.Time `json:"started"`
	Created   time.Time `json:"created"`
	Requester string    `json:"requester"`
	Pass      int64     `json:"pass"`
	Audit     int64     `json:"audit"`
	// Href is the page's address with this rollout open (not JSON).
	Href string `json:"-"`
}

// rolloutStatusJSON is fleetq rollout status (docs/json.md, Rollout
// status): only the fields the page shows.
type rolloutStatusJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Expr      string    `json:"expr"`
	State     string    `json:"state"`
	Created   time.Time `json:"created"`
	Requester string    `json:"requester"`
	Pass      int64     `json:"pass"`
	Audit     int64     `json:"audit"`
	Halt      *struct {
		Wave      int       `json:"wave"`
		At        time.Time `json:"at"`
		Requester string    `json:"requester"`
		Audit     int64     `json:"audit"`
		Pass      int64     `json:"pass"`
		Hosts     []string  `json:"hosts"`
		Reasons   []string  `json:"reasons"`
	} `json:"halt"`
	Waves []waveJSON `json:"waves"`
}

// waveJSON is a wave check (docs/json.md, Wave check).
type waveJSON struct {
	Wave       int       `json:"wave"`
	Set        string    `json:"set"`
	Size       int       `json:"size"`
	Started    time.Time `json:"started"`
	Pass       int64     `json:"pass"`
	PassSealed time.Time `json:"pass_sealed"`
	Before     int64     `json:"before_pass"`
	Hosts      int       `json:"hosts"`
	Rest       int       `json:"rest"`
	Health     *struct {
		Expr        string  `json:"expr"`
		WaveHealthy int     `json:"wave_healthy"`
		WavePct     float64 `json:"wave_pct"`
		RestPct     float64 `json:"rest_pct"`
		MinPct      float64 `json:"min_pct"`
	} `json:"health"`
	Failed []struct {
		Host   string   `json:"host"`
		Failed []string `json:"failed"`
	} `json:"failed"`
	Verdict   string   `json:"verdict"`
	Transient bool     `json:"transient"`
	Reasons   []string `json:"reasons"`
	// Evidence is what the verdict was judged on, one line (not JSON).
	Evidence string `json:"-"`
}

// rolloutFilter is the form of /rollouts: each field "" matches every
// rollout.
type rolloutFilter struct {
	State, Verb, Name string
}

func (f rolloutFilter) match(r rolloutRow) bool {
	return (f.State == "" || r.State == f.State) && (f.Name == "" || r.Name == f.Name) &&
		(f.Verb == "" || slices.Contains(r.Verbs, f.Verb))
}

// rolloutsPage is what the rollouts template shows.
type rolloutsPage struct {
	Title, Viewer string
	Filter        rolloutFilter
	// States, Verbs and Names are the form's choices: the values of every
	// rollout the operation returned.
	States, Verbs, Names []string
	Rollouts             []rolloutRow
	Total                int
	// Open is the rollout asked for with ?rollout=, its waves judged;
	// OpenError the operation's message when it has none such.
	Ref       string
	Open      *rolloutStatusJSON
	OpenError string
	Now       time.Time
}

// rolloutsPage parses the rollouts page's template, for Mount.
func (d *dashboard) rolloutsHandler() http.Handler {
	d.pages["rollouts"] = parsePages("rollouts")["rollouts"]
	return http.HandlerFunc(d.rollouts)
}

// rollouts serves /rollouts?state=&verb=&name=&rollout=ID: the table
// filtered (every field "" is any), and with rollout=ID that rollout's
// waves below it; a rollout the operation does not know is a 404 that
// says so, with the table.
func (d *dashboard) rollouts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := rolloutsPage{Title: "Rollouts", Viewer: viewerOf(r), Now: d.now(), Ref: strings.TrimSpace(q.Get("rollout")),
		Filter: rolloutFilter{State: q.Get("state"), Verb: q.Get("verb"), Name: q.Get("name")}}
	var all []rolloutRow
	if err := d.run(r, "rollouts", nil, &all); err != nil {
		d.fail(w, err.Status(), err.Message)
		return
	}
	page.Total = len(all)
	for _, ro := range all {
		page.States = append(page.States, ro.State)
		page.Verbs = append(page.Verbs, ro.Verbs...)
		page.Names = append(page.Names, ro.Name)
		if page.Filter.match(ro) {
			page.Rollouts = append(page.Rollouts, ro)
		}
	}
	page.States, page.Verbs = choices(page.States, page.Filter.State), choices(page.Verbs, page.Filter.Verb)
	page.Names = choices(page.Names, page.Filter.Name)
	keep := url.Values{}
	for k, v := range map[string]string{"state": page.Filter.State, "verb": page.Filter.Verb, "name": page.Filter.Name} {
		if v != "" {
			keep.Set(k, v)
		}
	}
	for i := range page.Rollouts {
		page.Rollouts[i].Href = rolloutHref(page.Rollouts[i].ID, keep)
	}
	status := http.StatusOK
	if page.Ref != "" {
		var st rolloutStatusJSON
		if err := d.run(r, "rollout-status", url.Values{"rollout": {page.Ref}}, &st); err != nil {
			if err.Kind != server.KindFailed && err.Kind != server.KindNotFound {
				d.fail(w, err.Status(), err.Message)
				return
			}
			status, page.OpenError = http.StatusNotFound, strings.TrimPrefix(err.Message, "rollout-status: ")
		} else {
			for i := range st.Waves {
				st.Waves[i].Evidence = waveEvidence(st.Waves[i])
			}
			page.Open = &st
		}
	}
	d.render(w, status, "rollouts", page)
}

// rolloutHref is the address of rollout id's waves, the filter kept.
func rolloutHref(id string, filter url.Values) string {
	v := url.Values{}
	for k, vs := range filter {
		v[k] = vs
	}
	v.Set("rollout", id)
	return "/rollouts?" + v.Encode() + "#rollout-" + id
}

// waveEvidence is one line of what a wave's verdict was judged on, as
// fleetq rollout status prints it.
func waveEvidence(c waveJSON) string {
	if c.Pass == 0 {
		return ""
	}
	s := fmt.Sprintf("started %s, pass %d sealed %s", c.Started.UTC().Format(time.RFC3339), c.Pass, c.PassSealed.UTC().Format(time.RFC3339))
	if c.Before != 0 {
		s += fmt.Sprintf(" (before: pass %d)", c.Before)
	}
	if h := c.Health; h != nil {
		s += fmt.Sprintf("; healthy (%s) %d/%d = %.1f%%, rest %.1f%%, floor %.0f%%", h.Expr, h.WaveHealthy, c.Size, h.WavePct, h.RestPct, h.MinPct)
	}
	return s
}

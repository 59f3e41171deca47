package dashboard

import (
	"html"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fleetq/fleetq/internal/server"
)

// The JSON of the operations the overview reads (docs/json.md): only the
// fields it shows.
type (
	headroomJSON struct {
		Pass     int64          `json:"pass"`
		Clusters []headroomLine `json:"clusters"`
	}
	// headroomLine names each field's key: encoding/json finds an exact
	// key faster than a case-folded one, and the overview decodes 16,536
	// lines at 1,000,000 hosts.
	headroomLine struct {
		Verb      string `json:"verb"`
		Cluster   string `json:"cluster"`
		Archetype string `json:"archetype"`
		Budgeted  bool   `json:"budgeted"`
		Size      int    `json:"size"`
		Causes    []struct {
			Name  string
			Hosts int
		} `json:"causes"`
		Unavailable int    `json:"unavailable"`
		Leased      int    `json:"leased"`
		Stuck       int    `json:"stuck"`
		Cap         int    `json:"cap"`
		Headroom    int    `json:"headroom"`
		Frozen      string `json:"frozen"`
	}
	leaseJSON struct {
		Host, Verb, Cluster, Requester, Reason, State string
		Expiry                                        time.Time
	}
	freezeJSON struct {
		Scope, Reason, Requester string
		Hosts                    int
	}
	incidentJSON struct {
		Incident bool `json:"incident"`
		Detail   *struct {
			Reason, Requester, Expr string
			Start                   time.Time
		} `json:"detail"`
	}
	passJSON struct {
		ID      int64     `json:"id"`
		Created time.Time `json:"created"`
		Label   string    `json:"label"`
		Hosts   int       `json:"hosts"`
		Sources []struct {
			Name, Kind string
			ReadAt     time.Time `json:"read_at"`
			Hosts      int
		} `json:"sources"`
	}
)

// overviewPage is what the overview template shows.
type overviewPage struct {
	Title     string
	Viewer    string
	Pass      int64
	PassAge   time.Duration
	PassLabel string
	PassStale bool   // older than max_evidence_age (freshness.go)
	PassMax   string // that age, "" when not known
	Sources   []sourceAge
	Incident  *incidentJSON
	FreezeAll *freezeJSON
	Freezes   []freezeJSON
	Tiles     []tile
	// Pager is where Tiles are among all the clusters' (overview_pages.go).
	Pager pager
	// TilesError is why there are no tiles: the headroom operation's
	// refusal (no policy file), "" when it answered.
	TilesError string
}

type sourceAge struct {
	Name, Kind string
	Hosts      int
	Age        time.Duration
	// Stale and MaxAge are fleetq check freshness's verdict (freshness.go).
	Stale  bool
	MaxAge string
	// ReadFailed is why this pass's collect could not read the source,
	// carried from pass CarriedFrom instead ("" when it was read).
	ReadFailed  string
	CarriedFrom int64
}

// tile is one cluster: its verbs' arithmetic, its leases and its state.
type tile struct {
	Cluster, Archetype string
	Size               int
	Verbs              []verbLine
	// Out is the hosts out when every verb counts the same ones (then
	// the rows leave it out), else "".
	Out    string
	Leases int
	Stuck  int
	Frozen string
	// State colours the tile: incident, frozen, exhausted (a budgeted
	// verb has no headroom left), ok.
	State string
	// Least is the least headroom of the budgeted verbs (the order).
	Least int
}

type verbLine struct {
	Verb     string
	Budgeted bool
	Out      string // the CLI's "22 = dead 9 + repair 8 + leased 5"
	Cap      int
	Headroom int
}

func (d *dashboard) overview(w http.ResponseWriter, r *http.Request) {
	view, verr := parseTileView(r.URL.Query())
	if verr != nil {
		d.fail(w, http.StatusBadRequest, verr.Error())
		return
	}
	var (
		hr       headroomJSON
		leases   []leaseJSON
		freezes  []freezeJSON
		incident incidentJSON
		passes   []passJSON
	)
	ops := []struct {
		op string
		v  any
	}{{"headroom", &hr}, {"leases", &leases}, {"freezes", &freezes}, {"incident-status", &incident}, {"passes", &passes}}
	// The operations only read: they run side by side (the server runs
	// concurrent reads so), and the page waits for the slowest, headroom.
	errs := make([]*server.Error, len(ops))
	var wg sync.WaitGroup
	for i, q := range ops {
		wg.Go(func() { errs[i] = d.run(r, q.op, nil, q.v) })
	}
	wg.Wait()
	// Headroom that the command refuses (no policy file, a policy that
	// does not load) leaves the tiles out and says why; the pass and its
	// sources are still worth showing.
	var tilesErr string
	if e := errs[0]; e != nil && e.Kind == server.KindFailed {
		tilesErr, errs[0] = e.Message, nil
	}
	for _, err := range errs {
		if err != nil {
			d.fail(w, err.Status(), err.Message)
			return
		}
	}
	if tilesErr != "" { // the newest pass, which headroom would have read
		for _, ps := range passes {
			hr.Pass = max(hr.Pass, ps.ID)
		}
	}
	page := overviewPage{Title: "Overview", Viewer: viewerOf(r), Pass: hr.Pass, Freezes: freezes, TilesError: tilesErr}
	if incident.Incident {
		page.Incident = &incident
	}
	for i := range freezes {
		if freezes[i].Scope == "all" {
			page.FreezeAll = &freezes[i]
		}
	}
	now := d.now()
	for _, ps := range passes {
		if ps.ID != hr.Pass {
			continue
		}
		page.PassAge, page.PassLabel = now.Sub(ps.Created), ps.Label
		for _, s := range ps.Sources {
			page.Sources = append(page.Sources, sourceAge{Name: s.Name, Kind: s.Kind, Hosts: s.Hosts, Age: now.Sub(s.ReadAt)})
		}
	}
	if err := d.markStale(r, &page); err != nil {
		d.fail(w, err.Status(), err.Message)
		return
	}
	page.Tiles, page.Pager = pageOf(tiles(hr, leases, page.Incident != nil), view)
	d.render(w, http.StatusOK, "overview", page)
}

// tiles groups the headroom lines by cluster, counts each cluster's
// leases, and orders the tiles by least headroom, then by name.
func tiles(hr headroomJSON, leases []leaseJSON, incident bool) []tile {
	byName := map[string]*tile{}
	var out []*tile
	for _, l := range hr.Clusters {
		t := byName[l.Cluster]
		if t == nil {
			t = &tile{Cluster: l.Cluster, Archetype: l.Archetype, Size: l.Size, Least: int(^uint(0) >> 1)}
			byName[l.Cluster] = t
			out = append(out, t)
		}
		if l.Frozen != "" {
			t.Frozen = l.Frozen
		}
		t.Verbs = append(t.Verbs, verbLine{Verb: l.Verb, Budgeted: l.Budgeted, Out: outText(l), Cap: l.Cap, Headroom: l.Headroom})
		if l.Budgeted && l.Headroom < t.Least {
			t.Least = l.Headroom
		}
	}
	for _, l := range leases {
		if t := byName[l.Cluster]; t != nil {
			switch l.State {
			case "active":
				t.Leases++
			case "stuck":
				t.Stuck++
			}
		}
	}
	res := make([]tile, 0, len(out))
	for _, t := range out {
		t.Out = commonOut(t.Verbs)
		switch {
		case incident:
			t.State = "incident"
		case t.Frozen != "":
			t.State = "frozen"
		case t.Least <= 0:
			t.State = "exhausted"
		default:
			t.State = "ok"
		}
		res = append(res, *t)
	}
	sort.SliceStable(res, func(i, j int) bool {
		if res[i].Least != res[j].Least {
			return res[i].Least < res[j].Least
		}
		return res[i].Cluster < res[j].Cluster
	})
	return res
}

// Rows is the tile's verb rows as HTML, written here rather than by the
// template: the overview has one row per cluster and verb (16,536 at
// 1,000,000 hosts), and html/template's escaper and comparison calls on
// each cell (by reflection) cost more than the rest of the rendering.
// Every string cell is escaped with html.EscapeString, which text and
// double-quoted attribute values both take; the rest are numbers.
func (t tile) Rows() template.HTML {
	var b strings.Builder
	for _, v := range t.Verbs {
		verb := html.EscapeString(v.Verb)
		b.WriteString("\n        <tr data-verb=\"" + verb + "\"><td>" + verb + "</td>")
		if t.Out == "" {
			b.WriteString(`<td class="out">` + html.EscapeString(v.Out) + `</td>`)
		}
		if !v.Budgeted {
			b.WriteString(`<td class="cap">no budget</td><td class="headroom">-</td></tr>`)
			continue
		}
		none := ""
		if v.Headroom <= 0 {
			none = " none"
		}
		b.WriteString(`<td class="num cap">` + strconv.Itoa(v.Cap) + `</td><td class="num headroom` + none + `">` + strconv.Itoa(v.Headroom) + `</td></tr>`)
	}
	return template.HTML(b.String()) //nolint:gosec // every string above is escaped
}

// outText is the hosts out as fleetq headroom prints them: the sum, then
// each cause.
func outText(l headroomLine) string {
	if len(l.Causes) == 0 {
		return strconv.Itoa(l.Unavailable)
	}
	// strconv and a builder, not fmt: the overview makes 16,536 of these
	// at 1,000,000 hosts.
	var b strings.Builder
	b.WriteString(strconv.Itoa(l.Unavailable) + " = ")
	for i, c := range l.Causes {
		if i > 0 {
			b.WriteString(" + ")
		}
		b.WriteString(c.Name + " " + strconv.Itoa(c.Hosts))
	}
	return b.String()
}

// commonOut is the verbs' hosts out when they all say the same.
func commonOut(vs []verbLine) string {
	for _, v := range vs[1:] {
		if v.Out != vs[0].Out {
			return ""
		}
	}
	return vs[0].Out
}

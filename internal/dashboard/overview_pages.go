package dashboard

import (
	"fmt"
	"net/url"
	"strconv"
)

// tilesPerPage is how many cluster tiles the overview shows at once. A
// fleet of 2,756 clusters is 3.1 MB of tiles on one page (a browser
// spends seconds laying it out, and nobody reads tile 2,000); the
// clusters with the least headroom come first, so the first page is the
// one to read and the others are a click away.
const tilesPerPage = 200

// tileStates are the tile states, in the order the overview counts them.
var tileStates = []string{"incident", "frozen", "exhausted", "ok"}

// tileView is which tiles the overview shows: those of one state (""
// for all), one page of them.
type tileView struct {
	State string
	Page  int // 1-based
}

// stateCount is how many clusters are in one state.
type stateCount struct {
	State  string
	Tiles  int
	Href   string // the overview showing only this state
	Chosen bool
}

// pager is the overview's place in its tiles and the links around it.
type pager struct {
	Clusters    int // every cluster, whatever the filter
	Shown       int // the clusters of the chosen state
	First, Last int // the tiles on this page, 1-based, of Shown
	Page, Pages int
	Prev, Next  string // "" at either end
	All         string // the overview with no state filter
	States      []stateCount
}

// parseTileView reads ?state= and ?page= (a number from 1), or says what
// was expected.
func parseTileView(q url.Values) (tileView, error) {
	v := tileView{State: q.Get("state"), Page: 1}
	if v.State != "" && !contains(tileStates, v.State) {
		return v, fmt.Errorf("state=%q: expected one of incident, frozen, exhausted, ok", v.State)
	}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return v, fmt.Errorf("page=%q: expected a page number from 1", p)
		}
		v.Page = n
	}
	return v, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// pageOf is the tiles of v's page out of all (ordered by least
// headroom), and the pager. A page past the last shows the last.
func pageOf(all []tile, v tileView) ([]tile, pager) {
	p := pager{Clusters: len(all), All: "/"}
	counts := map[string]int{}
	var chosen []tile
	for _, t := range all {
		counts[t.State]++
		if v.State == "" || t.State == v.State {
			chosen = append(chosen, t)
		}
	}
	for _, s := range tileStates {
		if counts[s] > 0 || s == v.State {
			p.States = append(p.States, stateCount{State: s, Tiles: counts[s], Href: overviewHref(s, 1), Chosen: s == v.State})
		}
	}
	p.Shown = len(chosen)
	p.Pages = max(1, (len(chosen)+tilesPerPage-1)/tilesPerPage)
	p.Page = min(v.Page, p.Pages)
	lo := (p.Page - 1) * tilesPerPage
	hi := min(lo+tilesPerPage, len(chosen))
	if lo < hi {
		p.First, p.Last = lo+1, hi
	}
	if p.Page > 1 {
		p.Prev = overviewHref(v.State, p.Page-1)
	}
	if p.Page < p.Pages {
		p.Next = overviewHref(v.State, p.Page+1)
	}
	return chosen[lo:hi], p
}

// overviewHref is the overview's address for a state and a page.
func overviewHref(state string, page int) string {
	q := url.Values{}
	if state != "" {
		q.Set("state", state)
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	if len(q) == 0 {
		return "/"
	}
	return "/?" + q.Encode()
}

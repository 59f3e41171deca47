package dashboard

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fleetTiles is n tiles in order, every seventh exhausted and every
// eleventh frozen.
func fleetTiles(n int) []tile {
	out := make([]tile, n)
	for i := range out {
		out[i] = tile{Cluster: fmt.Sprintf("c%04d", i), State: "ok"}
		switch {
		case i%11 == 0:
			out[i].State = "frozen"
		case i%7 == 0:
			out[i].State = "exhausted"
		}
	}
	return out
}

// TestPageOfCoversEveryTileOnce: walking the pages by their Next links
// shows every tile of the chosen state exactly once, in order, at most
// tilesPerPage at a time, with counts that add up to the clusters.
func TestPageOfCoversEveryTileOnce(t *testing.T) {
	for _, n := range []int{0, 1, tilesPerPage - 1, tilesPerPage, tilesPerPage + 1, 2756} {
		all := fleetTiles(n)
		for _, state := range []string{"", "ok", "exhausted", "frozen", "incident"} {
			var want []string
			for _, t := range all {
				if state == "" || t.State == state {
					want = append(want, t.Cluster)
				}
			}
			var got []string
			view := tileView{State: state, Page: 1}
			for pages := 0; ; pages++ {
				require.Less(t, pages, 100, "n=%d state=%q: the Next links never end", n, state)
				shown, p := pageOf(all, view)
				assert.LessOrEqual(t, len(shown), tilesPerPage)
				assert.Equal(t, n, p.Clusters)
				assert.Equal(t, len(want), p.Shown)
				sum := 0
				for _, s := range p.States {
					sum += s.Tiles
				}
				assert.Equal(t, n, sum, "n=%d: the states' counts add up to the clusters", n)
				if len(shown) > 0 {
					assert.Equal(t, want[p.First-1], shown[0].Cluster)
					assert.Equal(t, p.Last-p.First+1, len(shown))
				}
				for _, s := range shown {
					got = append(got, s.Cluster)
				}
				if p.Next == "" {
					break
				}
				u, err := url.Parse(p.Next)
				require.NoError(t, err)
				view, err = parseTileView(u.Query())
				require.NoError(t, err)
			}
			assert.Equal(t, want, got, "n=%d state=%q", n, state)
		}
	}
}

func TestPageOfPastTheLastShowsTheLast(t *testing.T) {
	shown, p := pageOf(fleetTiles(450), tileView{Page: 99})
	assert.Equal(t, 3, p.Page)
	assert.Equal(t, 3, p.Pages)
	assert.Len(t, shown, 50)
	assert.Equal(t, "/?page=2", p.Prev)
	assert.Empty(t, p.Next)
}

func TestParseTileViewRefuses(t *testing.T) {
	for q, want := range map[string]string{
		"state=bad": `state="bad": expected one of incident, frozen, exhausted, ok`,
		"page=0":    `page="0": expected a page number from 1`,
		"page=x":    `page="x": expected a page number from 1`,
	} {
		v, _ := url.ParseQuery(q)
		_, err := parseTileView(v)
		require.Error(t, err, q)
		assert.Equal(t, want, err.Error(), q)
	}
}

// TestOverviewRendersPager: a fleet over one page shows the summary of
// states with their links and the pager; one page shows no pager.
func TestOverviewRendersPager(t *testing.T) {
	d := &dashboard{pages: parsePages("overview")}
	render := func(n int, v tileView) string {
		shown, p := pageOf(fleetTiles(n), v)
		w := httptest.NewRecorder()
		d.render(w, 200, "overview", overviewPage{Title: "Overview", Tiles: shown, Pager: p})
		require.Equal(t, 200, w.Code)
		return w.Body.String()
	}
	big := render(2756, tileView{State: "ok", Page: 2})
	for _, want := range []string{`data-clusters="2756"`, `data-shown="2147"`, `rel="prev" href="/?state=ok"`,
		`rel="next" href="/?page=3&amp;state=ok"`, `class="state ok chosen"`, `href="/?state=exhausted">358 exhausted`, `showing 201–400 of 2147`} {
		assert.True(t, strings.Contains(big, want), "the page has %s", want) // not Contains: the page is 200 tiles long
	}
	assert.Equal(t, tilesPerPage, strings.Count(big, `<article class="tile ok"`))
	small := render(3, tileView{Page: 1})
	assert.NotContains(t, small, `class="pager"`)
	assert.Equal(t, 3, strings.Count(small, `<article class="tile`))
}

package dashboard

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// trendJSON is the result of the trend operation (GET /v1/trend,
// docs/json.md): the sets and each pass's size of them, null where the
// pass lacks the set.
type trendJSON struct {
	Sets   []string `json:"sets"`
	Passes []struct {
		ID      int64     `json:"id"`
		Created time.Time `json:"created"`
		Sizes   []*uint64 `json:"sizes"`
	} `json:"passes"`
}

// defaultTrendSets are drawn when the page names none, those the newest
// pass has.
var defaultTrendSets = []string{"dead", "repair", "responsive"}

// The plot's geometry in SVG user units: the drawing area is inside the
// margins (the y axis's labels on the left, the pass times below).
const (
	plotW, plotH                       = 640.0, 220.0
	marginL, marginR, marginT, marginB = 56.0, 40.0, 12.0, 44.0
)

// trendsPage is what the trends template shows.
type trendsPage struct {
	Title  string
	Viewer string
	Sets   []string
	Charts []chart
	Rows   []trendRow
	W, H   float64
}

// trendRow is a pass of the table: its cells, "" where the set is absent.
type trendRow struct {
	Pass    int64
	Created string
	Cells   []string
}

// chart is one set's line plot.
type chart struct {
	Set    string
	Points []point
	Line   string // the polyline's points
	YTicks []tick
	XTicks []tick
	// The drawing area's edges, for the axes.
	Left, Right, Top, Bottom float64
}

type point struct {
	X, Y  float64
	Pass  int64
	Value uint64
	Title string
}

type tick struct {
	Pos   float64
	Label string
}

func (d *dashboard) trends(w http.ResponseWriter, r *http.Request) {
	var sets []string
	for _, s := range r.URL.Query()["set"] {
		if s != "" { // the form's empty box
			sets = append(sets, s)
		}
	}
	if len(sets) == 0 {
		var have []struct{ Name string }
		if err := d.run(r, "sets", nil, &have); err != nil {
			d.fail(w, err.Status(), err.Message)
			return
		}
		for _, s := range defaultTrendSets {
			if slices.ContainsFunc(have, func(h struct{ Name string }) bool { return h.Name == s }) {
				sets = append(sets, s)
			}
		}
		if len(sets) == 0 {
			sets = []string{"all"}
		}
	}
	params := url.Values{"sets": sets}
	if last := r.URL.Query().Get("last"); last != "" {
		params.Set("last", last)
	}
	var tr trendJSON
	if err := d.run(r, "trend", params, &tr); err != nil {
		d.fail(w, err.Status(), err.Message)
		return
	}
	d.render(w, http.StatusOK, "trends", buildTrends(viewerOf(r), tr))
}

// buildTrends is the page of a trend: a chart per set, the table.
func buildTrends(viewer string, tr trendJSON) trendsPage {
	page := trendsPage{Title: "Trends", Viewer: viewer, Sets: tr.Sets, W: plotW, H: plotH}
	times := make([]time.Time, len(tr.Passes))
	for i, p := range tr.Passes {
		times[i] = p.Created
		row := trendRow{Pass: p.ID, Created: p.Created.UTC().Format("2006-01-02 15:04:05")}
		for _, n := range p.Sizes {
			row.Cells = append(row.Cells, cell(n))
		}
		page.Rows = append(page.Rows, row)
	}
	for si, set := range tr.Sets {
		values := make([]*uint64, len(tr.Passes))
		ids := make([]int64, len(tr.Passes))
		for i, p := range tr.Passes {
			if si < len(p.Sizes) {
				values[i] = p.Sizes[si]
			}
			ids[i] = p.ID
		}
		page.Charts = append(page.Charts, plot(set, ids, times, values))
	}
	return page
}

func cell(n *uint64) string {
	if n == nil {
		return ""
	}
	return strconv.FormatUint(*n, 10)
}

// plot scales one set's sizes into the drawing area: x by the pass's
// time (passes at one instant share the middle), y from 0 to the nice
// top of the largest size. A pass without the set has no point.
func plot(set string, ids []int64, times []time.Time, values []*uint64) chart {
	c := chart{Set: set, Left: marginL, Right: plotW - marginR, Top: marginT, Bottom: plotH - marginB}
	var top uint64
	for _, v := range values {
		if v != nil && *v > top {
			top = *v
		}
	}
	step, ymax := niceAxis(top)
	for v := uint64(0); v <= ymax; v += step {
		c.YTicks = append(c.YTicks, tick{Pos: c.y(v, ymax), Label: strconv.FormatUint(v, 10)})
	}
	for i, t := range times {
		x := c.x(t, times)
		c.XTicks = append(c.XTicks, tick{Pos: x, Label: t.UTC().Format("01-02 15:04")})
		if values[i] == nil {
			continue
		}
		p := point{X: x, Y: c.y(*values[i], ymax), Pass: ids[i], Value: *values[i]}
		p.Title = fmt.Sprintf("pass %d, %s: %s %d", ids[i], t.UTC().Format("2006-01-02 15:04:05 UTC"), set, *values[i])
		c.Points = append(c.Points, p)
		if c.Line != "" {
			c.Line += " "
		}
		c.Line += fmt.Sprintf("%.1f,%.1f", p.X, p.Y)
	}
	return c
}

// x is t's position between the first and the last pass's time.
func (c chart) x(t time.Time, times []time.Time) float64 {
	first, last := times[0], times[len(times)-1]
	span := last.Sub(first)
	if span <= 0 {
		return (c.Left + c.Right) / 2
	}
	return c.Left + (c.Right-c.Left)*float64(t.Sub(first))/float64(span)
}

// y is v's height: 0 on the x axis, ymax at the top.
func (c chart) y(v, ymax uint64) float64 {
	return c.Bottom - (c.Bottom-c.Top)*float64(v)/float64(ymax)
}

// niceAxis is a tick step of 1, 2 or 5 times a power of ten giving at
// most 5 steps, and the axis's top (a multiple of the step, at least
// max, at least one step).
func niceAxis(max uint64) (step, top uint64) {
	raw := float64(max) / 5
	if raw < 1 {
		raw = 1
	}
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*pow >= raw {
			step = uint64(m * pow)
			break
		}
	}
	top = (max + step - 1) / step * step
	if top == 0 {
		top = step
	}
	return step, top
}

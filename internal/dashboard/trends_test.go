package dashboard

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sizes(v ...int) []*uint64 {
	out := make([]*uint64, len(v))
	for i, n := range v {
		if n >= 0 {
			u := uint64(n)
			out[i] = &u
		}
	}
	return out
}

// TestPlotScaling: x follows the passes' times (the first on the left
// edge, the last on the right, one in between at its share of the span),
// y puts 0 on the x axis and the axis's top at the top edge, the ticks
// are steps of 1, 2 or 5 times a power of ten, and a pass without the set
// has no point.
func TestPlotScaling(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	times := []time.Time{t0, t0.Add(time.Hour), t0.Add(4 * time.Hour)}
	c := plot("dead", []int64{1, 2, 3}, times, sizes(0, -1, 20))
	require.Len(t, c.Points, 2, "the pass without the set has no point")
	assert.Equal(t, []int64{1, 3}, []int64{c.Points[0].Pass, c.Points[1].Pass})
	assert.InDelta(t, c.Left, c.Points[0].X, 1e-9)
	assert.InDelta(t, c.Right, c.Points[1].X, 1e-9)
	assert.InDelta(t, c.Bottom, c.Points[0].Y, 1e-9, "0 is on the x axis")
	assert.InDelta(t, c.Top, c.Points[1].Y, 1e-9, "20 is the axis's top")
	require.Len(t, c.XTicks, 3, "every pass's time labels the x axis")
	assert.InDelta(t, c.Left+(c.Right-c.Left)/4, c.XTicks[1].Pos, 1e-9, "an hour of four is a quarter of the way")
	assert.Equal(t, "12-02 11:00", c.XTicks[1].Label)
	var labels []string
	for _, tk := range c.YTicks {
		labels = append(labels, tk.Label)
	}
	assert.Equal(t, []string{"0", "5", "10", "15", "20"}, labels)
	assert.Contains(t, c.Points[1].Title, "pass 3, 2026-12-02 14:00:00 UTC: dead 20")
	assert.Equal(t, "56.0,176.0 600.0,12.0", c.Line)

	one := plot("dead", []int64{7}, times[:1], sizes(0))
	assert.InDelta(t, (one.Left+one.Right)/2, one.Points[0].X, 1e-9, "a single pass is in the middle")
	assert.Equal(t, one.Bottom, one.Points[0].Y)
	assert.Len(t, one.YTicks, 2, "an all-zero set still has an axis: 0 and 1")

	for _, c := range []struct{ max, step, top uint64 }{{0, 1, 1}, {3, 1, 3}, {7, 2, 8}, {23, 5, 25}, {434, 100, 500}, {1000, 200, 1000}, {1001, 500, 1500}} {
		step, top := niceAxis(c.max)
		assert.Equal(t, [2]uint64{c.step, c.top}, [2]uint64{step, top}, "niceAxis(%d)", c.max)
	}
}

// TestTrendsRender: the page has a chart per set with a circle and a
// <title> per point, and the table's cells, empty where a pass lacks
// the set.
func TestTrendsRender(t *testing.T) {
	d := &dashboard{pages: parsePages("trends")}
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	tr := trendJSON{Sets: []string{"dead", "repair"}}
	for i, s := range [][]*uint64{sizes(3, -1), sizes(5, 2)} {
		tr.Passes = append(tr.Passes, struct {
			ID      int64     `json:"id"`
			Created time.Time `json:"created"`
			Sizes   []*uint64 `json:"sizes"`
		}{int64(i + 1), t0.Add(time.Duration(i) * time.Hour), s})
	}
	w := httptest.NewRecorder()
	d.render(w, 200, "trends", buildTrends("v", tr))
	require.Equal(t, 200, w.Code, w.Body.String())
	body := w.Body.String()
	assert.Equal(t, 3, strings.Count(body, `<circle class="point"`))
	assert.Equal(t, 3, strings.Count(body, "<title>pass "))
	assert.Contains(t, body, `<tr data-pass="1"><td class="num">1</td><td>2026-12-02 10:00:00</td><td class="num">3</td><td class="num"></td></tr>`)
	assert.NotContains(t, body, "<script")
	// the set boxes are apart, as the empty one is from the last of them
	assert.Regexp(t, `value="dead">\s+<input type="text" name="set" value="repair">\s+<input type="text" name="set" id="set"`, body)
}

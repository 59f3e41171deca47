package dashboard

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"testing"
)

// benchHeadroom is headroom's JSON of a fleet like make bench's at
// 1,000,000 hosts: 2,756 clusters, six verbs each.
func benchHeadroom(b *testing.B) []byte {
	b.Helper()
	type cause struct {
		Name  string `json:"name"`
		Hosts int    `json:"hosts"`
	}
	type line struct {
		Verb, Cluster, Archetype string
		Budgeted                 bool
		Size                     int
		Arith                    map[string]int
		Causes                   []cause
		Unavailable, Leased      int
		Stuck, Cap, Headroom     int
	}
	var lines []line
	for _, v := range []string{"drain", "undrain", "reboot", "rekick", "burnin", "firmware"} {
		for c := range 2756 {
			lines = append(lines, line{Verb: v, Cluster: fmt.Sprintf("dc%d-cluster-%04d", c%7, c), Archetype: "default", Budgeted: v != "undrain",
				Size: 363, Arith: map[string]int{"pct": 3, "size": 363, "raw": 10, "floor": 1, "ceiling": 100, "max": -1, "cap": 10},
				Causes: []cause{{"dead", c % 9}, {"repair", c % 5}}, Unavailable: c%9 + c%5, Cap: 10, Headroom: 10 - c%9 - c%5})
		}
	}
	out, err := json.Marshal(map[string]any{"pass": 5, "clusters": lines})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkOverviewTiles is the overview's work past the operations at
// the bench fleet's size: decode headroom's JSON, make the tiles, render.
func BenchmarkOverviewTiles(b *testing.B) {
	raw := benchHeadroom(b)
	d := &dashboard{pages: parsePages("overview")}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		var hr headroomJSON
		if err := json.Unmarshal(raw, &hr); err != nil {
			b.Fatal(err)
		}
		w := httptest.NewRecorder()
		d.render(w, 200, "overview", overviewPage{Title: "Overview", Pass: hr.Pass, Tiles: tiles(hr, nil, false)})
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
		_, _ = io.Copy(io.Discard, w.Body)
	}
}

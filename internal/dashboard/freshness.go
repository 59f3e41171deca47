package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/fleetq/fleetq/internal/server"
)

// freshnessJSON is what the check-freshness operation returns
// (GET /v1/check/freshness, fleetq check freshness): the newest pass and
// each of its sources judged by age against the policy's evidence ages,
// the rule the action verbs refuse stale evidence by.
type freshnessJSON struct {
	Pass    int64         `json:"pass"`
	Created freshnessLine `json:"created"`
	Sources []freshnessLine
}

type freshnessLine struct {
	Kind, Name string
	AgeSec     int64  `json:"age_seconds"`
	MaxAge     string `json:"max_age"`
	Stale      bool   `json:"stale"`
	// ReadFailed is why fleetq collect could not read the source for
	// this pass (it was carried from an earlier one), "" when it was read.
	ReadFailed  string `json:"read_failed"`
	CarriedFrom int64  `json:"carried_from"`
}

// markStale runs check-freshness and marks the page's pass and sources
// with its verdicts. A stale input is the operation's 422 check_failed,
// whose result is the same report: it is read, not failed on. A report
// of another pass (one ingested in between) marks nothing: the page
// refreshes itself to the newer pass.
func (d *dashboard) markStale(r *http.Request, page *overviewPage) *server.Error {
	res := d.mux.Run(r, "check-freshness", nil)
	if res.Err != nil && res.Err.Kind != server.KindCheckFailed {
		e := *res.Err
		e.Message = "check-freshness: " + e.Message
		return &e
	}
	var f freshnessJSON
	if err := json.Unmarshal(res.Stdout, &f); err != nil {
		return &server.Error{Kind: server.KindInternal, Message: fmt.Sprintf("check-freshness: its JSON: %v", err)}
	}
	if f.Pass != page.Pass {
		return nil
	}
	page.PassStale, page.PassMax = f.Created.Stale, f.Created.MaxAge
	page.PassAge = time.Duration(f.Created.AgeSec) * time.Second
	by := map[string]freshnessLine{}
	for _, s := range f.Sources {
		by[s.Kind+":"+s.Name] = s
	}
	for i := range page.Sources {
		s := &page.Sources[i]
		if v, ok := by[s.Kind+":"+s.Name]; ok {
			s.Stale, s.MaxAge, s.Age = v.Stale, v.MaxAge, time.Duration(v.AgeSec)*time.Second
			s.ReadFailed, s.CarriedFrom = v.ReadFailed, v.CarriedFrom
		}
	}
	return nil
}

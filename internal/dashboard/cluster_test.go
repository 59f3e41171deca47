package dashboard

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClusterPageRenders executes the cluster page's template with its
// shapes (without chromium): the arithmetic by cause, a table of racks,
// a missing attribute's message, the denials by rule.
func TestClusterPageRenders(t *testing.T) {
	d := &dashboard{pages: parsePages("error")}
	d.clusterPage()
	hr := headroomJSON{Pass: 2, Clusters: []headroomLine{{Verb: "drain", Cluster: "c1", Budgeted: true, Cap: 24, Headroom: 2, Unavailable: 22,
		Causes: []struct {
			Name  string
			Hosts int
		}{{"dead", 9}, {"leased", 13}}}}}
	page := clusterPage{Title: "c1", Viewer: "v", Cluster: "c1", Pass: 2, Verbs: clusterVerbs(hr, policyShowJSON{}),
		Racks:  groupTable{Attr: "rack", Rows: []groupRow{{Value: "r1", Hosts: 20, Leased: 1}}},
		Groups: groupTable{Attr: "replica_group", Error: `no attribute "replica_group" in pass 2`},
		Decisions: clusterDecisions([]auditDecisionJSON{
			{auditRow: auditRow{ID: 1, Kind: "decision"}, Decision: nil},
			{auditRow: auditRow{ID: 2, Kind: "decision"}, Decision: &decisionJSON{Clusters: []decisionCluster{{Cluster: "c1", Requested: 3}},
				Denied: []deniedJSON{{"c1", "budget:cluster"}, {"c2", "freeze"}, {"c1", "budget:cluster"}}}},
			{auditRow: auditRow{ID: 3, Kind: "decision"}, Decision: &decisionJSON{Clusters: []decisionCluster{{Cluster: "c2"}}}},
		}, "c1")}
	require.Len(t, page.Decisions, 1, "only the decisions touching c1")
	assert.Equal(t, []ruleCount{{"budget:cluster", 2}}, page.Decisions[0].Denials)
	w := httptest.NewRecorder()
	d.render(w, 200, "cluster", page)
	require.Equal(t, 200, w.Code, "%s", w.Body)
	for _, s := range []string{`22 = dead 9 &#43; leased 13`, `<td class="num cap">24</td>`, `<td>r1</td><td class="num">20</td>`,
		`no attribute &#34;replica_group&#34; in pass 2`, `budget:cluster 2`, `id="limits-none"`, `id="leases-none"`} {
		assert.Contains(t, w.Body.String(), s)
	}
}

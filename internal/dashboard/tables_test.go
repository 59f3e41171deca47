package dashboard

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLeaseFilter: an empty field matches every lease; the fields AND.
func TestLeaseFilter(t *testing.T) {
	l := leaseRow{Host: "h1", Cluster: "c1", Verb: "drain", Requester: "ann", State: "active"}
	assert.True(t, leaseFilter{}.match(l))
	assert.True(t, leaseFilter{Cluster: "c1", Requester: "ann"}.match(l))
	assert.False(t, leaseFilter{Cluster: "c1", Verb: "reboot"}.match(l))
	assert.False(t, leaseFilter{State: "stuck"}.match(l))
}

// TestChoices: distinct, sorted, no empty value, the chosen one kept.
func TestChoices(t *testing.T) {
	assert.Equal(t, []string{"a", "b"}, choices([]string{"b", "", "a", "b"}, ""))
	assert.Equal(t, []string{"a", "zed"}, choices([]string{"a"}, "zed"))
	assert.Empty(t, choices(nil, ""))
}

// TestTablesRender executes the leases and audit templates with the
// shapes they show: rows, a chosen filter, an empty table, an error.
func TestTablesRender(t *testing.T) {
	d := &dashboard{pages: parsePages("leases", "audit")}
	for _, c := range []struct {
		page string
		data any
		want []string
	}{
		{"leases", leasesPage{Title: "Leases", Viewer: "v", Filter: leaseFilter{Requester: "ann"}, Requesters: []string{"ann", "bob"}, Total: 2,
			Leases: []leaseRow{{Host: "h1", Cluster: "c1", Verb: "drain", Requester: "ann", State: "stuck", Audit: 7}}},
			[]string{`<option selected>ann</option>`, `<option>bob</option>`, `data-host="h1" data-state="stuck"`, `href="/audit#e7"`, `<span id="count">1</span> of <span id="total">2</span>`}},
		{"leases", leasesPage{Title: "Leases", Viewer: "v", Filter: leaseFilter{All: true}}, []string{`id="f-all" checked`, `<span id="count">0</span>`}},
		{"audit", auditPage{Title: "Audit", Viewer: "v", Kinds: auditKinds, Kind: "freeze", Total: 3,
			Entries: []auditRow{{ID: 4, Kind: "freeze", Requester: "root", Expr: `cluster = "x"`, Committed: true}}},
			[]string{`id="e4" data-id="4" data-kind="freeze"`, `value="freeze"`, `<code>cluster = &#34;x&#34;</code>`, `<td>yes</td>`}},
		{"audit", auditPage{Title: "Audit", Viewer: "v", Total: 1, Entries: []auditRow{{ID: 9, Kind: "refused", Requester: "127.0.0.1",
			Refusal: &refusal{Op: "GET /", Kind: "unauthenticated", Remote: "127.0.0.1", Count: 2, Message: "no credentials"}}}},
			[]string{`refused unauthenticated ×<span class="count">2</span>`, `<span class="refusal">GET / from 127.0.0.1: no credentials</span>`}},
		{"audit", auditPage{Title: "Audit", Viewer: "v", Since: "yesterday", Error: `--since "yesterday": expected a duration`},
			[]string{`id="audit-error"`, `value="yesterday"`}},
	} {
		w := httptest.NewRecorder()
		d.render(w, 200, c.page, c.data)
		require.Equal(t, 200, w.Code, "%s: %s", c.page, w.Body)
		for _, s := range c.want {
			assert.Contains(t, w.Body.String(), s, c.page)
		}
	}
}

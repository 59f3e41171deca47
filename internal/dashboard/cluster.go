package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/server"
)

// lastDecisions is how many of the newest decisions touching the
// cluster its page lists.
const lastDecisions = 10

// The JSON of the operations the cluster page reads beyond the
// overview's (docs/json.md): only the fields it shows.
type (
	// policyShowJSON is fleetq policy show CLUSTER.
	policyShowJSON struct {
		Policy        string `json:"policy"`
		Archetype     string `json:"archetype"`
		ArchetypeFrom string `json:"archetype_from"`
		Verbs         []struct {
			Verb, Budget string
			BudgetFrom   string `json:"budget_from"`
			Lease, Rate  string
			Cooldown     string
		} `json:"verbs"`
		Settings []policySetting `json:"settings"`
	}
	// decisionCluster is one cluster's arithmetic in a decision.
	decisionCluster struct {
		Cluster             string
		Requested, Approved int
		Headroom            int
	}
	policySetting struct {
		Layer, Key, Value, Where string
	}
	// auditDecisionJSON is an audit entry (the audit table's row) with the
	// decision it recorded.
	auditDecisionJSON struct {
		auditRow
		Decision *decisionJSON `json:"decision"`
	}
	// decisionJSON is the part of a recorded decision the page shows.
	decisionJSON struct {
		Denied   []deniedJSON      `json:"denied"`
		Clusters []decisionCluster `json:"clusters"`
	}
	deniedJSON struct {
		Cluster, Rule string
	}
)

// clusterPage is what the cluster template shows.
type clusterPage struct {
	Title, Viewer string
	Cluster       string
	Pass          int64
	Archetype     string
	ArchetypeFrom string
	Size          int
	Frozen        string
	Policy        string
	// Verbs is the budget arithmetic per verb, as fleetq headroom and
	// fleetq policy show print it.
	Verbs []clusterVerb
	// Limits are the policy's keys over racks, replica groups and other
	// attributes that apply to the cluster.
	Limits []policySetting
	Racks  groupTable
	Groups groupTable
	Leases []leaseJSON
	// Decisions are the newest decisions touching the cluster, newest
	// first.
	Decisions []clusterDecision
}

type clusterVerb struct {
	verbLine
	// Budget is the cap's arithmetic (6% of 412 = 24 (floor 1, ceiling
	// 200)), BudgetFrom where the policy writes it.
	Budget, BudgetFrom string
	Causes             []cause
	Unavailable        int
	Frozen             string
}

type cause struct {
	Name  string
	Hosts int
}

// groupTable is the cluster's hosts by the values of one attribute
// (rack, replica group), with the leases held in each.
type groupTable struct {
	Attr string
	// Error says why there is no table (the pass lacks the attribute).
	Error string
	Rows  []groupRow
}

type groupRow struct {
	Value         string
	Hosts, Leased int
}

type clusterDecision struct {
	ID                  int64
	Time                time.Time
	Kind, Verb, Expr    string
	Requester, Reason   string
	Requested, Approved int
	Headroom            int
	// Denials are this cluster's denied hosts counted by rule.
	Denials []ruleCount
}

type ruleCount struct {
	Rule  string
	Hosts int
}

// clusterPage parses the cluster page's template and is its handler:
// /clusters/NAME.
func (d *dashboard) clusterPage() http.Handler {
	d.pages["cluster"] = parsePages("cluster")["cluster"]
	return http.HandlerFunc(d.cluster)
}

// cluster serves /clusters/NAME: the budget arithmetic of every verb by
// cause, the limits over racks and replica groups with the cluster's
// racks and groups, its leases, and the newest decisions touching it
// with their denials by rule. An unknown cluster is a 404 that says so.
func (d *dashboard) cluster(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var hr headroomJSON
	if err := d.run(r, "headroom", url.Values{"cluster": {name}}, &hr); err != nil {
		status := err.Status()
		if err.Kind == server.KindFailed && strings.Contains(err.Message, "no cluster") {
			status = http.StatusNotFound
		}
		d.fail(w, status, err.Message)
		return
	}
	var (
		pol    policyShowJSON
		leases []leaseJSON
		audit  []auditDecisionJSON
	)
	for _, q := range []struct {
		op     string
		params url.Values
		v      any
	}{
		{"policy-show", url.Values{"name": {name}}, &pol},
		{"leases", nil, &leases},
		{"audit", url.Values{"kind": {"decision,commit,apply"}}, &audit},
	} {
		if err := d.run(r, q.op, q.params, q.v); err != nil {
			d.fail(w, err.Status(), err.Message)
			return
		}
	}
	page := clusterPage{Title: name, Viewer: viewerOf(r), Cluster: name, Pass: hr.Pass, Policy: pol.Policy,
		Archetype: pol.Archetype, ArchetypeFrom: pol.ArchetypeFrom}
	page.Verbs = clusterVerbs(hr, pol)
	if len(hr.Clusters) > 0 {
		page.Size, page.Frozen = hr.Clusters[0].Size, hr.Clusters[0].Frozen
	}
	page.Limits = limitSettings(pol.Settings)
	for _, l := range leases {
		if l.Cluster == name {
			page.Leases = append(page.Leases, l)
		}
	}
	page.Decisions = clusterDecisions(audit, name)
	clusterAttr := settingOr(pol.Settings, "cluster_attr", "cluster")
	page.Racks = d.groupBy(r, clusterAttr, name, settingOr(pol.Settings, "rack_attr", "rack"), page.Leases)
	page.Groups = d.groupBy(r, clusterAttr, name, settingOr(pol.Settings, "replica_group_attr", "replica_group"), page.Leases)
	d.render(w, http.StatusOK, "cluster", page)
}

// clusterVerbs are the headroom lines of the cluster with each verb's
// budget as fleetq policy show prints it.
func clusterVerbs(hr headroomJSON, pol policyShowJSON) []clusterVerb {
	out := make([]clusterVerb, 0, len(hr.Clusters))
	for _, l := range hr.Clusters {
		v := clusterVerb{verbLine: verbLine{Verb: l.Verb, Budgeted: l.Budgeted, Out: outText(l), Cap: l.Cap, Headroom: l.Headroom},
			Unavailable: l.Unavailable, Frozen: l.Frozen}
		for _, c := range l.Causes {
			v.Causes = append(v.Causes, cause{Name: c.Name, Hosts: c.Hosts})
		}
		for _, pv := range pol.Verbs {
			if pv.Verb == l.Verb {
				v.Budget, v.BudgetFrom = pv.Budget, pv.BudgetFrom
			}
		}
		out = append(out, v)
	}
	return out
}

// limitSettings are the policy keys that bound racks, replica groups and
// other attributes' values (limits.per_rack, limits.per_group,
// [[limits.per]], max_replica_groups), and the attributes they read.
func limitSettings(settings []policySetting) []policySetting {
	var out []policySetting
	for _, s := range settings {
		k := s.Key
		if strings.Contains(k, "per_rack") || strings.Contains(k, "per_group") || strings.Contains(k, "limits.per") ||
			strings.Contains(k, "replica_group") || k == "rack_attr" {
			out = append(out, s)
		}
	}
	return out
}

// settingOr is the string value of a top-level key the policy sets, else
// def.
func settingOr(settings []policySetting, key, def string) string {
	for _, s := range settings {
		if s.Key == key {
			if v, err := strconv.Unquote(s.Value); err == nil {
				return v
			}
		}
	}
	return def
}

// groupBy counts the cluster's hosts by attr (through the query
// operation, as GET /v1/query answers) and the leases held in each
// value. A pass without attr is the table's error, not the page's.
func (d *dashboard) groupBy(r *http.Request, clusterAttr, cluster, attr string, leases []leaseJSON) groupTable {
	t := groupTable{Attr: attr}
	var q queryJSON
	expr := fmt.Sprintf("%s = %s | show %s", clusterAttr, strconv.Quote(cluster), attr)
	if err := d.run(r, "query", url.Values{"expr": {expr}}, &q); err != nil {
		t.Error = strings.TrimPrefix(err.Message, "query: ")
		return t
	}
	leased := map[string]bool{}
	for _, l := range leases {
		leased[l.Host] = true
	}
	at := map[string]int{}
	for _, row := range q.Rows {
		v := row[attr]
		i, ok := at[v]
		if !ok {
			i = len(t.Rows)
			at[v] = i
			t.Rows = append(t.Rows, groupRow{Value: v})
		}
		t.Rows[i].Hosts++
		if leased[row["host"]] {
			t.Rows[i].Leased++
		}
	}
	slices.SortFunc(t.Rows, func(a, b groupRow) int { return strings.Compare(a.Value, b.Value) })
	return t
}

// clusterDecisions are the newest decisions whose arithmetic covers
// cluster, newest first, with the cluster's denials counted by rule.
func clusterDecisions(audit []auditDecisionJSON, cluster string) []clusterDecision {
	var out []clusterDecision
	for i := len(audit) - 1; i >= 0 && len(out) < lastDecisions; i-- {
		e := audit[i]
		if e.Decision == nil {
			continue
		}
		k := slices.IndexFunc(e.Decision.Clusters, func(c decisionCluster) bool { return c.Cluster == cluster })
		if k < 0 {
			continue
		}
		c := e.Decision.Clusters[k]
		dec := clusterDecision{ID: e.ID, Time: e.Time, Kind: e.Kind, Verb: e.Verb, Expr: e.Expr, Requester: e.Requester,
			Reason: e.Reason, Requested: c.Requested, Approved: c.Approved, Headroom: c.Headroom}
		byRule := map[string]int{}
		for _, dn := range e.Decision.Denied {
			if dn.Cluster == cluster {
				if _, seen := byRule[dn.Rule]; !seen {
					dec.Denials = append(dec.Denials, ruleCount{Rule: dn.Rule})
				}
				byRule[dn.Rule]++
			}
		}
		for j := range dec.Denials {
			dec.Denials[j].Hosts = byRule[dec.Denials[j].Rule]
		}
		out = append(out, dec)
	}
	return out
}

package metrics

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/actions"
)

func outcome(verb string, committed bool, approved []string, denied []actions.Denial, clusters ...actions.ClusterReport) *actions.Outcome {
	return &actions.Outcome{Committed: committed, Decision: &actions.Decision{Request: actions.Request{Verb: verb},
		Requested: len(approved) + len(denied), Approved: approved, Denied: denied, Clusters: clusters}}
}

// TestObserveOutcome: a decision counts once under its result, its hosts
// per cluster and rule; a what-if decision is not counted.
func TestObserveOutcome(t *testing.T) {
	m := New(func() (*State, error) { return &State{}, nil })
	m.ObserveOutcome(outcome("drain", true, []string{"a", "b"}, []actions.Denial{
		{Host: "c", Cluster: "c1", Rule: "budget:cluster", Transient: true},
		{Host: "d", Cluster: "c1", Rule: "budget:cluster", Transient: true},
		{Host: "e", Cluster: "c2", Rule: "invariant:freeze"},
	}, actions.ClusterReport{Cluster: "c1", Approved: 2}, actions.ClusterReport{Cluster: "c2"}))
	m.ObserveOutcome(outcome("drain", false, nil, []actions.Denial{{Host: "c", Cluster: "c1", Rule: "budget:cluster", Transient: true}}))
	m.ObserveOutcome(outcome("reboot", false, nil, nil))
	what := outcome("drain", false, []string{"a"}, nil, actions.ClusterReport{Cluster: "c1", Approved: 1})
	what.WhatIf = true
	m.ObserveOutcome(what)

	assert.Equal(t, 1.0, testutil.ToFloat64(m.decisions.WithLabelValues("drain", "true", "approved")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.decisions.WithLabelValues("drain", "false", "transient")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.decisions.WithLabelValues("reboot", "false", "empty")))
	assert.Equal(t, 2.0, testutil.ToFloat64(m.hosts.WithLabelValues("drain", "c1", "true", "", "approved")))
	assert.Equal(t, 2.0, testutil.ToFloat64(m.hosts.WithLabelValues("drain", "c1", "true", "budget:cluster", "denied")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.hosts.WithLabelValues("drain", "c2", "true", "invariant:freeze", "denied")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.hosts.WithLabelValues("drain", "c1", "false", "budget:cluster", "denied")))
	assert.Equal(t, 4, testutil.CollectAndCount(m.hosts), "no series for the what-if decision")
}

// TestStateCollector: the gauges as the state says; a state that cannot
// be read is fleetq_state_up 0 and nothing else.
func TestStateCollector(t *testing.T) {
	st := &State{Pass: 3, PassAge: 90 * time.Second, Sources: []SourceAge{{"inventory:inventory", time.Minute}},
		Leases: []actions.LeaseView{{State: "active"}, {State: "active"}, {State: "stuck"}, {State: "expired"}},
		Headroom: &actions.HeadroomReport{Clusters: []actions.ClusterHeadroom{
			{Verb: "drain", Cluster: "c1", Budgeted: true, Size: 100, Cap: 6, Headroom: 2, Causes: []actions.Cause{{Name: "dead", Hosts: 3}, {Name: "leased", Hosts: 1}}},
			{Verb: "reboot", Cluster: "c1", Budgeted: false, Size: 100, Causes: []actions.Cause{{Name: "dead", Hosts: 3}, {Name: "leased", Hosts: 1}}},
		}}}
	var err error
	c := &stateCollector{read: func() (*State, error) { return st, err }}
	want := `
# HELP fleetq_headroom_hosts Hosts a verb may still take out in a cluster now (cap − unavailable − leased − stuck; ≤ 0 approves nothing), for each budgeted cluster and verb: what fleetq headroom prints.
# TYPE fleetq_headroom_hosts gauge
fleetq_headroom_hosts{cluster="c1",verb="drain"} 2
# HELP fleetq_leases Leases by state: active, stuck (expired, the host not back: still out), ghost (the host left the fleet); expired ones whose hosts recovered are not counted.
# TYPE fleetq_leases gauge
fleetq_leases{state="active"} 2
fleetq_leases{state="ghost"} 0
fleetq_leases{state="stuck"} 1
# HELP fleetq_unavailable_hosts Hosts of a cluster already out, by cause (the policy's unavailable causes, control-plane states, leased, stuck).
# TYPE fleetq_unavailable_hosts gauge
fleetq_unavailable_hosts{cause="dead",cluster="c1"} 3
fleetq_unavailable_hosts{cause="leased",cluster="c1"} 1
# HELP fleetq_pass_age_seconds Age of the newest pass.
# TYPE fleetq_pass_age_seconds gauge
fleetq_pass_age_seconds 90
`
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(want),
		"fleetq_headroom_hosts", "fleetq_leases", "fleetq_unavailable_hosts", "fleetq_pass_age_seconds"))

	err = errors.New("locked")
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(`
# HELP fleetq_state_up 1 when this scrape read the database (and the policy); 0 when it could not, and the other fleetq_ gauges are left out.
# TYPE fleetq_state_up gauge
fleetq_state_up 0
`)))
}

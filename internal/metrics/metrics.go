// Package metrics is what fleetq serve exports at /metrics in the
// Prometheus text format, on a registry of its own (never the global
// one):
//
//   - counters of decisions and of the hosts they approved and denied, by
//     verb, cluster, rule and result, fed with each decision's
//     actions.Outcome as the server's executor returns it;
//   - a histogram of request latency by route and status class, fed by
//     the HTTP layer (server.Config.ObserveHTTP), and a counter of the
//     requests it refused before any command ran, by operation and kind;
//   - gauges read at scrape time from one short read transaction of the
//     database (a State the command reads): headroom per cluster and
//     verb, leases by state, the age of the newest pass and its sources.
//
// Labels are bounded: verbs, clusters, rules and routes come from the
// policy, the fleet and the API table; no label holds a host, a
// principal or an expression.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fleetq/fleetq/internal/actions"
)

// State is what the gauges say, read at scrape time in one read
// transaction.
type State struct {
	// Headroom is every cluster's budget for every verb; nil when the
	// server has no policy to compute it with.
	Headroom *actions.HeadroomReport
	Leases   []actions.LeaseView
	Pass     int64
	PassAge  time.Duration
	// Sources are the newest pass's sources ("kind:name") and their ages.
	Sources []SourceAge
}

// SourceAge is one source of the newest pass and how old its reading is.
type SourceAge struct {
	Source string
	Age    time.Duration
}

// Metrics is the registry and the instruments fed while serving.
type Metrics struct {
	reg       *prometheus.Registry
	decisions *prometheus.CounterVec
	hosts     *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	refusals  *prometheus.CounterVec
}

// New builds the registry: the counters and the histogram, the state
// collector over read, and the Go runtime's and the process's collectors.
// read is called once per scrape; an error is reported as
// fleetq_state_up 0 (and the gauges it would have given are left out).
func New(read func() (*State, error)) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fleetq_decisions_total",
			Help: "Decisions made through the server, by verb, whether they were committed, and result: approved (at least one host), transient or permanent (nothing approved, blocked by a budget or by a freeze/invariant), empty (no host selected), refused (over max_request).",
		}, []string{"verb", "committed", "result"}),
		hosts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fleetq_decision_hosts_total",
			Help: "Hosts of the decisions made through the server, by verb, cluster, whether committed, rule (empty for approved) and result (approved or denied).",
		}, []string{"verb", "cluster", "committed", "rule", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fleetq_http_request_duration_seconds",
			Help:    "Latency of HTTP requests, by route (the pattern that served them, or other) and status class (2xx, 4xx, 5xx).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "code"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fleetq_http_refusals_total",
			Help: "Requests refused before a command ran, by operation and error kind (unauthenticated, forbidden, too_large, rate_limited, bad_request).",
		}, []string{"op", "kind"}),
	}
	m.reg.MustRegister(m.decisions, m.hosts, m.latency, m.refusals, &stateCollector{read: read},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry /metrics serves (for tests).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError})
}

// ObserveHTTP counts one request's latency under its route and status
// class.
func (m *Metrics) ObserveHTTP(route string, status int, d time.Duration) {
	m.latency.WithLabelValues(route, statusClass(status)).Observe(d.Seconds())
}

// ObserveRefusal counts a request refused before a command ran.
func (m *Metrics) ObserveRefusal(op, kind string) { m.refusals.WithLabelValues(op, kind).Inc() }

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// ObserveOutcome counts one decision (a verb's dry run or commit, or an
// apply that committed a plan) and its hosts. A what-if decision, which
// records nothing, is not counted.
func (m *Metrics) ObserveOutcome(out *actions.Outcome) {
	if out == nil || out.Decision == nil || out.WhatIf {
		return
	}
	d, committed := out.Decision, strconv.FormatBool(out.Committed)
	m.decisions.WithLabelValues(d.Verb, committed, decisionResult(d)).Inc()
	for _, c := range d.Clusters {
		if c.Approved > 0 {
			m.hosts.WithLabelValues(d.Verb, c.Cluster, committed, "", "approved").Add(float64(c.Approved))
		}
	}
	type key struct{ cluster, rule string }
	denied := map[key]int{}
	for _, x := range d.Denied {
		denied[key{x.Cluster, x.Rule}]++
	}
	for k, n := range denied {
		m.hosts.WithLabelValues(d.Verb, k.cluster, committed, k.rule, "denied").Add(float64(n))
	}
}

// decisionResult is the result label of a decision.
func decisionResult(d *actions.Decision) string {
	switch {
	case d.Refused != "":
		return "refused"
	case d.Requested == 0:
		return "empty"
	case len(d.Approved) > 0:
		return "approved"
	}
	return d.Blocked()
}

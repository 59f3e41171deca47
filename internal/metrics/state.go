package metrics

import "github.com/prometheus/client_golang/prometheus"

// The gauges the state collector computes at scrape time.
var (
	stateUpDesc = prometheus.NewDesc("fleetq_state_up",
		"1 when this scrape read the database (and the policy); 0 when it could not, and the other fleetq_ gauges are left out.", nil, nil)
	headroomDesc = prometheus.NewDesc("fleetq_headroom_hosts",
		"Hosts a verb may still take out in a cluster now (cap − unavailable − leased − stuck; ≤ 0 approves nothing), for each budgeted cluster and verb: what fleetq headroom prints.",
		[]string{"cluster", "verb"}, nil)
	capDesc = prometheus.NewDesc("fleetq_budget_cap_hosts",
		"A verb's budget cap in a cluster (hosts that may be out at once), for each budgeted cluster and verb.",
		[]string{"cluster", "verb"}, nil)
	unavailableDesc = prometheus.NewDesc("fleetq_unavailable_hosts",
		"Hosts of a cluster already out, by cause (the policy's unavailable causes, control-plane states, leased, stuck).",
		[]string{"cluster", "cause"}, nil)
	clusterSizeDesc = prometheus.NewDesc("fleetq_cluster_hosts",
		"Hosts of a cluster in the newest pass.", []string{"cluster"}, nil)
	leasesDesc = prometheus.NewDesc("fleetq_leases",
		"Leases by state: active, stuck (expired, the host not back: still out), ghost (the host left the fleet); expired ones whose hosts recovered are not counted.",
		[]string{"state"}, nil)
	passDesc = prometheus.NewDesc("fleetq_pass",
		"The newest pass's id.", nil, nil)
	passAgeDesc = prometheus.NewDesc("fleetq_pass_age_seconds",
		"Age of the newest pass.", nil, nil)
	sourceAgeDesc = prometheus.NewDesc("fleetq_source_age_seconds",
		"Age of each source reading the newest pass holds (kind:name), carried ones included.", []string{"source"}, nil)
)

// leaseStates are the states fleetq_leases always reports, 0 included,
// so an alert on stuck leases has a series to read.
var leaseStates = []string{"active", "stuck", "ghost"}

// stateCollector reads the State once per scrape.
type stateCollector struct {
	read func() (*State, error)
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{stateUpDesc, headroomDesc, capDesc, unavailableDesc, clusterSizeDesc,
		leasesDesc, passDesc, passAgeDesc, sourceAgeDesc} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := c.read()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(stateUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(stateUpDesc, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(passDesc, prometheus.GaugeValue, float64(st.Pass))
	ch <- prometheus.MustNewConstMetric(passAgeDesc, prometheus.GaugeValue, st.PassAge.Seconds())
	for _, s := range st.Sources {
		ch <- prometheus.MustNewConstMetric(sourceAgeDesc, prometheus.GaugeValue, s.Age.Seconds(), s.Source)
	}
	counts := map[string]int{}
	for _, l := range st.Leases {
		counts[l.State]++
	}
	for _, s := range leaseStates {
		ch <- prometheus.MustNewConstMetric(leasesDesc, prometheus.GaugeValue, float64(counts[s]), s)
	}
	if st.Headroom != nil {
		collectHeadroom(ch, st)
	}
}

// collectHeadroom gives the budget gauges of each budgeted cluster and
// verb, and each cluster's size and hosts out by cause once.
func collectHeadroom(ch chan<- prometheus.Metric, st *State) {
	seen := map[string]bool{}
	for _, h := range st.Headroom.Clusters {
		if h.Budgeted {
			ch <- prometheus.MustNewConstMetric(headroomDesc, prometheus.GaugeValue, float64(h.Headroom), h.Cluster, h.Verb)
			ch <- prometheus.MustNewConstMetric(capDesc, prometheus.GaugeValue, float64(h.Cap), h.Cluster, h.Verb)
		}
		if seen[h.Cluster] {
			continue
		}
		seen[h.Cluster] = true
		ch <- prometheus.MustNewConstMetric(clusterSizeDesc, prometheus.GaugeValue, float64(h.Size), h.Cluster)
		for _, x := range h.Causes {
			ch <- prometheus.MustNewConstMetric(unavailableDesc, prometheus.GaugeValue, float64(x.Hosts), h.Cluster, x.Name)
		}
	}
}

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decideThroughAPI makes the test's decisions: a committed drain of the
// dense cluster (7 approved: 6% of 412 = 24, 17 out), a reboot dry run of
// ams1-zk-01 (1 approved), and a request refused for want of a token.
func decideThroughAPI(t *testing.T, s *served, token string) {
	t.Helper()
	resp, b := s.call(t, "POST", "/v1/request", token, map[string]any{"verb": "drain", "expr": dense, "reason": "disk swap", "seed": 42, "commit": true})
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	resp, b = s.call(t, "POST", "/v1/request", token, map[string]any{"verb": "reboot", "expr": `cluster = "ams1-zk-01"`, "reason": "kernel", "seed": 1})
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	resp, _ = s.call(t, "GET", "/v1/query?expr=all", "", nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// TestServeMetricsScrape: /metrics needs a token unless --metrics-public,
// and says what the decisions did, by verb, cluster, rule and result.
func TestServeMetricsScrape(t *testing.T) {
	f := newActionFixture(t)
	rob := newToken(t, f.db, "rob", "requester")
	s := startServe(t, f.db, "--policy", f.policy)
	decideThroughAPI(t, s, rob)

	resp, _ := s.call(t, "GET", "/metrics", "", nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "/metrics is behind the tokens by default")
	resp, b := s.call(t, "GET", "/metrics", rob, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	text := string(b)
	for _, line := range []string{
		`fleetq_decisions_total{committed="true",result="approved",verb="drain"} 1`,
		`fleetq_decisions_total{committed="false",result="approved",verb="reboot"} 1`,
		`fleetq_decision_hosts_total{cluster="smf1-dense-02",committed="true",result="approved",rule="",verb="drain"} 7`,
		`fleetq_decision_hosts_total{cluster="smf1-dense-02",committed="true",result="denied",rule="budget:cluster",verb="drain"}`,
		`fleetq_headroom_hosts{cluster="smf1-dense-02",verb="drain"} 0`,
		`fleetq_headroom_hosts{cluster="ams1-zk-01",verb="reboot"} 1`,
		`fleetq_unavailable_hosts{cause="leased",cluster="smf1-dense-02"} 7`,
		`fleetq_leases{state="active"} 7`,
		`fleetq_leases{state="stuck"} 0`,
		`fleetq_state_up 1`,
		`fleetq_http_refusals_total{kind="unauthenticated",op="GET /v1/query"} 1`,
		`fleetq_http_request_duration_seconds_count{code="2xx",route="POST /v1/request"} 2`,
		`fleetq_source_age_seconds{source="inventory:inventory"}`,
	} {
		assert.Contains(t, text, line)
	}
	assert.NotContains(t, text, "dn0", "no host names in labels")

	pub := startServe(t, f.db, "--policy", f.policy, "--metrics-public")
	resp, b = pub.call(t, "GET", "/metrics", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "--metrics-public: %s", b)
	assert.Contains(t, string(b), `fleetq_headroom_hosts{cluster="smf1-dense-02",verb="drain"} 0`, "the gauges come from the database, whichever server")
}

// TestServePrometheus: a real Prometheus scrapes a real fleetq serve
// (with a viewer token, as its authorization setting sends it) and its
// query API then holds the decision counters, the headroom gauge of a
// cluster equal to what fleetq headroom says, and the latency histogram.
func TestServePrometheus(t *testing.T) {
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("SKIP: prometheus not installed (apt-get install prometheus)")
	}
	f := newActionFixture(t)
	rob := newToken(t, f.db, "rob", "requester")
	scraper := newToken(t, f.db, "prometheus", "viewer", "--automation")
	s := startServe(t, f.db, "--policy", f.policy)
	decideThroughAPI(t, s, rob)

	var head headroomJSON
	require.NoError(t, json.Unmarshal([]byte(f.ok("headroom", "--format", "json", "--verb", "drain", "--cluster", "smf1-dense-02")), &head))
	require.Len(t, head.Clusters, 1)

	prom := startPrometheus(t, promBin, strings.TrimPrefix(s.URL, "http://"), scraper)
	prom.waitFor(t, `fleetq_decisions_total`)
	assert.Equal(t, "1", prom.value(t, `fleetq_decisions_total{verb="drain",committed="true",result="approved"}`))
	assert.Equal(t, "7", prom.value(t, `sum(fleetq_decision_hosts_total{verb="drain",committed="true",result="approved"})`))
	assert.Equal(t, "1", prom.value(t, `fleetq_decisions_total{verb="reboot",committed="false",result="approved"}`))
	assert.Equal(t, strconv.Itoa(head.Clusters[0].Headroom), prom.value(t, `fleetq_headroom_hosts{cluster="smf1-dense-02",verb="drain"}`))
	assert.Equal(t, "2", prom.value(t, `sum(fleetq_http_request_duration_seconds_count{route="POST /v1/request",code="2xx"})`))
	assert.Equal(t, "2", prom.value(t, `sum(fleetq_http_request_duration_seconds_bucket{route="POST /v1/request",code="2xx",le="+Inf"})`))
	assert.Equal(t, "1", prom.value(t, `up{job="fleetq"}`))
}

// prometheusProc is a real Prometheus on a port of 127.0.0.1.
type prometheusProc struct {
	url string
	cmd *exec.Cmd
	// exited is closed once the process has exited, with waitErr set.
	exited  chan struct{}
	waitErr error
	mu      sync.Mutex
	logs    strings.Builder
}

// startPrometheus writes a configuration scraping target every second
// with token, and starts Prometheus on a free port of 127.0.0.1 (picked by
// listening on :0; a port taken again before Prometheus binds it is
// retried), waiting for it to be ready. Cleanup stops it.
func startPrometheus(t *testing.T, bin, target, token string) *prometheusProc {
	t.Helper()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(token+"\n"), 0o600))
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: fleetq
    authorization:
      type: Bearer
      credentials_file: %s
    static_configs:
      - targets: ['%s']
`, tokenFile, target)
	return startPrometheusConfig(t, bin, dir, cfg)
}

// startPrometheusConfig starts Prometheus with the configuration cfg,
// written into dir, as startPrometheus does.
func startPrometheusConfig(t *testing.T, bin, dir, cfg string) *prometheusProc {
	t.Helper()
	cfgFile := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(cfg), 0o644))
	var last string
	for attempt := 0; attempt < 5; attempt++ {
		p := &prometheusProc{exited: make(chan struct{})}
		addr := freePort(t)
		p.url = "http://" + addr
		p.cmd = exec.Command(bin, "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(dir, fmt.Sprint("data", attempt)),
			"--web.listen-address="+addr, "--log.level=warn")
		stderr, err := p.cmd.StderrPipe()
		require.NoError(t, err)
		require.NoError(t, p.cmd.Start())
		go p.readLogs(stderr)
		go func() { p.waitErr = p.cmd.Wait(); close(p.exited) }()
		if p.waitReady(t) {
			t.Cleanup(func() { p.stop(t) })
			return p
		}
		last = p.Logs()
		if !strings.Contains(last, "address already in use") {
			break
		}
	}
	t.Fatalf("prometheus did not start:\n%s", last)
	return nil
}

// freePort is an address of 127.0.0.1 with a port nothing listened on a
// moment ago.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func (p *prometheusProc) readLogs(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		p.mu.Lock()
		p.logs.WriteString(sc.Text() + "\n")
		p.mu.Unlock()
	}
}

func (p *prometheusProc) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// promDeadline bounds every wait on Prometheus: a hung process, not a
// timing assumption (it is ready in about a second).
const promDeadline = 2 * time.Minute

// waitReady polls /-/ready until Prometheus answers 200; false when the
// process exited first.
func (p *prometheusProc) waitReady(t *testing.T) bool {
	deadline := time.Now().Add(promDeadline)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return false
		default:
		}
		if resp, err := http.Get(p.url + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		select {
		case <-p.exited:
			return false
		case <-time.After(50 * time.Millisecond): // the poll's period
		}
	}
	t.Fatalf("prometheus not ready after %s:\n%s", promDeadline, p.Logs())
	return false
}

func (p *prometheusProc) stop(t *testing.T) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(promDeadline):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Errorf("prometheus did not stop on SIGTERM:\n%s", p.Logs())
	}
}

// promResult is one sample of an instant query's vector.
type promResult struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// query runs an instant query through Prometheus's HTTP API.
func (p *prometheusProc) query(t *testing.T, q string) []promResult {
	t.Helper()
	resp, err := http.Get(p.url + "/api/v1/query?query=" + url.QueryEscape(q))
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []promResult `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Equal(t, "success", body.Status, "%s: %s", q, body.Error)
	return body.Data.Result
}

// waitFor polls the query API until q has a sample: the first scrape
// landed.
func (p *prometheusProc) waitFor(t *testing.T, q string) {
	t.Helper()
	deadline := time.Now().Add(promDeadline)
	for len(p.query(t, q)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no %s in Prometheus after %s:\n%s", q, promDeadline, p.Logs())
		}
		select {
		case <-p.exited:
			t.Fatalf("prometheus exited: %v\n%s", p.waitErr, p.Logs())
		case <-time.After(100 * time.Millisecond): // the poll's period
		}
	}
}

// value is q's one sample's value, as Prometheus writes it.
func (p *prometheusProc) value(t *testing.T, q string) string {
	t.Helper()
	res := p.query(t, q)
	require.Len(t, res, 1, "%s: %v", q, res)
	s, ok := res[0].Value[1].(string)
	require.True(t, ok, "%s: %v", q, res[0].Value)
	return s
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
)

// hangTimeout is the timeout of the command source that hangs: small, so
// the test shows fleetq stops waiting for it at once.
const hangTimeout = time.Second

// collectSlack bounds what a collect may take beyond hangTimeout on a
// loaded machine: far less than the 300 s the hanging command sleeps.
const collectSlack = 30 * time.Second

// TestCollectLive is issue 19's first Done-when: a real Prometheus scrapes
// a real node exporter, and fleetq collect asks it for up and
// node_uname_info over its HTTP API, reads an inventory file, runs a
// command (a stand-in for hdfs dfsadmin -report, and a host list), and
// reads a Kubernetes node list and NetBox's paginated API from a test
// server: the pass holds those hosts and attributes. Then Prometheus is
// stopped, the command hangs and the server breaks (HTTP 500, a truncated
// body): the second collect carries each of them forward from the first
// pass, with its reason in fleetq log.
func TestCollectLive(t *testing.T) {
	prom := startScrapedNodeExporter(t)
	dir := t.TempDir()
	api := newBreakableAPI(t)
	hang := newHangingCommand(t, dir)
	sources := writeLiveSources(t, dir, prom.url, api.url, hang)
	c := &collector{t: t, db: filepath.Join(dir, "fleetq.db"), sources: sources}

	out, errOut := c.collect(0)
	assert.Contains(t, out, "pass 1 sealed: 2 hosts (7 sources read, 0 failed)")
	assert.Empty(t, errOut[strings.Index(errOut, "\n")+1:], "only the note that the database was created")
	c.expect(`metrics & up == 1`, "node1") // instance 127.0.0.1:PORT, placed by the inventory's ip
	c.expect(`metrics_node_uname_info & node_uname.sysname = "Linux"`, "node1")
	c.expect(`node_uname.nodename exists`, "node1")
	c.expect(`hdfs & hdfs.rack = "/smf1/r01"`, "node1")
	c.expect(`hdfs.state = "decommissioning"`, "node2")
	c.expect(`rebooted`, "node2")
	c.expect(`k8s.ready & k8s.label.node-role.kubernetes.io_worker exists`, "node1")
	c.expect(`netbox & status = "active"`, "node1", "node2") // both pages
	c.expect(`inventory & role = "hadoop-worker"`, "node1", "node2")

	prom.stop(t)
	hang.arm(t)
	api.broken.Store(true)
	start := time.Now()
	out, errOut = c.collectWithin(hangTimeout + collectSlack)
	assert.Less(t, time.Since(start), hangTimeout+collectSlack, "the collect waited for the hanging command")
	hang.requireKilled(t)
	assert.Contains(t, out, "pass 2 sealed: 2 hosts (2 sources read, 5 failed)")
	for _, want := range []string{
		"fleetq: warning: source prom:metrics failed: GET " + prom.url + "/api/v1/query?query=up: dial tcp",
		"fleetq: warning: source prom:metrics_node_uname_info failed: GET ",
		"fleetq: warning: source hosts:rebooted failed: timed out after 1s (its process group was killed); carried from pass 1",
		"    stderr: rebooted: asking the BMCs",
		"fleetq: warning: source k8s:k8s failed: GET " + api.url + "/api/v1/nodes: HTTP 500 Internal Server Error: etcd unavailable; carried from pass 1",
		"fleetq: warning: source netbox:netbox failed: source netbox:",
	} {
		assert.Contains(t, errOut, want)
	}
	log := c.ok("log")
	for _, want := range []string{
		"failed sources:\n",
		"  prom:metrics  GET " + prom.url + "/api/v1/query?query=up: dial tcp",
		"  hosts:rebooted  timed out after 1s (its process group was killed)  (carried from pass 1)\n    stderr: rebooted: asking the BMCs\n",
		"  k8s:k8s  GET " + api.url + "/api/v1/nodes: HTTP 500 Internal Server Error: etcd unavailable  (carried from pass 1)\n",
		"  netbox:netbox  source netbox:",
		"  prom:metrics  http://127.0.0.1", // the carried snapshot, read by pass 1
		"(carried from pass 1, ",
	} {
		assert.Contains(t, log, want)
	}
	assert.Regexp(t, `netbox:netbox  source netbox:\d+: .*\(carried from pass 1\)`, log, "the truncated body's parse error")
	// What failed is still there, as pass 1 read it; what was read is new.
	c.expect(`metrics & up == 1`, "node1")
	c.expect(`k8s.ready`, "node1")
	c.expect(`netbox`, "node1", "node2")
	c.expect(`rebooted`, "node2")
	var passes []store.PassInfo
	c.json(&passes, "passes")
	require.Len(t, passes, 2)
	require.NotNil(t, passes[1].Log)
	failed := map[string]int64{}
	for _, f := range passes[1].Log.Failures {
		failed[f.Kind+":"+f.Name] = f.CarriedFrom
	}
	assert.Equal(t, map[string]int64{"prom:metrics": 1, "prom:metrics_node_uname_info": 1, "hosts:rebooted": 1, "k8s:k8s": 1, "netbox:netbox": 1}, failed)
	assert.Contains(t, c.ok("passes"), "prom:metrics(1)[from 1, ")

	// Nothing readable: no pass, exit 6.
	dead := filepath.Join(dir, "dead.sources.toml")
	require.NoError(t, os.WriteFile(dead, []byte(fmt.Sprintf("[[source]]\nname = \"metrics\"\nkind = \"prom\"\nurl = %q\nqueries = [\"up\"]\n", prom.url)), 0o644))
	out, errOut, code := c.run("collect", "--sources", dead)
	assert.Equal(t, exitNothingRead, code, "stdout: %s\nstderr: %s", out, errOut)
	assert.Contains(t, errOut, "fleetq: no source of "+dead+" could be read (1 failed): no pass was made\n")
	assert.Contains(t, out, "no pass made: 1 sources failed")
	c.json(&passes, "passes")
	assert.Len(t, passes, 2)
}

// TestCollectSIGTERM: SIGTERM in the middle of a collect stops every
// source (the hanging command's process group is killed) and writes no
// pass.
func TestCollectSIGTERM(t *testing.T) {
	dir := t.TempDir()
	hang := newHangingCommand(t, dir)
	inv := filepath.Join(dir, "inventory.csv")
	require.NoError(t, os.WriteFile(inv, []byte("host,role\nnode1,hadoop-worker\n"), 0o644))
	sources := filepath.Join(dir, "fleetq.sources.toml")
	require.NoError(t, os.WriteFile(sources, []byte(`[[source]]
name = "inventory"
kind = "inventory"
path = "inventory.csv"

[[source]]
name = "rebooted"
kind = "hosts"
command = ["sh", "`+hang.script+`"]
timeout = "5m"
`), 0o644))
	c := &collector{t: t, db: filepath.Join(dir, "fleetq.db"), sources: sources}
	c.collect(0) // pass 1, before the command hangs
	hang.arm(t)
	cmd := exec.Command(fleetqBin, "--db", c.db, "collect", "--sources", sources)
	var errOut strings.Builder
	cmd.Stderr = &errOut
	require.NoError(t, cmd.Start())
	hang.waitStarted(t)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err := cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "stderr: %s", errOut.String())
	assert.Equal(t, exitTerminated, ee.ExitCode(), errOut.String())
	assert.Contains(t, errOut.String(), "fleetq: terminated (SIGTERM) while collecting: no pass was written\n")
	hang.requireKilled(t)
	var passes []store.PassInfo
	c.json(&passes, "passes")
	assert.Len(t, passes, 1)
}

// collector runs the built binary on one database and sources file.
type collector struct {
	t       *testing.T
	db      string
	sources string
}

// newCollector writes text as dir's fleetq.sources.toml and collects
// into dir's fleetq.db.
func newCollector(t *testing.T, dir, text string) *collector {
	t.Helper()
	sources := filepath.Join(dir, "fleetq.sources.toml")
	require.NoError(t, os.WriteFile(sources, []byte(text), 0o644))
	return &collector{t: t, db: filepath.Join(dir, "fleetq.db"), sources: sources}
}

func (c *collector) run(args ...string) (string, string, int) {
	c.t.Helper()
	return runCmd(c.t, exec.Command(fleetqBin, append([]string{"--db", c.db}, args...)...))
}

func (c *collector) ok(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run(args...)
	require.Equal(c.t, 0, code, "fleetq %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), out, errOut)
	return out
}

func (c *collector) json(v any, args ...string) {
	c.t.Helper()
	require.NoError(c.t, json.Unmarshal([]byte(c.ok(append(args, "--format", "json")...)), v))
}

// collect runs fleetq collect, expecting exit status code.
func (c *collector) collect(code int) (string, string) {
	c.t.Helper()
	out, errOut, got := c.run("collect", "--sources", c.sources)
	require.Equal(c.t, code, got, "stdout: %s\nstderr: %s", out, errOut)
	return out, errOut
}

// collectWithin runs fleetq collect, killing it after d: the test waits
// no longer than that for a collect that should not wait for a hung
// source. It expects exit status 0.
func (c *collector) collectWithin(d time.Duration) (string, string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	out, errOut, code := runCmd(c.t, exec.CommandContext(ctx, fleetqBin, "--db", c.db, "collect", "--sources", c.sources))
	require.NoError(c.t, ctx.Err(), "fleetq collect still ran after %s: it waited for the hung command\nstderr: %s", d, errOut)
	require.Equal(c.t, 0, code, "stdout: %s\nstderr: %s", out, errOut)
	return out, errOut
}

// expect checks the hosts expr names in the newest pass.
func (c *collector) expect(expr string, hosts ...string) {
	c.t.Helper()
	got := strings.Fields(c.ok("query", expr))
	slices.Sort(got)
	assert.Equal(c.t, hosts, got, expr)
}

// writeLiveSources writes the sources file of TestCollectLive.
func writeLiveSources(t *testing.T, dir, promURL, apiURL string, hang *hangingCommand) string {
	inv := filepath.Join(dir, "cmdb", "inventory.csv")
	require.NoError(t, os.MkdirAll(filepath.Dir(inv), 0o755))
	require.NoError(t, os.WriteFile(inv, []byte("host,ip,role\nnode1,127.0.0.1,hadoop-worker\nnode2,10.9.9.2,hadoop-worker\n"), 0o644))
	fakeHDFS, err := filepath.Abs(filepath.Join("testdata", "collect", "fake-hdfs"))
	require.NoError(t, err)
	path := filepath.Join(dir, "fleetq.sources.toml")
	require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf(`deadline = "2m"

[[source]]
name = "inventory"
kind = "inventory"
path = "cmdb/inventory.csv"

[[source]]
name = "metrics"
kind = "prom"
url = %q
queries = ["up", "node_uname_info"]
timeout = "10s"

[[source]]
name = "hdfs"
kind = "hdfs"
command = ["sh", %q, "dfsadmin", "-report"]
timeout = "30s"

[[source]]
name = "rebooted"
kind = "hosts"
command = ["sh", %q]
timeout = %q

[[source]]
name = "k8s"
kind = "k8s"
url = "%s/api/v1/nodes"
token_env = "COLLECT_TEST_TOKEN"

[[source]]
name = "netbox"
kind = "netbox"
url = "%s/api/dcim/devices/?limit=1"
token_file = "netbox.token"
token_scheme = "Token"
`, promURL, fakeHDFS, hang.script, hangTimeout.String(), apiURL, apiURL)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "netbox.token"), []byte("nbtoken\n"), 0o600))
	t.Setenv("COLLECT_TEST_TOKEN", "k8stoken")
	return path
}

// breakableAPI is a Kubernetes node list and a NetBox device list of two
// pages on 127.0.0.1, checking the tokens the sources send; once broken,
// the node list answers 500 and the device list a truncated body.
type breakableAPI struct {
	url    string
	broken atomic.Bool
}

func newBreakableAPI(t *testing.T) *breakableAPI {
	api := &breakableAPI{}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/nodes", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k8stoken" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if api.broken.Load() {
			http.Error(w, "etcd unavailable", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, `{"kind":"NodeList","apiVersion":"v1","items":[{"metadata":{"name":"node1","labels":{"node-role.kubernetes.io/worker":""}},
"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady"}],"addresses":[{"type":"InternalIP","address":"127.0.0.1"}]}}]}`)
	})
	mux.HandleFunc("/api/dcim/devices/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Token nbtoken" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		page := `{"count":2,"next":%s,"previous":null,"results":[{"name":"%s","device_type":{"model":"R640"},"site":{"slug":"smf1"},"status":{"value":"active","label":"Active"}}]}`
		switch {
		case api.broken.Load():
			fmt.Fprint(w, `{"count":2,"next":null,"previous":null,"results":[{"name":"node1","device_type":{"mod`)
		case r.URL.Query().Get("offset") == "1":
			fmt.Fprintf(w, page, "null", "node2")
		default:
			fmt.Fprintf(w, page, strconv.Quote(api.url+"/api/dcim/devices/?limit=1&offset=1"), "node1")
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	api.url = srv.URL
	return api
}

// hangingCommand is a script that prints a host list, or, once armed,
// says so on stderr, starts a child and hangs, writing both pids to a
// file: the test checks the whole process group was killed.
type hangingCommand struct {
	script, armed, pids string
}

func newHangingCommand(t *testing.T, dir string) *hangingCommand {
	h := &hangingCommand{script: filepath.Join(dir, "rebooted.sh"), armed: filepath.Join(dir, "hang"), pids: filepath.Join(dir, "hang.pids")}
	require.NoError(t, os.WriteFile(h.script, []byte(fmt.Sprintf(`if [ ! -e %q ]; then echo node2; exit 0; fi
echo "rebooted: asking the BMCs" >&2
sleep 300 &
echo "$$ $!" > %q.tmp && mv %q.tmp %q
wait
`, h.armed, h.pids, h.pids, h.pids)), 0o644))
	return h
}

func (h *hangingCommand) arm(t *testing.T) {
	require.NoError(t, os.WriteFile(h.armed, nil, 0o644))
}

// waitStarted waits for the script to write its pids: it hangs from then
// on. The poll is bounded by the deadline of a hung machine.
func (h *hangingCommand) waitStarted(t *testing.T) {
	deadline := time.Now().Add(promDeadline)
	for {
		if _, err := os.Stat(h.pids); err == nil {
			return
		}
		require.True(t, time.Now().Before(deadline), "the hanging command never started")
		time.Sleep(20 * time.Millisecond) // the poll's period
	}
}

// requireKilled checks that the script and its child are gone (or
// zombies nobody reaped yet: a container's init may not reap them).
func (h *hangingCommand) requireKilled(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile(h.pids)
	require.NoError(t, err)
	for _, field := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(field)
		require.NoError(t, err)
		deadline := time.Now().Add(promDeadline)
		for processAlive(pid) {
			require.True(t, time.Now().Before(deadline), "process %d of the hanging command still runs", pid)
			time.Sleep(20 * time.Millisecond) // SIGKILL is delivered; the poll waits for the exit
		}
	}
}

// processAlive reports whether pid runs (a zombie does not).
func processAlive(pid int) bool {
	f, err := os.Open(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	if i := strings.LastIndexByte(line, ')'); i >= 0 && i+2 < len(line) {
		return line[i+2] != 'Z' && line[i+2] != 'X'
	}
	return true
}

// startNodeExporter starts a real node exporter on a free port of
// 127.0.0.1 with the uname collector only, and waits for its /metrics.
// startScrapedNodeExporter starts a real node exporter and a real
// Prometheus scraping it every second, and waits for its first scrape of
// node_uname_info; without the two binaries the test is skipped loudly.
func startScrapedNodeExporter(t *testing.T) *prometheusProc {
	t.Helper()
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("SKIP: prometheus not installed (apt-get install prometheus prometheus-node-exporter)")
	}
	exporterBin, err := exec.LookPath("prometheus-node-exporter")
	if err != nil {
		t.Skip("SKIP: prometheus-node-exporter not installed (apt-get install prometheus-node-exporter)")
	}
	exporter := startNodeExporter(t, exporterBin)
	prom := startPrometheusConfig(t, promBin, t.TempDir(), fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['%s']
`, exporter))
	prom.waitFor(t, `node_uname_info{job="node"}`)
	return prom
}

func startNodeExporter(t *testing.T, bin string) string {
	for attempt := 0; attempt < 5; attempt++ {
		addr := freePort(t)
		p := &prometheusProc{url: "http://" + addr, exited: make(chan struct{})}
		p.cmd = exec.Command(bin, "--web.listen-address="+addr, "--collector.disable-defaults", "--collector.uname", "--log.level=warn")
		stderr, err := p.cmd.StderrPipe()
		require.NoError(t, err)
		require.NoError(t, p.cmd.Start())
		go p.readLogs(stderr)
		go func() { p.waitErr = p.cmd.Wait(); close(p.exited) }()
		if p.waitPath(t, "/metrics") {
			t.Cleanup(func() { p.stop(t) })
			return addr
		}
		if !strings.Contains(p.Logs(), "address already in use") {
			t.Fatalf("node exporter did not start:\n%s", p.Logs())
		}
	}
	t.Fatal("node exporter found no free port")
	return ""
}

// waitPath polls path until it answers 200; false when the process
// exited first.
func (p *prometheusProc) waitPath(t *testing.T, path string) bool {
	deadline := time.Now().Add(promDeadline)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(p.url + path); err == nil {
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
	t.Fatalf("%s%s not answering after %s:\n%s", p.url, path, promDeadline, p.Logs())
	return false
}

// TestCollectInventoryUncarried: an inventory that fails with no earlier
// snapshot to carry writes no pass (nor creates the database), and once a
// pass has it, its failure is carried like any other.
func TestCollectInventoryUncarried(t *testing.T) {
	dir := t.TempDir()
	c := newCollector(t, dir, `[[source]]
name = "inventory"
kind = "inventory"
path = "inventory.csv"

[[source]]
name = "rebooted"
kind = "hosts"
command = ["echo", "node1"]
`)
	sources := c.sources
	out, errOut, code := c.run("collect", "--sources", sources)
	assert.Equal(t, exitFailure, code, "stdout: %s\nstderr: %s", out, errOut)
	assert.Contains(t, errOut, "fleetq: warning: source inventory:inventory failed: "+filepath.Join(dir, "inventory.csv")+": no such file or directory; nothing to carry")
	assert.Contains(t, errOut, "fleetq: inventory source inventory (inventory) could not be read and no earlier pass has it to carry: no pass was written")
	assert.NoFileExists(t, c.db)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "inventory.csv"), []byte("host,role\nnode1,hadoop-worker\n"), 0o644))
	c.collect(0)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "inventory.csv"), nil, 0o644)) // an empty dump is an outage
	out, errOut = c.collect(0)
	assert.Contains(t, out, "pass 2 sealed: 1 hosts (1 sources read, 1 failed)")
	assert.Contains(t, errOut, "fleetq: warning: source inventory:inventory failed: ")
	assert.Contains(t, errOut, "; carried from pass 1\n")
	c.expect("inventory & role = \"hadoop-worker\"", "node1")

	// check freshness says why the inventory is carried; the command
	// source, read this pass, has no reason.
	var fresh struct {
		Sources []struct {
			Source      string `json:"source"`
			CarriedFrom int64  `json:"carried_from"`
			ReadFailed  string `json:"read_failed"`
		} `json:"sources"`
	}
	c.json(&fresh, "check", "freshness")
	require.Len(t, fresh.Sources, 2)
	for _, s := range fresh.Sources {
		switch s.Source {
		case "inventory:inventory":
			assert.Equal(t, int64(1), s.CarriedFrom)
			assert.Contains(t, s.ReadFailed, "inventory.csv:")
		case "hosts:rebooted":
			assert.Zero(t, s.CarriedFrom)
			assert.Empty(t, s.ReadFailed)
		default:
			t.Errorf("unexpected source %s", s.Source)
		}
	}
	out, _, _ = c.run("check", "freshness")
	assert.Contains(t, out, "inventory:inventory: carried from pass 1 (this pass's read failed: ")

	// The dashboard's overview says it beside the source's age.
	viewer := newToken(t, c.db, "viewer1", "viewer")
	srv := startServe(t, c.db)
	resp, page := srv.call(t, http.MethodGet, "/", viewer, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", page)
	assert.Contains(t, string(page), `<p class="message">No cluster tiles: headroom: no policy file: `, "served without a policy: the pass and its sources, no tiles")
	row := regexp.MustCompile(`<tr data-source="inventory:inventory"[^\n]*`).FindString(string(page))
	assert.Contains(t, row, `read failed, carried from pass 1: `+filepath.Join(dir, "inventory.csv"), "the overview's row of the carried inventory")
	assert.NotContains(t, regexp.MustCompile(`<tr data-source="hosts:rebooted"[^\n]*`).FindString(string(page)), "read failed")
}

// TestCollectTextNamesUnmappedHostsAndCommands: collect's text says, as
// ingest's does, how many hosts of a source the inventory could not
// place, lines a long source name up with the others, and fleetq host
// names a collected command as the attribute's source in full.
func TestCollectTextNamesUnmappedHostsAndCommands(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "inventory.csv"), []byte("host,ip\nnode1,10.9.9.1\n"), 0o644))
	fakeHDFS, err := filepath.Abs(filepath.Join("testdata", "collect", "fake-hdfs"))
	require.NoError(t, err)
	c := newCollector(t, dir, fmt.Sprintf(`[[source]]
name = "inventory"
kind = "inventory"
path = "inventory.csv"

[[source]]
name = "hdfs"
kind = "hdfs"
command = ["sh", %q, "dfsadmin", "-report"]

[[source]]
name = "rebooting_after_firmware"
kind = "hosts"
command = ["echo", "node1"]
`, fakeHDFS))
	sources := c.sources
	out, _ := c.collect(0)
	lines := strings.Split(out, "\n")
	require.GreaterOrEqual(t, len(lines), 5, out)
	assert.Regexp(t, `^  inventory inventory {17} +1 hosts`, lines[1])
	assert.Regexp(t, `^  hdfs {6}hdfs {22} +2 hosts`, lines[2])
	assert.Equal(t, "            1 hosts not in the inventory, kept under their own names (e.g. node2)", lines[3])
	assert.Regexp(t, `^  hosts {5}rebooting_after_firmware +1 hosts`, lines[4])

	var res struct {
		Sources []struct {
			Name     string   `json:"name"`
			NUnmap   int      `json:"n_unmapped"`
			Unmapped []string `json:"unmapped"`
		} `json:"sources"`
	}
	c.json(&res, "collect", "--sources", sources)
	require.Len(t, res.Sources, 3)
	assert.Equal(t, "hdfs", res.Sources[1].Name)
	assert.Equal(t, 1, res.Sources[1].NUnmap)
	assert.Equal(t, []string{"node2"}, res.Sources[1].Unmapped)

	var host struct {
		Attrs []struct {
			Name   string `json:"name"`
			Source string `json:"source"`
		} `json:"attributes"`
	}
	c.json(&host, "host", "node1")
	from := ""
	for _, a := range host.Attrs {
		if a.Name == "hdfs.state" {
			from = a.Source
		}
	}
	assert.Equal(t, "hdfs:command: sh "+fakeHDFS+" dfsadmin -report", from)
}

// TestCollectTextSaysWhyAFailureIsNotCarried: a failed source new to
// the file has no earlier snapshot to carry, and when no source could
// be read there is no pass to carry anything into; the text says which
// (it said "the pass lacks it" for both, with no pass at all).
func TestCollectTextSaysWhyAFailureIsNotCarried(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "inventory.csv"), []byte("host\nnode1\n"), 0o644))
	c := newCollector(t, dir, `[[source]]
name = "inventory"
kind = "inventory"
path = "inventory.csv"

[[source]]
name = "rebooting"
kind = "hosts"
command = ["false"]
`)
	sources := c.sources
	out, _ := c.collect(0)
	assert.Contains(t, out, "pass 1 sealed: 1 hosts (1 sources read, 1 failed)")
	assert.Regexp(t, `\n  hosts +rebooting +FAILED \(not carried: no earlier pass has it\): false exited with status 1`, out)

	require.NoError(t, os.Remove(filepath.Join(dir, "inventory.csv")))
	out, errOut, code := c.run("collect", "--sources", sources)
	assert.Equal(t, exitNothingRead, code, "stdout: %s\nstderr: %s", out, errOut)
	assert.Contains(t, out, "no pass made: 2 sources failed\n")
	assert.Regexp(t, `\n  inventory +inventory +FAILED \(no pass made\): `, out)
	assert.Regexp(t, `\n  hosts +rebooting +FAILED \(no pass made\): false exited`, out)
	assert.NotContains(t, out, "lacks")
}

// TestLogCountsLineUpLongSetNames: fleetq log's counts stay one column
// when a set name is longer than 20 (a collected prom query's
// metrics_node_uname_info pushed its count out of line).
func TestLogCountsLineUpLongSetNames(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "inventory.csv"), []byte("host\nnode1\n"), 0o644))
	c := newCollector(t, dir, `[[source]]
name = "inventory"
kind = "inventory"
path = "inventory.csv"

[[source]]
name = "rebooting_after_firmware"
kind = "hosts"
command = ["echo", "node1"]
`)
	c.collect(0)
	out, errOut, code := c.run("log")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "\n  all                      1\n  inventory                1\n  rebooting_after_firmware 1\n")
}

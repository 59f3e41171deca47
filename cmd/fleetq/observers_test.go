package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestThreeObservers is the three observers of docs/sources.md, end to end with the real
// binary: one pass from an inventory CSV, an HDFS dfsadmin report, a YARN
// node list, a Kubernetes NodeList and a Prometheus API answer (all in
// their tools' real formats) answers the control-plane questions; a
// second pass that re-reads only metrics still answers the HDFS ones from
// the carried snapshot. Expected answers are read from the raw files by
// this test, independently of fleetq's parsers.
func TestThreeObservers(t *testing.T) {
	dir := t.TempDir()
	fleet := generateFleet(t, dir)
	p1, p2 := filepath.Join(fleet, "pass-001"), filepath.Join(fleet, "pass-002")
	k8s := writeNodeList(t, dir, k8sHosts(t, filepath.Join(p1, "inventory.csv")))
	db := filepath.Join(dir, "fleet.db")
	fq := func(args ...string) []string {
		t.Helper()
		out, err := exec.Command(fleetqBin, append([]string{"--db", db}, args...)...).Output()
		require.NoError(t, err, "fleetq %s", strings.Join(args, " "))
		return strings.Fields(string(out))
	}

	fq("ingest", "--at", "2026-11-20T00:05:00Z", filepath.Join(p1, "inventory.csv"), filepath.Join(p1, "hdfs-report.txt"),
		filepath.Join(p1, "yarn-nodes.txt"), "k8s:"+k8s.path, filepath.Join(p1, "prom-up.json"))
	deadHDFS := hdfsSection(t, filepath.Join(p1, "hdfs-report.txt"), "Dead datanodes")
	require.NotEmpty(t, deadHDFS)
	assert.Equal(t, deadHDFS, fq("query", `hdfs.state = "dead"`))
	assert.Equal(t, nonEmpty(t, yarnInState(t, filepath.Join(p1, "yarn-nodes.txt"), "LOST")), fq("query", `yarn.state = "lost"`))
	assert.Equal(t, nonEmpty(t, k8s.notReady), fq("query", "k8s - k8s.ready"))
	assert.Equal(t, nonEmpty(t, promDown(t, filepath.Join(p1, "prom-up.json"))), fq("query", "up == 0"))
	assert.Equal(t, nonEmpty(t, notIn(hdfsSection(t, filepath.Join(p1, "hdfs-report.txt"), ""), csvHosts(t, filepath.Join(p1, "inventory.csv")))),
		fq("query", "hdfs - inventory"))

	fq("ingest", "--at", "2026-11-20T01:05:00Z", filepath.Join(p2, "prom-up.json"))
	assert.Equal(t, deadHDFS, fq("query", `hdfs.state = "dead"`), "HDFS answered from the carried snapshot")
	assert.Equal(t, promDown(t, filepath.Join(p2, "prom-up.json")), fq("query", "up == 0"))
	assert.Contains(t, strings.Join(fq("passes"), " "), "hdfs:hdfs(")
	assert.Contains(t, strings.Join(fq("passes"), " "), "[from 1, 1h00m old]")
}

// generateFleet builds and runs the demo generator: 2,000 hosts, 2 passes.
func generateFleet(t *testing.T, dir string) string {
	gen := filepath.Join(dir, "genfleet")
	out, err := exec.Command("go", "build", "-o", gen, "github.com/fleetq/fleetq/examples/genfleet").CombinedOutput()
	require.NoError(t, err, "%s", out)
	fleet := filepath.Join(dir, "fleet")
	out, err = exec.Command(gen, "--out", fleet, "--hosts", "2000", "--passes", "2", "--seed", "3").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return fleet
}

// csvColumn returns a column of a CSV with a header row (no quotes).
func csvColumn(t *testing.T, path, col string) []string {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	require.True(t, sc.Scan())
	idx := -1
	for i, h := range strings.Split(sc.Text(), ",") {
		if h == col {
			idx = i
		}
	}
	require.GreaterOrEqual(t, idx, 0, col)
	var out []string
	for sc.Scan() {
		out = append(out, strings.Split(sc.Text(), ",")[idx])
	}
	return out
}

func csvHosts(t *testing.T, path string) []string { return csvColumn(t, path, "host") }

func k8sHosts(t *testing.T, inventory string) []string {
	hosts, roles := csvHosts(t, inventory), csvColumn(t, inventory, "role")
	var out []string
	for i, r := range roles {
		if r == "k8s-node" && len(out) < 24 {
			out = append(out, hosts[i])
		}
	}
	require.NotEmpty(t, out)
	return out
}

type nodeList struct {
	path     string
	notReady []string
}

// writeNodeList writes `kubectl get nodes -o json` for hosts: every third
// node NotReady, every fifth of those Unknown (not ready either).
func writeNodeList(t *testing.T, dir string, hosts []string) nodeList {
	type cond struct{ Type, Status string }
	var items []map[string]any
	var notReady []string
	for i, h := range hosts {
		status := "True"
		if i%3 == 0 {
			status = "False"
			if i%5 == 0 {
				status = "Unknown"
			}
			notReady = append(notReady, h)
		}
		items = append(items, map[string]any{
			"apiVersion": "v1", "kind": "Node",
			"metadata": map[string]any{"name": h, "labels": map[string]string{"topology.kubernetes.io/zone": "z1"}},
			"spec":     map[string]any{},
			"status":   map[string]any{"conditions": []cond{{"Ready", status}}},
		})
	}
	data, err := json.MarshalIndent(map[string]any{"apiVersion": "v1", "kind": "List", "items": items, "metadata": map[string]string{"resourceVersion": ""}}, "", "    ")
	require.NoError(t, err)
	path := filepath.Join(dir, "nodes.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	sort.Strings(notReady)
	return nodeList{path, notReady}
}

// hdfsSection lists the Hostname: lines of one section of a dfsadmin
// report ("" for every section), sorted and unique.
func hdfsSection(t *testing.T, path, section string) []string {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	in := section == ""
	seen := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasSuffix(line, "):") && strings.Contains(line, "datanodes (") {
			in = section == "" || strings.HasPrefix(line, section)
		}
		if h, ok := strings.CutPrefix(line, "Hostname: "); ok && in {
			seen[h] = true
		}
	}
	return sortedSet(seen)
}

// yarnInState lists the hosts of a yarn node list whose state is state.
func yarnInState(t *testing.T, path, state string) []string {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, "\t")
		if len(f) >= 2 && strings.TrimSpace(f[1]) == state {
			host, _, _ := strings.Cut(strings.TrimSpace(f[0]), ":")
			seen[host] = true
		}
	}
	return sortedSet(seen)
}

// promDown lists the instances (port stripped) whose up sample is "0".
func promDown(t *testing.T, path string) []string {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var resp struct {
		Data struct {
			Result []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	require.NoError(t, json.Unmarshal(data, &resp))
	seen := map[string]bool{}
	for _, r := range resp.Data.Result {
		if fmt.Sprint(r.Value[1]) == "0" {
			host, _, _ := strings.Cut(r.Metric["instance"], ":")
			seen[host] = true
		}
	}
	return sortedSet(seen)
}

// nonEmpty guards an expectation: an empty answer agreeing with an empty
// expectation would prove nothing.
func nonEmpty(t *testing.T, xs []string) []string {
	t.Helper()
	require.NotEmpty(t, xs)
	return xs
}

func notIn(xs, ys []string) []string {
	have := map[string]bool{}
	for _, y := range ys {
		have[y] = true
	}
	out := map[string]bool{}
	for _, x := range xs {
		if !have[x] {
			out[x] = true
		}
	}
	return sortedSet(out)
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

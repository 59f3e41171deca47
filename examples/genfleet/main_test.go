package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// generateInto runs genfleet with args into a fresh temp dir.
func generateInto(t *testing.T, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(append([]string{"--out", dir}, args...), &out))
	assert.Contains(t, out.String(), "pass-001: hosts=")
	return dir
}

// row is one inventory.csv record by column name.
type row map[string]string

func readInventory(t *testing.T, path string) ([]string, []row) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	header := strings.Split(lines[0], ",")
	var rows []row
	for _, l := range lines[1:] {
		fields := strings.Split(l, ",")
		require.Len(t, fields, len(header), l)
		r := row{}
		for i, h := range header {
			r[h] = fields[i]
		}
		rows = append(rows, r)
	}
	return header, rows
}

func readList(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	s := strings.TrimSuffix(string(data), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func hostsOf(rows []row, keep func(row) bool) []string {
	var out []string
	for _, r := range rows {
		if keep(r) {
			out = append(out, r["host"])
		}
	}
	return out
}

func TestInventoryShape(t *testing.T) {
	dir := generateInto(t, "--hosts", "5000", "--passes", "2")
	header, rows := readInventory(t, filepath.Join(dir, "pass-001", "inventory.csv"))
	assert.Equal(t, strings.Split(strings.TrimSpace(inventoryHeader), ","), header)
	assert.Equal(t, "host,dc,cluster,rack,role,sku,lifecycle,replica_group,kernel,ip,serial,hadoop_exclude,puppet_ok,rack_position,service,customer,env,tests,maint_window", strings.Join(header, ","))
	require.Len(t, rows, 5000)

	hosts := hostsOf(rows, func(row) bool { return true })
	assert.True(t, slices.IsSorted(hosts), "rows sorted by host in byte order")
	for _, col := range []string{"host", "ip", "serial"} {
		seen := map[string]bool{}
		for _, r := range rows {
			assert.False(t, seen[r[col]], "duplicate %s %s", col, r[col])
			seen[r[col]] = true
		}
	}

	clusterSize := map[string]int{}
	rackCluster := map[string]string{}
	life := map[string]int{}
	for _, r := range rows {
		clusterSize[r["cluster"]]++
		life[r["lifecycle"]]++
		if c, ok := rackCluster[r["rack"]]; ok {
			assert.Equal(t, c, r["cluster"], "rack %s spans clusters", r["rack"])
		}
		rackCluster[r["rack"]] = r["cluster"]
		pos, err := strconv.Atoi(r["rack_position"])
		require.NoError(t, err)
		assert.True(t, pos >= 1 && pos <= 42, r["rack_position"])
		assert.Contains(t, []string{"rg1", "rg2", "rg3"}, r["replica_group"])
		assert.Contains(t, []string{"true", "false"}, r["hadoop_exclude"])
		assert.True(t, strings.HasPrefix(r["ip"], "10."), r["ip"])
		assert.True(t, strings.HasSuffix(r["host"], "."+r["dc"]), r["host"])
		assert.True(t, strings.HasPrefix(r["cluster"], r["dc"]+"-"), r["cluster"])
	}
	assert.Equal(t, 412, clusterSize["smf1-dense-02"])
	for c, n := range clusterSize {
		assert.GreaterOrEqual(t, n, minClusterSize, c)
	}
	assert.InDelta(t, 0.95, float64(life["active"])/5000, 0.02)
	for _, l := range []string{"dead", "repair", "provisioning"} {
		assert.Greater(t, life[l], 0, l)
	}
}

func TestChurnBetweenPasses(t *testing.T) {
	dir := generateInto(t, "--hosts", "5000", "--passes", "2", "--churn", "0.02")
	_, p1 := readInventory(t, filepath.Join(dir, "pass-001", "inventory.csv"))
	_, p2 := readInventory(t, filepath.Join(dir, "pass-002", "inventory.csv"))
	r1 := readList(t, filepath.Join(dir, "pass-001", "responsive"))
	r2 := readList(t, filepath.Join(dir, "pass-002", "responsive"))

	byHost := map[string]string{}
	for _, r := range p1 {
		byHost[r["host"]] = rowString(r)
	}
	changed, added := 0, 0
	for _, r := range p2 {
		old, ok := byHost[r["host"]]
		switch {
		case !ok:
			added++
		case old != rowString(r):
			changed++
		}
	}
	removed := len(p1) + added - len(p2)
	flips := len(symDiff(r1, r2))
	total := changed + added + removed + flips
	frac := float64(total) / float64(len(p1))
	assert.True(t, frac >= 0.01 && frac <= 0.04, "changed fraction %.4f (changed %d added %d removed %d responsive flips %d)",
		frac, changed, added, removed, flips)
	assert.Greater(t, added, 0)
	assert.Equal(t, added, removed, "decommissioned hosts are replaced one for one")
}

func rowString(r row) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(r)) {
		b.WriteString(k + "=" + r[k] + ";")
	}
	return b.String()
}

func symDiff(a, b []string) []string {
	in := map[string]int{}
	for _, x := range a {
		in[x]++
	}
	for _, x := range b {
		in[x]--
	}
	var out []string
	for x, n := range in {
		if n != 0 {
			out = append(out, x)
		}
	}
	return out
}

func TestZeroChurnRepeatsThePass(t *testing.T) {
	dir := generateInto(t, "--hosts", "1000", "--passes", "2", "--churn", "0", "--control-planes=false")
	for _, f := range []string{"inventory.csv", "responsive", "dead-reboot"} {
		a, err := os.ReadFile(filepath.Join(dir, "pass-001", f))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(dir, "pass-002", f))
		require.NoError(t, err)
		assert.Equal(t, a, b, f)
	}
}

func TestListsMatchInventory(t *testing.T) {
	dir := generateInto(t, "--hosts", "2000", "--passes", "2", "--lists")
	for _, pass := range []string{"pass-001", "pass-002"} {
		pd := filepath.Join(dir, pass)
		_, rows := readInventory(t, filepath.Join(pd, "inventory.csv"))
		all := readList(t, filepath.Join(pd, "lists", "all"))
		assert.Equal(t, hostsOf(rows, func(row) bool { return true }), all)
		assert.Equal(t, hostsOf(rows, func(r row) bool { return r["hadoop_exclude"] == "true" }),
			readList(t, filepath.Join(pd, "lists", "hadoop_exclude")))
		assert.Equal(t, hostsOf(rows, func(r row) bool { return r["puppet_ok"] == "true" }),
			readList(t, filepath.Join(pd, "lists", "puppet_ok")))
		resp := readList(t, filepath.Join(pd, "responsive"))
		assert.Equal(t, resp, readList(t, filepath.Join(pd, "lists", "responsive")))
		active := hostsOf(rows, func(r row) bool { return r["lifecycle"] == "active" })
		assert.InDelta(t, 0.95, float64(len(intersect(resp, active)))/float64(len(active)), 0.03)
		dead := hostsOf(rows, func(r row) bool { return r["lifecycle"] == "dead" })
		deadReboot := readList(t, filepath.Join(pd, "dead-reboot"))
		assert.Equal(t, deadReboot, intersect(deadReboot, dead), "dead-reboot only holds dead hosts")
		for _, l := range [][]string{all, resp, deadReboot} {
			assert.True(t, slices.IsSorted(l))
		}
	}
}

func intersect(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if in[x] {
			out = append(out, x)
		}
	}
	return out
}

func TestDeterministic(t *testing.T) {
	args := []string{"--hosts", "1500", "--passes", "3", "--lists", "--seed", "7"}
	a, b := generateInto(t, args...), generateInto(t, args...)
	fa, fb := readTree(t, a), readTree(t, b)
	require.NotEmpty(t, fa)
	assert.Equal(t, slices.Sorted(maps.Keys(fa)), slices.Sorted(maps.Keys(fb)))
	for name, data := range fa {
		assert.True(t, bytes.Equal(data, fb[name]), "%s differs between runs", name)
	}
	c := readTree(t, generateInto(t, "--hosts", "1500", "--passes", "3", "--lists", "--seed", "8"))
	assert.NotEqual(t, fa["pass-001/inventory.csv"], c["pass-001/inventory.csv"], "the seed matters")
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = data
		return err
	}))
	return files
}

func TestControlPlanes(t *testing.T) {
	dir := generateInto(t, "--hosts", "5000", "--passes", "1")
	pd := filepath.Join(dir, "pass-001")
	_, rows := readInventory(t, filepath.Join(pd, "inventory.csv"))
	inInventory := map[string]bool{}
	for _, r := range rows {
		inInventory[r["host"]] = true
	}

	report, err := os.ReadFile(filepath.Join(pd, "hdfs-report.txt"))
	require.NoError(t, err)
	text := string(report)
	assert.True(t, strings.HasPrefix(text, "Configured Capacity: "))
	for _, s := range []string{"\nLive datanodes (", "\nDead datanodes (", "\nDecommissioning datanodes (",
		"Decommission Status : Decommission in progress\n", "Decommission Status : Decommissioned\n",
		"\n-------------------------------------------------\n", "Erasure Coded Block Groups: \n"} {
		assert.Contains(t, text, s)
	}
	var unknown []string
	for _, l := range strings.Split(text, "\n") {
		if h, ok := strings.CutPrefix(l, "Hostname: "); ok && !inInventory[h] {
			unknown = append(unknown, h)
		}
	}
	assert.Len(t, unknown, 5, "hdfs - inventory")

	yarn := readList(t, filepath.Join(pd, "yarn-nodes.txt"))
	require.Greater(t, len(yarn), 2)
	assert.Equal(t, "Total Nodes:"+strconv.Itoa(len(yarn)-2), yarn[0])
	assert.Equal(t, "         Node-Id\t     Node-State\tNode-Http-Address\tNumber-of-Running-Containers", yarn[1])
	states := map[string]int{}
	for _, l := range yarn[2:] {
		cols := strings.Split(l, "\t")
		require.Len(t, cols, 4, l)
		states[strings.TrimSpace(cols[1])]++
	}
	for _, s := range []string{"RUNNING", "UNHEALTHY", "LOST", "DECOMMISSIONED", "DECOMMISSIONING"} {
		assert.Greater(t, states[s], 0, s)
	}

	var prom struct {
		Status string
		Data   struct {
			Result []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(pd, "prom-up.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &prom))
	assert.Equal(t, "success", prom.Status)
	var up []string
	for _, r := range prom.Data.Result {
		assert.Equal(t, float64(options{start: defaultStart}.passTime(1).Unix()), r.Value[0])
		if r.Value[1] == "1" {
			up = append(up, strings.TrimSuffix(r.Metric["instance"], ":9100"))
		}
	}
	assert.Equal(t, readList(t, filepath.Join(pd, "responsive")), up)
}

func TestControlPlanesOff(t *testing.T) {
	dir := generateInto(t, "--hosts", "500", "--passes", "1", "--control-planes=false")
	_, err := os.Stat(filepath.Join(dir, "pass-001", "hdfs-report.txt"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	manifest, err := os.ReadFile(filepath.Join(dir, "MANIFEST"))
	require.NoError(t, err)
	assert.Contains(t, string(manifest), "flags: --hosts 500 --passes 1 --churn 0.01 --seed 1 --lists=false --control-planes=false\n")
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--out", t.TempDir(), "--hosts", "10"},
		{"--out", t.TempDir(), "--passes", "0"},
		{"--out", t.TempDir(), "extra"},
		{"--out", t.TempDir(), "--bogus"},
	} {
		assert.Error(t, run(args, &bytes.Buffer{}), "%q", args)
	}
}

func TestAppendSize(t *testing.T) {
	for n, want := range map[int64]string{
		0:              "0 (0 B)\n",
		4294967296:     "4294967296 (4 GB)\n",
		1073741824000:  "1073741824000 (1000 GB)\n",
		47999875072000: "47999875072000 (43.66 TB)\n",
		3758096384:     "3758096384 (3.50 GB)\n",
		1048576:        "1048576 (1 MB)\n",
		1048576000000:  "1048576000000 (976.56 GB)\n",
	} {
		assert.Equal(t, want, string(appendSize(nil, n)))
	}
}

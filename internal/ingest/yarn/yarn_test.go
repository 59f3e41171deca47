package yarn

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/ingest/sourcetest"
)

const headerLine = "         Node-Id\t     Node-State\tNode-Http-Address\tNumber-of-Running-Containers\n"

// mixed is what both node-list-all-mixed fixtures hold: host, state,
// running containers.
var mixed = [][3]any{
	{"nm01.dc1.example.net", "running", 37.0},
	{"nm02.dc1.example.net", "running", 41.0},
	{"10.10.9.33", "running", 0.0},
	{"nm04.dc1.example.net", "unhealthy", 0.0},
	{"nm05.dc1.example.net", "decommissioning", 6.0},
	{"nm06", "new", 0.0},
	{"nm07.dc1.example.net", "decommissioned", 0.0},
	{"nm08.dc1.example.net", "decommissioned", 0.0}, // excluded: nm08...:-1
	{"nm09.dc1.example.net", "lost", 0.0},
	{"nm10.dc1.example.net", "shutdown", 0.0},
	{"nm11.dc1.example.net", "rebooted", 0.0},
}

func TestParseYARNFixtures(t *testing.T) {
	tests := []struct {
		file    string
		records int
		nodes   [][3]any // host, yarn.state, yarn.containers
		attrs   map[string]map[string]any
	}{
		{
			file: "yarn/assembled-node-list-all-mixed-stdout.txt", records: 11, nodes: mixed,
			attrs: map[string]map[string]any{
				"nm08.dc1.example.net": {"yarn.node_id": "nm08.dc1.example.net:-1", "yarn.http_address": "nm08.dc1.example.net:-1"},
				"nm06":                 {"yarn.node_id": "nm06:39081", "yarn.http_address": "nm06:8042"},
			},
		},
		{file: "yarn/assembled-node-list-all-mixed-terminal-with-log-line.txt", records: 11, nodes: mixed},
		{
			file: "yarn/assembled-node-list-showDetails.txt", records: 2,
			nodes: [][3]any{{"nm01.dc1.example.net", "running", 37.0}, {"nm04.dc1.example.net", "unhealthy", 0.0}},
			attrs: map[string]map[string]any{
				"nm01.dc1.example.net": {"yarn.memory_mb": 245760.0, "yarn.vcores": 48.0, "yarn.memory_used_mb": 196608.0, "yarn.vcores_used": 37.0, "yarn.labels": "gpu,ssd"},
				"nm04.dc1.example.net": {"yarn.memory_used_mb": 0.0, "yarn.labels": nil},
			},
		},
		{
			file: "yarn/assembled-node-status-unhealthy.txt", records: 1,
			nodes: [][3]any{{"nm04.dc1.example.net", "unhealthy", 0.0}},
			attrs: map[string]map[string]any{"nm04.dc1.example.net": {
				"yarn.rack": "/dc1/r11", "yarn.memory_mb": 245760.0, "yarn.vcores": 48.0, "yarn.vcores_used": 0.0,
				"yarn.http_address": "nm04.dc1.example.net:8042", "yarn.labels": nil,
			}},
		},
		{
			// TestYarnCLI's synthetic listing: host0 six times, first active row wins.
			file: "yarn/testyarncli-node-list-All-expected.txt", records: 7,
			nodes: [][3]any{{"host0", "new", 0.0}, {"host1", "running", 0.0}},
		},
	}
	var covered []string
	for _, tc := range tests {
		covered = append(covered, tc.file)
		t.Run(tc.file, func(t *testing.T) {
			src, err := Parse(tc.file, sourcetest.Fixture(t, tc.file))
			require.NoError(t, err)
			sourcetest.Invariants(t, src)
			assert.Equal(t, "yarn", src.Kind)
			assert.Equal(t, "yarn", src.Name)
			assert.Equal(t, tc.records, src.Records)
			var hosts []string
			for _, n := range tc.nodes {
				hosts = append(hosts, n[0].(string))
			}
			require.Equal(t, hosts, src.Hosts)
			for _, n := range tc.nodes {
				assert.Equal(t, n[1], sourcetest.Attr(t, src, n[0].(string), "yarn.state"), "%s yarn.state", n[0])
				assert.Equal(t, n[2], sourcetest.Attr(t, src, n[0].(string), "yarn.containers"), "%s yarn.containers", n[0])
			}
			for host, attrs := range tc.attrs {
				for name, want := range attrs {
					assert.Equal(t, want, sourcetest.Attr(t, src, host, name), "%s %s", host, name)
				}
			}
		})
	}
	sourcetest.RequireCovered(t, "yarn", covered)
}

func TestParseYARNDetails(t *testing.T) {
	src, err := Parse("s", sourcetest.Fixture(t, "yarn/assembled-node-status-unhealthy.txt"))
	require.NoError(t, err)
	hr := sourcetest.Attr(t, src, "nm04.dc1.example.net", "yarn.health_report").(string)
	assert.True(t, strings.HasPrefix(hr, "1/4 local-dirs usable space"), hr)
	assert.True(t, strings.HasSuffix(hr, "used space above threshold of 90.0% ]"), "trailing space trimmed: %q", hr)

	cli, err := Parse("s", sourcetest.Fixture(t, "yarn/testyarncli-node-list-All-expected.txt"))
	require.NoError(t, err)
	assert.Equal(t, []string{"host1"}, sourcetest.Alt(t, cli, "host0"), "Http-Address host differs")
	assert.Nil(t, sourcetest.Alt(t, cli, "host1"))
	require.Len(t, cli.Warnings, 1)
	assert.Contains(t, cli.Warnings[0], "host0 is listed 6 times")
}

func TestParseYARNDuplicates(t *testing.T) {
	row := func(id, state, http string) string { return id + "\t" + state + "\t" + http + "\t0\n" }
	for _, tc := range []struct {
		name, rows, state, id string
	}{
		{"excluded placeholder first", row("nm08:-1", " DECOMMISSIONED", "nm08:-1") + row("nm08:45454", "RUNNING", "nm08:8042"), "running", "nm08:45454"},
		{"excluded placeholder last", row("nm08:45454", "RUNNING", "nm08:8042") + row("nm08:-1", " DECOMMISSIONED", "nm08:-1"), "running", "nm08:45454"},
		{"old registration lost, new running", row("NM08:41000", "LOST", "nm08:8042") + row("nm08:42000", "RUNNING", "nm08:8042"), "running", "nm08:42000"},
		{"inactive beats placeholder", row("nm08:-1", "DECOMMISSIONED", "nm08:-1") + row("nm08:41000", "SHUTDOWN", "nm08:8042"), "shutdown", "nm08:41000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Parse("x", []byte("Total Nodes:2\n"+headerLine+tc.rows))
			require.NoError(t, err)
			assert.Equal(t, []string{"nm08"}, src.Hosts)
			assert.Equal(t, tc.state, sourcetest.Attr(t, src, "nm08", "yarn.state"))
			assert.Equal(t, tc.id, sourcetest.Attr(t, src, "nm08", "yarn.node_id"))
			assert.Equal(t, 2, src.Records)
		})
	}
}

func TestParseYARNEmpty(t *testing.T) {
	src, err := Parse("x", []byte("Total Nodes:0\n"+headerLine))
	require.Error(t, err)
	assert.True(t, errors.Is(err, source.ErrEmpty))
	require.NotNil(t, src)
	assert.Empty(t, src.Hosts)
}

func TestParseYARNErrors(t *testing.T) {
	full := string(sourcetest.Fixture(t, "yarn/assembled-node-list-all-mixed-stdout.txt"))
	lines := strings.SplitAfter(full, "\n")
	head := func(n int) string { return strings.Join(lines[:n], "") }
	hdfs := string(sourcetest.Fixture(t, "hdfs/assembled-dfsadmin-report-hadoop3-mixed-states.txt"))
	k8s := string(sourcetest.Fixture(t, "k8s/assembled-api-v1-nodes-NodeList-compact.json"))
	list := "Total Nodes:1\n" + headerLine
	for _, tc := range []struct {
		name, input string
		line        int // of the *LineError, 0 for the whole file
		want        string
	}{
		{"garbage", "hello\nworld\n", 1, "not yarn node -list output"},
		{"empty", "", 1, "not yarn node -list output"},
		{"binary", "Total Nodes:1\n\x00\x01", 2, "binary data"},
		{"hdfs file", hdfs, 1, "not yarn node -list output"},
		{"k8s file", k8s, 1, "not yarn node -list output"},
		{"truncated rows", head(6), 6, "'Total Nodes:11' but 4 node rows follow"},
		{"truncated mid-row", head(5) + "nm04.dc1.example.net:45454\t      UNHEA", 6, "has 2 TAB-separated columns"},
		{"truncated mid-row before tab", head(5) + "nm04.dc1.exa", 6, "has 1 TAB-separated columns"},
		{"no header", "Total Nodes:1\n", 1, "ends before the header line"},
		{"bad header", "Total Nodes:1\nfoo\tbar\n", 2, "bad header"},
		{"bad total", "Total Nodes:eleven\n", 1, "expected 'Total Nodes:<count>'"},
		{"spaces instead of tabs", list + "nm01:1  RUNNING  nm01:8042  0\n", 3, "has 1 TAB-separated columns, expected 4"},
		{"unknown state", list + "nm01:1\tSLEEPING\tnm01:8042\t0\n", 3, "unknown Node-State \"SLEEPING\""},
		{"bad node id", list + "nm01\tRUNNING\tnm01:8042\t0\n", 3, "bad Node-Id \"nm01\""},
		{"bad port", list + "nm01:http\tRUNNING\tnm01:8042\t0\n", 3, "bad Node-Id"},
		{"empty host", list + ":45454\tRUNNING\tnm01:8042\t0\n", 3, "bad Node-Id"},
		{"bad http address", list + "nm01:1\tRUNNING\tnm01\t0\n", 3, "bad Node-Http-Address"},
		{"bad containers", list + "nm01:1\tRUNNING\tnm01:8042\tmany\n", 3, "bad Number-of-Running-Containers"},
		{"too many rows", list + "a:1\tRUNNING\ta:8042\t0\nb:1\tRUNNING\tb:8042\t0\n", 4, "'Total Nodes:1' but 2 node rows follow"},
		{"bad details", list + "a:1\tRUNNING\ta:8042\t0\nDetailed Node Information :\n\tConfigured Resources : memory 1\n", 5, "bad resources"},
		{"status without state", "Node Report : \n\tNode-Id : a:1\n", 1, "no 'Node-State :' line"},
		{"status bad line", "Node Report : \n\tNode-Id : a:1\n\tgarbage\n", 3, "expected 'Key : value'"},
		{"status bad memory", "Node Report : \n\tNode-Id : a:1\n\tNode-State : RUNNING\n\tMemory-Capacity : lots\n", 4, "bad Memory-Capacity"},
	} {
		t.Run(tc.name, func(t *testing.T) { sourcetest.CheckLineErr(t, Parse, tc.input, tc.line, tc.want) })
	}
}

func TestLooks(t *testing.T) {
	for _, f := range sourcetest.FixtureFiles(t, "yarn") {
		assert.True(t, Looks(source.Head(sourcetest.Fixture(t, f))), f)
	}
	for _, kind := range []string{"hdfs", "k8s"} {
		for _, f := range sourcetest.FixtureFiles(t, kind) {
			assert.False(t, Looks(source.Head(sourcetest.Fixture(t, f))), f)
		}
	}
	assert.False(t, Looks(nil))
}

func FuzzParse(f *testing.F) {
	for _, file := range sourcetest.FixtureFiles(f, "yarn") {
		f.Add(sourcetest.Fixture(f, file))
	}
	f.Add([]byte("Total Nodes:2\n" + headerLine + "a:-1\tDECOMMISSIONED\ta:-1\t0\nA:1\tRUNNING\tb:8042\t3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := Parse("fuzz", data)
		sourcetest.FuzzCheck(t, src, err)
	})
}

package hdfs

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/ingest/sourcetest"
)

// want pins one datanode. live is nil when the report cannot tell.
type want struct {
	state, admin, rack string
	live               any
}

var dN = func(h string) string { return h + ".dc1.example.net" }

func TestParseHDFSFixtures(t *testing.T) {
	hadoop3Hosts := []string{"dn010", "dn011", "dn012", "dn013", "dn009", "dn020", "dn021", "dn022", "dn023"}
	hadoop27Hosts := []string{"dn010", "dn011", "dn012", "dn009", "dn020", "dn022", "dn023"}
	tests := []struct {
		file    string
		hosts   []string // short names, in report order
		records int
		empty   bool
		want    map[string]want
	}{
		{
			file: "hdfs/assembled-dfsadmin-report-hadoop3-mixed-states.txt", hosts: hadoop3Hosts, records: 12,
			want: map[string]want{
				"dn010": {"in_service", "normal", "/dc1/r07", true},
				"dn011": {"in_service", "normal", "/dc1/r07", true},
				"dn012": {"decommissioning", "decommissioning", "/dc1/r08", true}, // also under Decommissioning
				"dn013": {"entering_maintenance", "entering_maintenance", "/dc1/r08", true},
				"dn009": {"in_service", "normal", "/dc1/r07", true},
				"dn020": {"dead", "decommissioned", "/dc1/r09", false},
				"dn021": {"dead", "in_maintenance", "/dc1/r09", false}, // also under In maintenance
				"dn022": {"dead", "normal", "/dc1/r09", false},
				"dn023": {"dead", "normal", "/default-rack", false}, // never registered, no Rack line
			},
		},
		{
			file: "hdfs/assembled-dfsadmin-report-hadoop2.7-style.txt", hosts: hadoop27Hosts, records: 8,
			want: map[string]want{
				"dn010": {"in_service", "normal", "/dc1/r07", true},
				"dn012": {"decommissioning", "decommissioning", "/dc1/r08", true},
				"dn009": {"in_service", "normal", "/dc1/r07", true},
				"dn020": {"dead", "decommissioned", "/dc1/r09", false},
				"dn022": {"dead", "normal", "/dc1/r09", false},
				"dn023": {"dead", "normal", "/default-rack", false},
			},
		},
		{
			file: "hdfs/assembled-dfsadmin-report-decommissioning-filter.txt", hosts: []string{"dn012"}, records: 1,
			want: map[string]want{"dn012": {"decommissioning", "decommissioning", "/dc1/r08", nil}},
		},
		{file: "hdfs/assembled-dfsadmin-report-dead-filter-none-dead.txt", empty: true},
	}
	var covered []string
	for _, tc := range tests {
		covered = append(covered, tc.file)
		t.Run(tc.file, func(t *testing.T) {
			src, err := Parse(tc.file, sourcetest.Fixture(t, tc.file))
			if tc.empty {
				require.Error(t, err)
				assert.True(t, errors.Is(err, source.ErrEmpty), "%v", err)
				require.NotNil(t, src)
				assert.Empty(t, src.Hosts)
				return
			}
			require.NoError(t, err)
			sourcetest.Invariants(t, src)
			assert.Equal(t, "hdfs", src.Kind)
			assert.Equal(t, "hdfs", src.Name)
			assert.Equal(t, tc.records, src.Records)
			var want []string
			for _, h := range tc.hosts {
				want = append(want, dN(h))
			}
			assert.Equal(t, want, src.Hosts)
			for short, w := range tc.want {
				h := dN(short)
				assert.Equal(t, w.state, sourcetest.Attr(t, src, h, "hdfs.state"), "%s hdfs.state", h)
				assert.Equal(t, w.admin, sourcetest.Attr(t, src, h, "hdfs.admin"), "%s hdfs.admin", h)
				assert.Equal(t, w.rack, sourcetest.Attr(t, src, h, "hdfs.rack"), "%s hdfs.rack", h)
				assert.Equal(t, w.live, sourcetest.Attr(t, src, h, "hdfs.live"), "%s hdfs.live", h)
			}
		})
	}
	sourcetest.RequireCovered(t, "hdfs", covered)
}

func TestParseHDFSAttributes(t *testing.T) {
	src, err := Parse("r", sourcetest.Fixture(t, "hdfs/assembled-dfsadmin-report-hadoop3-mixed-states.txt"))
	require.NoError(t, err)
	dn010, dn009, dn023 := dN("dn010"), dN("dn009"), dN("dn023")
	for _, tc := range []struct {
		host, attr string
		want       any
	}{
		{dn010, "hdfs.used_pct", 44.74},
		{dn010, "hdfs.remaining_pct", 52.58},
		{dn010, "hdfs.capacity_bytes", 47999875072000.0},
		{dn010, "hdfs.used_bytes", 21474836480123.0},
		{dn010, "hdfs.remaining_bytes", 25236548403077.0},
		{dn010, "hdfs.cache_capacity_bytes", 4294967296.0},
		{dn010, "hdfs.xceivers", 14.0},
		{dn010, "hdfs.num_blocks", 151203.0},
		{dn010, "hdfs.last_contact", sourcetest.Unix("2026-08-20T08:59:55Z")},
		{dn010, "hdfs.last_block_report", sourcetest.Unix("2026-08-20T08:20:03Z")},
		{dn010, "hdfs.ip", "10.10.7.10"},
		{dn010, "hdfs.xfer_port", 9866.0},
		{dn023, "hdfs.used_pct", 100.0}, // zero capacity reports 100%
		{dn023, "hdfs.last_contact", int64(0)},
		{dn023, "hdfs.last_block_report", nil}, // "Never"
		{dn009, "hdfs.num_blocks", 2.0},
	} {
		assert.Equal(t, tc.want, sourcetest.Attr(t, src, tc.host, tc.attr), "%s %s", tc.host, tc.attr)
	}
	// Name's IP is an alternative; the rDNS name equals Hostname so is not.
	assert.Equal(t, []string{"10.10.7.10"}, sourcetest.Alt(t, src, dn010))
	assert.Equal(t, []string{"10.10.7.9"}, sourcetest.Alt(t, src, dn009))

	old, err := Parse("r", sourcetest.Fixture(t, "hdfs/assembled-dfsadmin-report-hadoop2.7-style.txt"))
	require.NoError(t, err)
	assert.Nil(t, sourcetest.Attr(t, old, dn010, "hdfs.num_blocks"), "Hadoop 2.7 has no Num of Blocks")
	assert.Equal(t, 50010.0, sourcetest.Attr(t, old, dn010, "hdfs.xfer_port"))
}

// blockText is a minimal datanode block; fields override lines.
func blockText(name, host string, extra ...string) string {
	lines := []string{
		"Name: " + name, "Hostname: " + host, "Decommission Status : Normal",
		"Configured Capacity: 100 (100 B)", "DFS Used%: 1.00%", "Last contact: Thu Aug 20 08:59:55 UTC 2026",
	}
	return strings.Join(append(lines, extra...), "\n") + "\n\n\n"
}

func TestParseHDFSQuirks(t *testing.T) {
	t.Run("rdns differs from Hostname, noise before report, legacy inprogress", func(t *testing.T) {
		in := "2026-08-20 09:00:01,000 WARN util.NativeCodeLoader: Unable to load native-hadoop library\n" +
			"Safe mode is ON\nConfigured Capacity: 1 (1 B)\n\n-------------------------------------------------\n" +
			"Live datanodes (1):\n\n" +
			strings.Replace(blockText("127.0.0.1:9866 (localhost)", "02054491F2FE"), "Normal", "Decommission inprogress", 1)
		src, err := Parse("x", []byte(in))
		require.NoError(t, err)
		assert.Equal(t, []string{"02054491f2fe"}, src.Hosts)
		assert.Equal(t, []string{"127.0.0.1", "localhost"}, sourcetest.Alt(t, src, "02054491f2fe"))
		assert.Equal(t, "decommissioning", sourcetest.Attr(t, src, "02054491f2fe", "hdfs.state"))
	})
	t.Run("same host under two addresses: live wins, both IPs kept", func(t *testing.T) {
		in := "Dead datanodes (1):\n\n" + blockText("10.0.0.1:9866", "dn1") +
			"Live datanodes (1):\n\n" + blockText("10.0.0.2:9866", "dn1")
		src, err := Parse("x", []byte(in))
		require.NoError(t, err)
		assert.Equal(t, []string{"dn1"}, src.Hosts)
		assert.Equal(t, true, sourcetest.Attr(t, src, "dn1", "hdfs.live"))
		assert.Equal(t, "10.0.0.2", sourcetest.Attr(t, src, "dn1", "hdfs.ip"))
		assert.Equal(t, []string{"10.0.0.1", "10.0.0.2"}, sourcetest.Alt(t, src, "dn1"))
		assert.Len(t, src.Warnings, 1)
	})
	t.Run("state section before Live still loses to Live", func(t *testing.T) {
		in := "In maintenance datanodes (1):\n\n" + blockText("10.0.0.1:9866", "dn1") +
			"Dead datanodes (1):\n\n" + blockText("10.0.0.1:9866", "dn1")
		src, err := Parse("x", []byte(in))
		require.NoError(t, err)
		assert.Equal(t, false, sourcetest.Attr(t, src, "dn1", "hdfs.live"))
		assert.Equal(t, "dead", sourcetest.Attr(t, src, "dn1", "hdfs.state"))
		assert.Equal(t, 2, src.Records)
	})
	t.Run("CST is read as US Central and warned about", func(t *testing.T) {
		in := "Live datanodes (1):\n\n" + strings.Replace(blockText("10.0.0.1:9866", "dn1"), "UTC", "CST", 1)
		src, err := Parse("x", []byte(in))
		require.NoError(t, err)
		assert.Equal(t, sourcetest.Unix("2026-08-20T14:59:55Z"), sourcetest.Attr(t, src, "dn1", "hdfs.last_contact"))
		require.Len(t, src.Warnings, 1)
		assert.Contains(t, src.Warnings[0], "CST")
	})
	t.Run("CRLF line endings", func(t *testing.T) {
		in := strings.ReplaceAll("Live datanodes (1):\n\n"+blockText("10.0.0.1:9866", "dn1"), "\n", "\r\n")
		src, err := Parse("x", []byte(in))
		require.NoError(t, err)
		assert.Equal(t, "in_service", sourcetest.Attr(t, src, "dn1", "hdfs.state"))
	})
}

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // RFC 3339, "" for an error
		note bool
	}{
		{"Thu Aug 20 08:59:55 UTC 2026", "2026-08-20T08:59:55Z", false},
		{"Thu Aug 20 08:59:55 GMT 2026", "2026-08-20T08:59:55Z", false},
		{"Thu Aug 20 10:59:55 CEST 2026", "2026-08-20T08:59:55Z", false},
		{"Thu Jan 01 09:00:00 CET 2026", "2026-01-01T08:00:00Z", false},
		{"Thu Aug 20 01:59:55 PDT 2026", "2026-08-20T08:59:55Z", false},
		{"Thu Jan 01 00:00:00 PST 2026", "2026-01-01T08:00:00Z", false},
		{"Thu Aug 20 04:59:55 EDT 2026", "2026-08-20T08:59:55Z", false},
		{"Thu Jan 01 03:00:00 EST 2026", "2026-01-01T08:00:00Z", false},
		{"Thu Jan 01 02:00:00 CST 2026", "2026-01-01T08:00:00Z", true},
		{"Thu Aug 20 16:59:55 GMT+08:00 2026", "2026-08-20T08:59:55Z", false},
		{"Thu Aug 20 03:29:55 GMT-05:30 2026", "2026-08-20T08:59:55Z", false},
		{"Thu Aug 20 08:59:55 XYZT 2026", "2026-08-20T08:59:55Z", true},
		{"Thu Jan 01 00:00:00 UTC 1970", "1970-01-01T00:00:00Z", false},
		{"Thu Aug 20 08:59 UTC 2026", "", false},
		{"Never", "", false},
		{"Thu Foo 20 08:59:55 UTC 2026", "", false},
	} {
		d, err := parseDate(tc.in)
		if tc.want == "" {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, sourcetest.Unix(tc.want), d.unix, tc.in)
		assert.Equal(t, tc.note, d.note != "", "%s note %q", tc.in, d.note)
	}
}

func TestParseHDFSErrors(t *testing.T) {
	full := string(sourcetest.Fixture(t, "hdfs/assembled-dfsadmin-report-hadoop3-mixed-states.txt"))
	lines := strings.SplitAfter(full, "\n")
	head := func(n int) string { return strings.Join(lines[:n], "") }
	yarn := string(sourcetest.Fixture(t, "yarn/assembled-node-list-all-mixed-stdout.txt"))
	k8s := string(sourcetest.Fixture(t, "k8s/assembled-kubectl-get-nodes-o-json-mixed.json"))
	section := "Live datanodes (1):\n\n"
	for _, tc := range []struct {
		name, input string
		line        int // of the *LineError, 0 for the whole file
		want        string
	}{
		{"garbage", "hello world\nthis is not a report\n", 1, "not hdfs dfsadmin -report output"},
		{"empty", "", 1, "not hdfs dfsadmin -report output"},
		{"binary NUL", "Configured Capacity: 1\n\x00\x01\x02\x03", 2, "binary data"},
		{"binary invalid UTF-8", "Configured Capacity: 1\nDFS\xff\xfe\n", 2, "binary data"},
		{"yarn file", yarn, 1, "not hdfs dfsadmin -report output"},
		{"k8s file", k8s, 1, "not hdfs dfsadmin -report output"},
		{"truncated in summary", head(8), 8, "ends inside the cluster summary"},
		{"truncated inside a block", head(50), 44, "truncated"},
		{"truncated inside last block", head(262), 261, "truncated"},
		{"truncated between blocks", head(63), 21, "promises 5 datanode blocks but 2 follow"},
		{"truncated in last section", head(260), 259, "promises 1 datanode blocks but 0 follow"},
		{"block before section", "Configured Capacity: 1\n-----\nName: 10.0.0.1:9866\n", 3, "before any section header"},
		{"garbage after section", section + "foo bar baz\n", 3, "unexpected line \"foo bar baz\""},
		{"garbage in block", section + "Name: 10.0.0.1:9866\nno colon here\n", 4, "expected 'Key: value'"},
		{"bad Name", section + blockText("10.0.0.1", "dn1"), 3, "bad Name"},
		{"bad Name suffix", section + blockText("10.0.0.1:9866 dn1", "dn1"), 3, "bad Name"},
		{"bad hostname", section + blockText("10.0.0.1:9866", "dn 1"), 4, "bad host name"},
		{"unknown admin state", section + strings.Replace(blockText("10.0.0.1:9866", "dn1"), "Normal", "Sleeping", 1), 5, "unknown Decommission Status \"Sleeping\""},
		{"bad size", section + strings.Replace(blockText("10.0.0.1:9866", "dn1"), "100 (100 B)", "lots", 1), 6, "bad Configured Capacity value"},
		{"bad percent", section + strings.Replace(blockText("10.0.0.1:9866", "dn1"), "1.00%", "1.00", 1), 7, "bad DFS Used% value"},
		{"bad date", section + strings.Replace(blockText("10.0.0.1:9866", "dn1"), "08:59:55 UTC", "08:5", 1), 8, "Last contact: bad date"},
		{"missing field", section + strings.Replace(blockText("10.0.0.1:9866", "dn1"), "Decommission Status : Normal\n", "", 1), 3, "no 'Decommission Status:' line"},
	} {
		t.Run(tc.name, func(t *testing.T) { sourcetest.CheckLineErr(t, Parse, tc.input, tc.line, tc.want) })
	}
}

func TestLooks(t *testing.T) {
	for _, f := range sourcetest.FixtureFiles(t, "hdfs") {
		assert.True(t, Looks(source.Head(sourcetest.Fixture(t, f))), f)
	}
	for _, kind := range []string{"yarn", "k8s"} {
		for _, f := range sourcetest.FixtureFiles(t, kind) {
			assert.False(t, Looks(source.Head(sourcetest.Fixture(t, f))), f)
		}
	}
	assert.False(t, Looks(nil))
	assert.False(t, Looks([]byte("host,role\nweb1,web\n")))
}

func FuzzParse(f *testing.F) {
	for _, file := range sourcetest.FixtureFiles(f, "hdfs") {
		f.Add(sourcetest.Fixture(f, file))
	}
	f.Add([]byte("Live datanodes (1):\n\n" + blockText("10.0.0.1:9866 (a)", "dn1", "Rack: /r1", "Num of Blocks: 3")))
	f.Add([]byte("Dead datanodes (0):\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := Parse("fuzz", data)
		sourcetest.FuzzCheck(t, src, err)
	})
}

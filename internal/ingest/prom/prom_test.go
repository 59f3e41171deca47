package prom

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/ingest/sourcetest"
)

// fixtureCase pins the result of one fixture; err, when set, is a substring
// of the expected error, and empty expects source.ErrEmpty.
type fixtureCase struct {
	dir, file string
	err       string
	empty     bool
	want      sourcetest.Want
}

var cases = []fixtureCase{
	{dir: "prometheus", file: "docs-api-query-vector-up.json", want: sourcetest.Want{
		// localhost:9090 and localhost:9100 are two targets on one host:
		// `up` has no single value there, so it is skipped with a warning.
		Hosts: []string{"localhost"}, Records: 2,
		Alt:    map[string][]string{"localhost": {"localhost:9090", "localhost:9100"}},
		Absent: []string{"localhost|up"},
		Warns:  []string{"several instances of one host", ": up"},
	}},
	{dir: "prometheus", file: "docs-api-query_range-matrix-up.json", want: sourcetest.Want{
		Hosts: []string{"localhost"}, Records: 6, Absent: []string{"localhost|up"},
		Warns: []string{"several instances of one host"},
	}},
	{dir: "prometheus", file: "live-prom2.42-query-error-bad_data.txt",
		err: "live-prom2.42-query-error-bad_data.txt:1: prometheus returned an error: bad_data: invalid parameter \"query\""},
	{dir: "prometheus", file: "live-prom2.42-query-scalar.json",
		err: "live-prom2.42-query-scalar.json:1: resultType scalar carries no series labels"},
	{dir: "prometheus", file: "live-prom2.42-query-vector-inf-nan.json", want: sourcetest.Want{
		// `up / 0` drops __name__: the hosts are seen, the values unnamed.
		Hosts: []string{"127.0.0.1"}, Records: 2,
		Warns: []string{"skipped 2 series without a metric name"},
	}},
	{dir: "prometheus", file: "live-prom2.42-query-vector-no-metric-name.json", want: sourcetest.Want{
		Hosts: []string{"127.0.0.1"}, Records: 1, Alt: map[string][]string{"127.0.0.1": {"127.0.0.1:9100"}},
		Warns: []string{"skipped 1 series without a metric name"},
	}},
	{dir: "prometheus", file: "live-prom2.42-query-vector-node_load1.json", want: sourcetest.Want{
		Hosts: []string{"127.0.0.1"}, Records: 1,
		Num: map[string]float64{"127.0.0.1|node_load1": 0.14},
		TS:  map[string]int64{"127.0.0.1|node_load1": 1795292219000},
	}},
	{dir: "prometheus", file: "live-prom2.42-query-vector-node_uname_info.json", want: sourcetest.Want{
		Hosts: []string{"127.0.0.1"}, Records: 1,
		Str: map[string]string{
			"127.0.0.1|node_uname.release":  "6.18.44-fc-v669",
			"127.0.0.1|node_uname.nodename": "vm",
			"127.0.0.1|node_uname.version":  "#1 SMP PREEMPT_DYNAMIC @0",
			"127.0.0.1|node_uname.rack":     "r01",
		},
		Absent: []string{"127.0.0.1|node_uname.instance", "127.0.0.1|node_uname.job", "127.0.0.1|node_uname_info"},
	}},
	{dir: "prometheus", file: "live-prom2.42-query-vector-up.json", want: sourcetest.Want{
		// Both targets listen on 127.0.0.1 (ports 9100 and 9101).
		Hosts: []string{"127.0.0.1"}, Records: 2, Absent: []string{"127.0.0.1|up"},
		Alt:   map[string][]string{"127.0.0.1": {"127.0.0.1:9100", "127.0.0.1:9101"}},
		Warns: []string{"several instances of one host"},
	}},
	{dir: "prometheus", file: "live-prom2.42-query_range-matrix-node_load1-with-gap.json", want: sourcetest.Want{
		Hosts: []string{"127.0.0.1"}, Records: 18, Absent: []string{"127.0.0.1|node_load1"},
		Warns: []string{"several instances of one host", "node_load1"},
	}},
	{dir: "prometheus", file: "live-prom2.42-query_range-matrix-up-flapping.json", want: sourcetest.Want{
		Hosts: []string{"127.0.0.1"}, Records: 30, Absent: []string{"127.0.0.1|up"},
	}},
	{dir: "prometheus", file: "live-prom2.42-targets.json",
		err: "live-prom2.42-targets.json:1: this is a /api/v1/targets response"},
	// Several JSON documents, one per line (the codec's golden strings);
	// TestParsePromCodecLines reads them one at a time.
	{dir: "prometheus", file: "codec-golden-wire-responses.txt",
		err: "codec-golden-wire-responses.txt:2: unexpected data after the JSON document"},

	{dir: "node_exporter", file: "live-node_exporter1.5.0-metrics.txt", want: sourcetest.Want{
		Hosts: []string{"vm"}, Records: 205,
		Num: map[string]float64{
			"vm|node_load1": 0.14, "vm|node_load15": 0.12, "vm|node_memory_MemTotal_bytes": 2.5276502016e+10,
			"vm|go_goroutines": 8, "vm|go_gc_duration_seconds_count": 3,
		},
		Str: map[string]string{
			"vm|node_uname.release": "6.18.44-fc-v669", "vm|node_uname.domainname": "(none)",
			"vm|node_os.pretty_name": "Debian GNU/Linux 12 (bookworm)", "vm|node_os.version_id": "12",
			"vm|node_exporter_build.version": "1.5.0", "vm|go.version": "go1.19.8",
			"vm|node_time_clocksource_current.clocksource": "tsc",
		},
		// empty label values are absent; node_cpu_seconds_total has 16
		// series; node_time_clocksource_available_info has 2.
		Absent: []string{"vm|node_os.build_id", "vm|node_cpu_seconds_total", "vm|node_time_clocksource_available.clocksource"},
		Warns:  []string{`host "vm" named by node_uname_info`, "skipped 25 metrics with several series per host", "node_cpu_seconds_total"},
	}},
	{dir: "node_exporter", file: "e2e-output-excerpt.txt", want: sourcetest.Want{
		// no node_uname_info: the host is named after the file
		Hosts: []string{"e2e-output-excerpt"}, Records: 31,
		Num: map[string]float64{
			"e2e-output-excerpt|node_boot_time_seconds": 1.418183276e+09, "e2e-output-excerpt|node_load5": 0.37,
			"e2e-output-excerpt|node_textfile_scrape_error": 0,
		},
		Absent: []string{"e2e-output-excerpt|node_network_up", "e2e-output-excerpt|go_goroutines"},
		Warns:  []string{"named after the file", "skipped 3 metrics", "node_network_up"},
	}},
	{dir: "node_exporter", file: "textfile-client_side_timestamp.prom", want: sourcetest.Want{
		Hosts: []string{"textfile-client_side_timestamp"}, Records: 2,
		Num: map[string]float64{"textfile-client_side_timestamp|metric_with_custom_timestamp": 1, "textfile-client_side_timestamp|normal_metric": 2},
		TS:  map[string]int64{"textfile-client_side_timestamp|metric_with_custom_timestamp": 1441205977284},
	}},
	{dir: "node_exporter", file: "textfile-different_metric_types.prom", want: sourcetest.Want{
		// every family has several series (foo, baz labels): nothing left
		// but the host.
		Hosts: []string{"textfile-different_metric_types"}, Records: 22,
		Absent: []string{"textfile-different_metric_types|events_total"},
		Warns:  []string{"skipped 4 metrics", "event_duration_seconds_total_count", "events_total"},
	}},
	{dir: "node_exporter", file: "textfile-inconsistent_metrics.prom", want: sourcetest.Want{
		Hosts: []string{"textfile-inconsistent_metrics"}, Records: 19,
		Absent: []string{"textfile-inconsistent_metrics|go_goroutines"},
		Warns:  []string{"skipped 2 metrics", "go_goroutines, http_requests_total"},
	}},
	// The docs example has a UTF-8 quoted name line without a value;
	// TestParsePromDocsExample reads it with a value added.
	{dir: "node_exporter", file: "docs-exposition-format-example.txt",
		err: "docs-exposition-format-example.txt:10: sample my.dotted.metric has no value"},
	// HTTP response headers, not a format fleetq reads.
	{dir: "node_exporter", file: "live-node_exporter1.5.0-response-headers.txt",
		err: "live-node_exporter1.5.0-response-headers.txt:1: unexpected \"/1.1 200 OK\" after HTTP"},
}

func TestParsePromFixtures(t *testing.T) {
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			src, err := Parse(c.file, sourcetest.Fixture(t, c.dir, c.file))
			switch {
			case c.err != "":
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.err)
				assert.Nil(t, src)
			case c.empty:
				sourcetest.CheckEmpty(t, src, err)
			default:
				require.NoError(t, err)
				sourcetest.Check(t, src, c.want)
				assert.Equal(t, "prom", src.Kind)
				assert.Equal(t, "metrics", src.Name)
			}
		})
	}
}

// TestFixtureCoverage fails when a fixture has no case above.
func TestFixtureCoverage(t *testing.T) {
	have := map[string]bool{}
	for _, c := range cases {
		have[c.dir+"/"+c.file] = true
	}
	for _, dir := range []string{"prometheus", "node_exporter"} {
		for _, name := range sourcetest.FixtureNames(t, dir) {
			assert.True(t, have[dir+"/"+name], "fixture %s/%s has no test case", dir, name)
		}
	}
}

func TestParsePromDocsExample(t *testing.T) {
	data := strings.Replace(string(sourcetest.Fixture(t, "node_exporter", "docs-exposition-format-example.txt")),
		`"Not Found"}`+"\n", `"Not Found"} 7`+"\n", 1)
	src, err := Parse("docs-example.prom", []byte(data))
	require.NoError(t, err)
	sourcetest.Check(t, src, sourcetest.Want{
		Hosts: []string{"docs-example"}, Records: 21,
		Num: map[string]float64{
			"docs-example|my.dotted.metric":                    7,
			"docs-example|msdos_file_access_time_seconds":      1.458255915e9,
			"docs-example|metric_without_timestamp_and_labels": 12.47,
			"docs-example|something_weird":                     math.Inf(1),
			"docs-example|http_request_duration_seconds_count": 144320,
			"docs-example|rpc_duration_seconds_sum":            1.7560473e+07,
		},
		TS:     map[string]int64{"docs-example|something_weird": -3982045},
		Absent: []string{"docs-example|http_requests_total", "docs-example|rpc_duration_seconds"},
		Warns:  []string{"http_request_duration_seconds_bucket", "http_requests_total", "rpc_duration_seconds"},
	})
}

// TestParsePromCodecLines reads the codec's golden responses one document
// at a time: none names a host.
func TestParsePromCodecLines(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(string(sourcetest.Fixture(t, "prometheus", "codec-golden-wire-responses.txt"))), "\n")
	require.Len(t, lines, 21)
	for i, line := range lines {
		src, err := Parse("codec.json", []byte(line))
		switch {
		case i <= 3:
			// vector/matrix without instance labels; line 4 is a native
			// histogram
			sourcetest.CheckEmpty(t, src, err)
			assert.True(t, sourcetest.HasWarn(src, "without an instance") || sourcetest.HasWarn(src, "native histograms"), "line %d: %q", i+1, src.Warnings)
		default:
			// scalars and exemplars with data as an array
			require.Error(t, err, "line %d", i+1)
			assert.Contains(t, err.Error(), "codec.json:1: data is an array, not an object with resultType")
		}
	}
}

func TestParsePromAPI(t *testing.T) {
	const vec = `{"status":"success","data":{"resultType":"vector","result":[
{"metric":{"__name__":"up","instance":"[2001:db8::1]:9100"},"value":[1.5,"1"]},
{"metric":{"__name__":"up","instance":"https://Web02.example.net:8443/probe"},"value":[0.010,"NaN"]},
{"metric":{"__name__":"up","hostname":"web03"},"value":[12345678123456.555,"-Inf"]},
{"metric":{"__name__":"up","instance":"web04"},"value":[-0.001,"1.2345678e-67"]},
{"metric":{"__name__":"up","job":"x"},"value":[1,"1"]},
{"metric":{"__name__":"instance:cpu:rate5m","instance":"web04:9100"},"value":[1,"0.5"]}
]},"warnings":["careful"]}`
	src, err := Parse("q.json", []byte(vec))
	require.NoError(t, err)
	sourcetest.Check(t, src, sourcetest.Want{
		Hosts: []string{"2001:db8::1", "web02.example.net", "web03", "web04"}, Records: 6,
		Num: map[string]float64{"2001:db8::1|up": 1, "web02.example.net|up": math.NaN(), "web03|up": math.Inf(-1),
			"web04|up": 1.2345678e-67, "web04|instance_cpu_rate5m": 0.5},
		TS: map[string]int64{"2001:db8::1|up": 1500, "web02.example.net|up": 10, "web03|up": 12345678123456555, "web04|up": -1},
		Alt: map[string][]string{"2001:db8::1": {"[2001:db8::1]:9100"}, "web02.example.net": {"https://web02.example.net:8443/probe"},
			"web04": {"web04:9100"}},
		Warns: []string{"prometheus warning: careful", "skipped 1 series without an instance"},
	})
}

func TestParsePromMatrixKeepsNewest(t *testing.T) {
	const m = `{"status":"success","data":{"resultType":"matrix","result":[
{"metric":{"__name__":"up","instance":"a:1"},"values":[[30,"0"],[10,"1"],[20,"1"]]},
{"metric":{"__name__":"up","instance":"b:1"},"values":[]}
]}}`
	src, err := Parse("m.json", []byte(m))
	require.NoError(t, err)
	sourcetest.Check(t, src, sourcetest.Want{Hosts: []string{"a", "b"}, Records: 3,
		Num: map[string]float64{"a|up": 0}, TS: map[string]int64{"a|up": 30000}, Absent: []string{"b|up"}})
}

func TestParsePromEmpty(t *testing.T) {
	for _, in := range []string{
		`{"status":"success","data":{"resultType":"vector","result":[]}}`,
		"# HELP x y\n# TYPE x gauge\n",
		"",
	} {
		src, err := Parse("e.prom", []byte(in))
		sourcetest.CheckEmpty(t, src, err)
		assert.Contains(t, err.Error(), "e.prom: no hosts (expected")
	}
}

func TestParsePromErrors(t *testing.T) {
	for _, c := range []struct{ name, data, want string }{
		{"truncated json", `{"status":"success","data":{"resultType":"vec`, "in.txt:1: truncated JSON"},
		{"truncated multi-line", "{\n\"status\": \"success\",\n\"data\": {\"resultType\": \"vector\", \"result\": [\n", "in.txt:3: truncated JSON"},
		{"json syntax", "{\n\"status\": \"success\",\n\"data\": {\"resultType\": \"vector\" \"result\": []}}", "in.txt:3: invalid JSON"},
		{"garbage", "hello world\n", "in.txt:1: value \"world\" of hello is not a number"},
		{"binary", "node_load1 1\n\x00\x01\x02", "in.txt:2: binary data (NUL byte)"},
		{"invalid utf8", "node_load1 1\nfoo \xff\xfe 1\n", "in.txt:2: binary data (invalid UTF-8)"},
		{"wrong kind csv", "host,role\nweb01,db\n", "in.txt:1: unexpected \",role\" after host"},
		{"wrong kind k8s json", `{"kind":"List","items":[]}`, `in.txt:1: status is "", not "success" or "error"`},
		{"netbox json", `{"count":1,"results":[]}`, "status is \"\""},
		{"string result", `{"status":"success","data":{"resultType":"string","result":[1,"x"]}}`, "resultType string carries no series labels"},
		{"unknown result", `{"status":"success","data":{"resultType":"bogus","result":[]}}`, `unknown resultType "bogus"`},
		{"bad sample value", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","instance":"a:1"},"value":[1,1]}]}}`, "not a string"},
		{"bad sample time", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","instance":"a:1"},"value":["x","1"]}]}}`, "sample time \"x\" is not a number"},
		{"no value", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","instance":"a:1"}}]}}`, "series has no value"},
		{"unterminated label", "up{a=\"b} 1\n", "in.txt:1: unterminated quoted string"},
		{"bad escape", `up{a="\x"} 1`, "invalid escape"},
		{"bad timestamp", "up 1 1.5\n", "timestamp \"1.5\" of up is not integer milliseconds"},
		{"trailing junk", "up 1 2 3\n", "unexpected \"3\" after the sample of up"},
		{"duplicate label", `up{a="1",a="2"} 1`, "label a given twice"},
		{"stdin without nodename", "up 1\n", ""},
	} {
		if c.want == "" {
			continue // covered by TestParsePromStdin
		}
		t.Run(c.name, func(t *testing.T) { sourcetest.CheckErr(t, Parse, c.data, c.want) })
	}
}

func TestParsePromStdin(t *testing.T) {
	_, err := Parse("-", []byte("up 1\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-: cannot tell which host this scrape is from")
	src, err := Parse("-", []byte("node_uname_info{nodename=\"Web01\",domainname=\"example.net\"} 1\nup 1\n"))
	require.NoError(t, err)
	sourcetest.Check(t, src, sourcetest.Want{Hosts: []string{"web01"}, Records: 2, Num: map[string]float64{"web01|up": 1},
		Alt: map[string][]string{"web01": {"web01.example.net"}}})
}

func TestLooks(t *testing.T) {
	yes := []string{"prometheus/docs-api-query-vector-up.json", "prometheus/live-prom2.42-query-error-bad_data.txt",
		"node_exporter/live-node_exporter1.5.0-metrics.txt", "node_exporter/textfile-client_side_timestamp.prom",
		"node_exporter/docs-exposition-format-example.txt"}
	no := []string{"ansible/fleet-inventory.ini", "ansible/fleet-inventory.yml", "ansible/ansible-inventory-list-fleet-ini.json",
		"netbox/assembled-netbox-device-import.csv", "netbox/assembled-netbox4-devices-list.json",
		"node_exporter/live-node_exporter1.5.0-response-headers.txt"}
	for _, f := range yes {
		dir, name, _ := strings.Cut(f, "/")
		assert.True(t, Looks(source.Head(sourcetest.Fixture(t, dir, name))), f)
	}
	for _, f := range no {
		dir, name, _ := strings.Cut(f, "/")
		assert.False(t, Looks(source.Head(sourcetest.Fixture(t, dir, name))), f)
	}
	assert.False(t, Looks(nil))
	assert.False(t, Looks([]byte("web01\nweb02\n")))
}

func FuzzParse(f *testing.F) {
	for _, c := range cases {
		f.Add(sourcetest.Fixture(f, c.dir, c.file))
	}
	f.Add([]byte(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","instance":"a:1"},"values":[[1,"1"]]}]}}`))
	f.Add([]byte("up{instance=\"a\",x=\"\\\"\\n\\\\\"} +Inf -5 # {t=\"1\"} 1\n{\"a.b\",\"c\"=\"d\"} 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := Parse("fuzz.prom", data)
		sourcetest.FuzzCheck(t, src, err)
	})
}

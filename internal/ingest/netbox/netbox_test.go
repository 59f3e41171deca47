package netbox

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/ingest/sourcetest"
)

type fixtureCase struct {
	file string
	want sourcetest.Want
	err  string // the exact error, when the fixture is refused
}

var (
	dN      = []string{"dn001.dc1.example.net", "dn002.dc1.example.net", "dn003.dc1.example.net", "dn005.dc1.example.net"}
	pynetbx = []string{"test1-core1", "test1-core2", "test1-edge1", "test1-edge2", "test1-leaf1", "test1-leaf2", "test1-oob1",
		"test1-pdu1", "test1-pdu2", "test1-spine1", "test1-spine2"}
)

var cases = []fixtureCase{
	{file: "assembled-netbox-device-import.csv", want: sourcetest.Want{
		// the fourth row has no name; dn005's comment has an embedded
		// newline; dn003's has a quoted comma; position 10.5 is decimal.
		Hosts: append(append([]string(nil), dN...), "gpu-a.dc2.example.net"), Records: 6,
		Str: map[string]string{
			"dn001.dc1.example.net|site": "DC1 Frankfurt", "dn001.dc1.example.net|rack": "R07",
			"dn001.dc1.example.net|role": "HDFS DataNode", "dn002.dc1.example.net|status": "decommissioning",
			"dn003.dc1.example.net|status": "failed", "gpu-a.dc2.example.net|manufacturer": "Supermicro",
			"gpu-a.dc2.example.net|device_type": "SYS-821GE-TNHR", "gpu-a.dc2.example.net|tenant": "ML Platform",
			"dn005.dc1.example.net|platform": "Ubuntu 22.04", "dn005.dc1.example.net|serial": "7XK2Q99",
		},
		Num:    map[string]float64{"dn003.dc1.example.net|position": 10.5, "gpu-a.dc2.example.net|position": 1},
		Absent: []string{"dn001.dc1.example.net|primary_ip"},
		Sets:   map[string][]string{},
		Warns:  []string{"skipped 1 device without a name"},
	}},
	// NetBox's own test data names devices "Device 4": such a name cannot be
	// a host key (it could never be named in a query), so the file is
	// refused and no pass is made.
	{file: "netbox-test-device-import.csv", err: `netbox-test-device-import.csv:2: host "device 4": contains a blank (a host key is 1 to 253 letters, digits, '-', '_', '.' or ':', not starting with '-' or '.')`},
	{file: "assembled-netbox4-devices-list.json", want: sourcetest.Want{
		Hosts: dN, Records: 5,
		Str: map[string]string{
			"dn001.dc1.example.net|site": "DC1 Frankfurt", "dn001.dc1.example.net|rack": "R07",
			"dn001.dc1.example.net|role": "HDFS DataNode", "dn001.dc1.example.net|status": "active",
			"dn002.dc1.example.net|status": "decommissioning", "dn001.dc1.example.net|platform": "Ubuntu 22.04",
			"dn001.dc1.example.net|tenant": "Storage Platform", "dn001.dc1.example.net|manufacturer": "Dell",
			"dn001.dc1.example.net|device_type": "PowerEdge R650", "dn001.dc1.example.net|serial": "7XK2Q95",
			"dn001.dc1.example.net|primary_ip": "10.10.7.21", "dn005.dc1.example.net|primary_ip": "10.10.8.25",
			"dn001.dc1.example.net|cf.hdfs_rack": "/dc1/r07", "dn003.dc1.example.net|cf.hdfs_rack": "/dc1/r08",
			"dn002.dc1.example.net|cf.warranty_end": "2027-03-31",
		},
		Num:    map[string]float64{"dn001.dc1.example.net|position": 12, "dn003.dc1.example.net|position": 10.5},
		Absent: []string{"dn003.dc1.example.net|primary_ip", "dn003.dc1.example.net|cf.warranty_end"},
		Alt:    map[string][]string{"dn001.dc1.example.net": {"10.10.7.21"}, "dn003.dc1.example.net": nil},
		Warns:  []string{"skipped 1 device without a name"},
	}},
	{file: "pynetbox-fixture-device.json", want: sourcetest.Want{
		// NetBox 2.x: status {"value": true, "label": "Active"}
		Hosts: []string{"test1-edge1"}, Records: 1,
		Str: map[string]string{"test1-edge1|status": "active", "test1-edge1|role": "Router", "test1-edge1|site": "TEST1",
			"test1-edge1|rack": "A1R1", "test1-edge1|device_type": "MX960", "test1-edge1|manufacturer": "Juniper",
			"test1-edge1|platform": "Juniper Junos", "test1-edge1|serial": "5555555555", "test1-edge1|primary_ip": "10.0.255.1"},
		Num:    map[string]float64{"test1-edge1|position": 1},
		Absent: []string{"test1-edge1|tenant"},
		Alt:    map[string][]string{"test1-edge1": {"10.0.255.1"}},
	}},
	{file: "pynetbox-fixture-devices-list.json", want: sourcetest.Want{
		Hosts: pynetbx, Records: 11,
		Str: map[string]string{"test1-core1|role": "Core Switch", "test1-pdu1|role": "PDU", "test1-oob1|manufacturer": "Opengear",
			"test1-core2|serial": "67856734534", "test1-core1|primary_ip": "10.0.254.1", "test1-spine2|rack": "A1R2"},
		Num:    map[string]float64{"test1-leaf1|position": 34, "test1-oob1|position": 42},
		Absent: []string{"test1-pdu1|position", "test1-core1|serial", "test1-pdu1|platform", "test1-leaf1|primary_ip"},
	}},
}

func TestParseNetBoxFixtures(t *testing.T) {
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			src, err := Parse(c.file, sourcetest.Fixture(t, "netbox", c.file))
			if c.err != "" {
				require.EqualError(t, err, c.err)
				require.Nil(t, src)
				return
			}
			require.NoError(t, err)
			sourcetest.Check(t, src, c.want)
			assert.Equal(t, "netbox", src.Kind)
			assert.Equal(t, "inventory", src.Name)
		})
	}
}

func TestFixtureCoverage(t *testing.T) {
	have := map[string]bool{}
	for _, c := range cases {
		have[c.file] = true
	}
	for _, name := range sourcetest.FixtureNames(t, "netbox") {
		assert.True(t, have[name], "fixture netbox/%s has no test case", name)
	}
}

func TestParseNetBoxShapes(t *testing.T) {
	const list = `[
 {"name": "Web01", "status": "active", "primary_ip4": {"address": "10.0.0.1/24"}, "device_role": {"slug": "web"},
  "position": "7.5", "custom_fields": {"n": 3, "ok": true, "tags": ["a"], "s": "x", "none": null}},
 {"name": "web01", "status": {"value": "offline"}, "custom_fields": {"n": "three"}},
 {"name": null}, {"name": ""},
 {"name": "db01", "primary_ip": null, "primary_ip6": {"address": "2001:db8::1/64"}}
]`
	src, err := Parse("devs.json", []byte(list))
	require.NoError(t, err)
	sourcetest.Check(t, src, sourcetest.Want{
		Hosts: []string{"web01", "db01"}, Records: 5,
		Str: map[string]string{"web01|status": "offline", "web01|role": "web", "web01|primary_ip": "10.0.0.1",
			"db01|primary_ip": "2001:db8::1", "web01|cf.n": "three", "web01|cf.s": "x"},
		Num:   map[string]float64{"web01|position": 7.5},
		Bool:  map[string]bool{"web01|cf.ok": true},
		Alt:   map[string][]string{"web01": {"10.0.0.1"}, "db01": {"2001:db8::1"}},
		Warns: []string{"skipped 2 devices without a name", "merged 1 device sharing a name", "skipped 1 complex custom field value"},
	})

	page := `{"count": 120, "next": "https://nb/api/dcim/devices/?limit=50&offset=50", "previous": null,
"results": [{"name": "a", "site": {"name": "S", "slug": "s"}}]}`
	src, err = Parse("page.json", []byte(page))
	require.NoError(t, err)
	sourcetest.Check(t, src, sourcetest.Want{Hosts: []string{"a"}, Records: 1, Str: map[string]string{"a|site": "S"},
		Warns: []string{"this is one page of 120 devices; the next page (https://nb/api/dcim/devices/?limit=50&offset=50) was not read"}})

	csv := "\xEF\xBB\xBFName,Device_Role,primary_ip4,cf_rack_unit,cf_flag,cf_mixed\nA,web,10.0.0.2/24,4,true,1\nb,db,,5,false,x\n"
	src, err = Parse("d.csv", []byte(csv))
	require.NoError(t, err)
	sourcetest.Check(t, src, sourcetest.Want{Hosts: []string{"a", "b"}, Records: 2,
		Str:    map[string]string{"a|role": "web", "a|primary_ip": "10.0.0.2", "a|cf.mixed": "1", "b|cf.mixed": "x"},
		Num:    map[string]float64{"a|cf.rack_unit": 4, "b|cf.rack_unit": 5},
		Bool:   map[string]bool{"a|cf.flag": true, "b|cf.flag": false},
		Absent: []string{"b|primary_ip"}})
}

func TestParseNetBoxEmpty(t *testing.T) {
	for _, in := range []string{
		`{"count": 0, "next": null, "previous": null, "results": []}`, `[]`, "name,site\n", "name,site\n,dc1\n",
	} {
		src, err := Parse("nb", []byte(in))
		sourcetest.CheckEmpty(t, src, err)
		assert.Contains(t, err.Error(), "nb: no hosts (expected")
	}
}

func TestParseNetBoxErrors(t *testing.T) {
	for _, c := range []struct{ name, data, want string }{
		{"truncated json", "{\"count\": 1,\n\"results\": [{\"name\": \"a\",", "in.txt:2: truncated JSON"},
		{"json syntax", "[\n{\"name\": \"a\"},\n{\"name\" \"b\"}]", "in.txt:3: invalid JSON"},
		{"device not object", "[\n1]", "in.txt:2: device is a number, not an object"},
		{"name not string", "[\n{\"name\": 5}]", "in.txt:2: device name is not a string"},
		{"results not list", `{"results": {}}`, "in.txt:1: found an object where an array belongs"},
		{"json wrong kind", `{"status":"success","data":{}}`, "in.txt:1: an object with neither results nor device fields"},
		{"csv no name", "host,role\nweb01,db\n", "in.txt:1: CSV header has no name column"},
		{"csv field count", "name,site\na,b\nc\n", "in.txt:3: invalid CSV: wrong number of fields"},
		{"csv bad quote", "name,site\na,\"b\n", "invalid CSV"},
		{"csv bad position", "name,position\na,12U\n", "in.txt:2: position \"12U\" is not a number"},
		{"binary", "name,site\n\x00\x01", "in.txt:2: binary data (NUL byte)"},
		{"garbage", "hello world\n", "in.txt:1: CSV header has no name column"},
		{"empty", "", "in.txt: empty input"},
	} {
		t.Run(c.name, func(t *testing.T) { sourcetest.CheckErr(t, Parse, c.data, c.want) })
	}
}

func TestLooks(t *testing.T) {
	for _, c := range cases {
		assert.True(t, Looks(source.Head(sourcetest.Fixture(t, "netbox", c.file))), c.file)
	}
	for _, f := range []string{"prometheus/docs-api-query-vector-up.json", "ansible/fleet-inventory.ini",
		"ansible/ansible-inventory-list-fleet-ini.json", "node_exporter/e2e-output-excerpt.txt"} {
		dir, name, _ := strings.Cut(f, "/")
		assert.False(t, Looks(source.Head(sourcetest.Fixture(t, dir, name))), f)
	}
	assert.False(t, Looks([]byte("host,role,rack\nweb01,db,r1\n")), "a fleetq inventory CSV")
}

func FuzzParse(f *testing.F) {
	for _, c := range cases {
		f.Add(sourcetest.Fixture(f, "netbox", c.file))
	}
	f.Add([]byte("name,cf_x,position,primary_ip\nA,1,2.5,10.0.0.1/8\n"))
	f.Add([]byte(`[{"name":"a","custom_fields":{"x":1},"status":{"label":"Up"}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := Parse("fuzz.csv", data)
		sourcetest.FuzzCheck(t, src, err)
	})
}

package ansible

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/ingest/sourcetest"
	"github.com/fleetq/fleetq/internal/store"
)

type fixtureCase struct {
	file  string
	err   string
	empty bool
	want  sourcetest.Want
}

// The fleet inventory (INI, YAML and ansible-inventory's renderings of it)
// has the same hosts and groups in every form.
var (
	fleetDN   = []string{"dn001.dc1.example.net", "dn002.dc1.example.net", "dn003.dc1.example.net", "dn004.dc1.example.net", "dn005.dc1.example.net", "dn006.dc1.example.net"}
	fleetNN   = []string{"nn1.dc1.example.net", "nn2.dc1.example.net"}
	fleetGPU  = []string{"gpu-a.dc2.example.net", "gpu-b.dc2.example.net", "gpu-c.dc2.example.net"}
	fleetSets = map[string][]string{
		"datanodes": fleetDN, "namenodes": fleetNN, "gpu": fleetGPU, "dc2": fleetGPU,
		"dc1": append(append([]string(nil), fleetDN...), fleetNN...), "ungrouped": {"bastion01.dc1.example.net"},
	}
	fleetStr = map[string]string{
		"nn1.dc1.example.net|rack": "/dc1/r01", "nn2.dc1.example.net|serial": "7XK2Q94",
		"nn1.dc1.example.net|hw_model": "PowerEdge R650", "gpu-b.dc2.example.net|gpu_model": "H100",
		"bastion01.dc1.example.net|ansible_host": "192.0.2.10", "dn003.dc1.example.net|env": "prod",
		"gpu-c.dc2.example.net|ansible_user": "ops", "dn002.dc1.example.net|owner_team": "storage",
		"dn006.dc1.example.net|maintenance_until": "2026-09-01T06:00:00Z",
	}
	fleetNum = map[string]float64{
		"bastion01.dc1.example.net|ansible_port": 2222, "dn005.dc1.example.net|ansible_port": 2222,
		"dn004.dc1.example.net|disk_count": 4, "gpu-a.dc2.example.net|gpu_count": 8,
	}
	fleetAlt = map[string][]string{"bastion01.dc1.example.net": {"192.0.2.10"}, "nn2.dc1.example.net": {"10.10.0.12"}}
)

func fleet(hosts []string, records int, str map[string]string, b map[string]bool, sets map[string][]string, warns ...string) sourcetest.Want {
	s := map[string]string{}
	for k, v := range fleetStr {
		s[k] = v
	}
	for k, v := range str {
		s[k] = v
	}
	all := map[string][]string{}
	for k, v := range fleetSets {
		all[k] = v
	}
	for k, v := range sets {
		all[k] = v
	}
	return sourcetest.Want{Hosts: hosts, Records: records, Str: s, Num: fleetNum, Bool: b, Sets: all, Alt: fleetAlt,
		Absent: []string{"dn001.dc1.example.net|decommission", "gpu-a.dc2.example.net|disk_count", "nn1.dc1.example.net|ansible_port"},
		NoSets: []string{"all"}, Warns: warns}
}

var (
	fleetINIOrder = append(append(append([]string{"bastion01.dc1.example.net"}, fleetNN...), fleetDN...), fleetGPU...)
	fleetSorted   = append(append(append([]string{"bastion01.dc1.example.net"}, fleetDN...), fleetGPU...), fleetNN...)
	kids          = []string{"marcia", "jan", "cindy", "greg", "peter", "bobby"}
	kidsSorted    = []string{"alice", "bobby", "cindy", "greg", "jan", "marcia", "peter"}
	kidsWant      = func(hosts []string) sourcetest.Want {
		return sourcetest.Want{Hosts: hosts, Records: 7,
			Bool: map[string]bool{"marcia|popular": true, "jan|popular": false, "bobby|in_trouble": true},
			Str:  map[string]string{"alice|status": "single"}, Absent: []string{"alice|in_trouble", "alice|popular"},
			Sets:   map[string][]string{"kids": kids, "the-maid": {"alice"}, "cousins": nil, "redheads": nil},
			NoSets: []string{"all", "ungrouped"}}
	}
	goG = sourcetest.Want{Hosts: []string{"host1", "host2", "host3"},
		Num: map[string]float64{"host1|escape_pods": 2, "host3|halon_system_timeout": 30, "host2|self_destruct_countdown": 60},
		Str: map[string]string{"host2|some_server": "foo.southeast.example.com"},
		Sets: map[string][]string{"atlanta": {"host1", "host2"}, "raleigh": {"host2", "host3"}, "southeast": {"host1", "host2", "host3"},
			"usa": {"host1", "host2", "host3"}, "northeast": nil, "northwest": nil, "southwest": nil},
		NoSets: []string{"all", "ungrouped"}}
	complex = func(hosts []string, records int) sourcetest.Want {
		return sourcetest.Want{Hosts: hosts, Records: records,
			Str: map[string]string{"test1|myvar": "something", "test2|myvar": "something2", "test2|othervar": "stuff",
				"ihavenogroup|ansible_connection": "local", "test6|ansible_connection": "local"},
			Absent: []string{"test3|myvar"},
			Sets: map[string][]string{"ungrouped": {"ihavenogroup", "hostinall"}, "test_group1": {"test1", "test2", "test3"},
				"parent_1": {"test1", "test2", "test3"}, "parent_3": {"test1", "test2", "test3", "test4", "test5", "test6"}},
			NoSets: []string{"all"}}
	}
)

func withRecords(w sourcetest.Want, n int) sourcetest.Want { w.Records = n; return w }

var cases = []fixtureCase{
	{file: "fleet-inventory.ini", want: fleet(fleetINIOrder, 12,
		// INI typing is fleetq's: in_service=false is a bool (ansible-core
		// keeps the string "false"), the comma list stays one string.
		map[string]string{"dn001.dc1.example.net|hdfs_data_dirs": "/data/1,/data/2,/data/3,/data/4"},
		map[string]bool{"dn005.dc1.example.net|decommission": true, "dn006.dc1.example.net|in_service": false}, nil)},
	{file: "fleet-inventory.yml", want: fleet(fleetINIOrder, 13, nil,
		map[string]bool{"dn005.dc1.example.net|decommission": true, "dn006.dc1.example.net|in_service": false},
		map[string][]string{"decommissioned": {"dn005.dc1.example.net"}, "empty_placeholder": nil},
		"skipped 1 complex value (lists or maps) of hdfs_data_dirs")},
	{file: "ansible-inventory-list-fleet-ini.json", want: fleet(fleetSorted, 12,
		map[string]string{"dn006.dc1.example.net|in_service": "false"},
		map[string]bool{"dn005.dc1.example.net|decommission": true}, nil)},
	{file: "ansible-inventory-list-export-fleet-ini.json", want: fleet(
		// --export keeps group vars on the groups; hosts without own vars
		// are listed after those in hostvars.
		append(append([]string{"bastion01.dc1.example.net", "dn005.dc1.example.net", "dn006.dc1.example.net"}, fleetGPU...),
			"nn1.dc1.example.net", "nn2.dc1.example.net", "dn001.dc1.example.net", "dn002.dc1.example.net", "dn003.dc1.example.net", "dn004.dc1.example.net"),
		12, map[string]string{"dn006.dc1.example.net|in_service": "false"},
		map[string]bool{"dn005.dc1.example.net|decommission": true}, nil)},
	{file: "ansible-inventory-list-fleet-yml.json", want: fleet(fleetSorted, 12,
		map[string]string{"dn006.dc1.example.net|maintenance_until": "2026-09-01T06:00:00+00:00"},
		map[string]bool{"dn005.dc1.example.net|decommission": true, "dn006.dc1.example.net|in_service": false},
		map[string][]string{"decommissioned": {"dn005.dc1.example.net"}, "empty_placeholder": nil},
		"skipped 6 complex values (lists or maps) of hdfs_data_dirs")},
	{file: "ansible-inventory-list-yaml-fleet-ini.yml", want: fleet(
		append(append(append(append([]string(nil), fleetDN...), fleetNN...), fleetGPU...), "bastion01.dc1.example.net"), 12,
		map[string]string{"dn006.dc1.example.net|in_service": "false"},
		map[string]bool{"dn005.dc1.example.net|decommission": true}, nil)},
	{file: "ansible-test-complex.ini", want: complex(
		[]string{"ihavenogroup", "hostinall", "test1", "test2", "test3", "test4", "test5", "test6"}, 12)},
	{file: "ansible-inventory-list-complex.json", want: complex(
		[]string{"hostinall", "ihavenogroup", "test1", "test2", "test3", "test4", "test5", "test6"}, 8)},
	{file: "ansible-test-inventory_yaml-test.yml", want: kidsWant(append(append([]string(nil), kids...), "alice"))},
	{file: "ansible-test-inventory_yaml-success.json", want: kidsWant(kidsSorted)},
	{file: "ansible-inventory-list-inventory_yaml-test.json", want: kidsWant(kidsSorted)},
	{file: "docs-groups-of-groups.ini", want: func() sourcetest.Want {
		w := withRecords(goG, 4)
		w.Warns = []string{"3 groups named as children but never defined, kept empty", "northeast, northwest, southwest"}
		return w
	}()},
	{file: "docs-groups-of-groups.yml", want: withRecords(goG, 4)},
	{file: "ansible-inventory-list-docs-groups-of-groups-yml.json", want: withRecords(goG, 3)},
	// ansible-core failed on the docs INI example and printed an empty
	// inventory: zero hosts.
	{file: "ansible-inventory-list-docs-groups-of-groups-ini.json", empty: true},
	// Not inventories: ansible-inventory's stderr and its --graph text.
	{file: "ansible-inventory-list-docs-groups-of-groups-ini.stderr.txt",
		err: "ansible-inventory-list-docs-groups-of-groups-ini.stderr.txt:1: host pattern \"[WARNING]:\""},
	{file: "ansible-inventory-graph-vars-fleet-ini.txt",
		err: "ansible-inventory-graph-vars-fleet-ini.txt:1: this is `ansible-inventory --graph` output"},
}

func TestParseAnsibleFixtures(t *testing.T) {
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			src, err := parse(c.file, sourcetest.Fixture(t, "ansible", c.file))
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
				assert.Equal(t, "ansible", src.Kind)
				assert.Equal(t, "ansible", src.Name)
			}
		})
	}
}

func TestFixtureCoverage(t *testing.T) {
	have := map[string]bool{}
	for _, c := range cases {
		have[c.file] = true
	}
	for _, name := range sourcetest.FixtureNames(t, "ansible") {
		assert.True(t, have[name], "fixture ansible/%s has no test case", name)
	}
}

func TestParseAnsibleINI(t *testing.T) {
	const ini = `; comment
web[08:10].example.com rack=r1  # trailing comment
[db]
db-[a:c].example.com:2201
db-[x:z:2] ansible_host=10.0.0.9 note='a b' n="4" f=1.5 zero=007 t=TRUE
[2001:db8::1]:22
[db:vars]
rack=r9
tier=1
[db:children]
replicas
[replicas]
db-b.example.com rack=r7
[all:vars]
rack=r0
[Bad Name]
`
	_, err := parse("inv.ini", []byte(ini))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "inv.ini:16: invalid section header")

	src, err := parse("inv.ini", []byte(strings.Replace(ini, "[Bad Name]", "[Bad.Name]\nweb08.example.com", 1)))
	require.NoError(t, err)
	sourcetest.Check(t, src, sourcetest.Want{
		Hosts: []string{"web08.example.com", "web09.example.com", "web10.example.com", "db-a.example.com", "db-b.example.com",
			"db-c.example.com", "db-x", "db-z", "2001:db8::1"},
		Records: 11,
		Str: map[string]string{
			"web08.example.com|rack": "r1", // host var beats all vars
			"db-a.example.com|rack":  "r9", // group var beats all vars
			"db-b.example.com|rack":  "r7", // host var beats group var
			"db-x|note":              "a b", "db-x|n": "4", "db-x|zero": "007",
		},
		Num:  map[string]float64{"db-a.example.com|ansible_port": 2201, "db-x|f": 1.5, "db-z|tier": 1, "2001:db8::1|ansible_port": 22},
		Bool: map[string]bool{"db-z|t": true},
		Alt:  map[string][]string{"db-z": {"10.0.0.9"}},
		Sets: map[string][]string{
			"db":        {"db-a.example.com", "db-b.example.com", "db-c.example.com", "db-x", "db-z", "2001:db8::1"},
			"replicas":  {"db-b.example.com"},
			"ungrouped": {"web09.example.com", "web10.example.com"},
			"Bad.Name":  {"web08.example.com"},
		},
	})
}

func TestParseAnsibleYAMLPrecedence(t *testing.T) {
	const y = `all:
  vars: {role: any, prio: 0}
  children:
    parent:
      vars: {role: parent, only_parent: 1}
      children:
        child:
          vars: {role: child}
          hosts:
            h1: {}
            h2: {role: own}
    b_group:
      vars: {x: b}
      hosts: {h1: ~}
    a_group:
      vars: {x: a, list: [1, 2]}
      hosts: {h1: ~}
    "we ird":
      hosts:
        h3:
`
	src, err := parse("inv.yml", []byte(y))
	require.NoError(t, err)
	sourcetest.Check(t, src, sourcetest.Want{
		Hosts: []string{"h1", "h2", "h3"}, Records: 5,
		Str: map[string]string{"h1|role": "child", "h2|role": "own", "h3|role": "any",
			"h1|x": "b"}, // same depth: later group name wins
		Num:   map[string]float64{"h1|only_parent": 1, "h1|prio": 0},
		Sets:  map[string][]string{"parent": {"h1", "h2"}, "child": {"h1", "h2"}, "we_ird": {"h3"}},
		Warns: []string{"skipped 1 complex value"},
	})
}

func TestParseAnsibleMixedTypes(t *testing.T) {
	// one var, a number on one host and a string on another: a string
	src, err := parse("inv.ini", []byte("[g]\na v=1\nb v=x\nc v=true\n"))
	require.NoError(t, err)
	sourcetest.Check(t, src, sourcetest.Want{Hosts: []string{"a", "b", "c"}, Records: 3,
		Str: map[string]string{"a|v": "1", "b|v": "x", "c|v": "true"}})
}

func TestParseAnsibleEmpty(t *testing.T) {
	for _, in := range []string{"", "# nothing\n", "[web]\n", "all:\n  children:\n    web:\n", `{"_meta":{"hostvars":{}},"all":{"children":["ungrouped"]}}`} {
		src, err := parse("inv", []byte(in))
		sourcetest.CheckEmpty(t, src, err)
		assert.Contains(t, err.Error(), "inv: no hosts (expected")
	}
}

func TestParseAnsibleErrors(t *testing.T) {
	for _, c := range []struct{ name, data, want string }{
		{"truncated json", "{\n  \"_meta\": {\n    \"hostvars\": {", "in.txt:3: truncated JSON"},
		{"json syntax", "{\n\"web\": {\"hosts\": [\"a\",]}\n}", "in.txt:2: invalid JSON"},
		{"json group not object", `{"web": "a"}`, "in.txt:1: group web is a string"},
		{"json hosts not list", "{\n\"web\": {\"hosts\": \"a\"}}", "in.txt:2: hosts is a JSON string"},
		{"json prom", `{"status":"success","data":{}}`, "group status is a string"},
		{"yaml syntax", "all:\n  hosts:\n    a: [\n", "in.txt:3: invalid YAML"},
		{"yaml hosts list", "all:\n  hosts:\n    - a\n    - b\n", "in.txt:3: hosts of group all is a list"},
		{"yaml group scalar", "web: 5\n", "in.txt:1: group web is a scalar"},
		{"yaml k8s", "apiVersion: v1\nkind: List\n", "group apiVersion is a scalar"},
		{"ini unknown section", "[web:hosts]\na\n", "in.txt:1: section [web:hosts] has unknown type"},
		{"ini vars without =", "[web:vars]\nfoo\n", "in.txt:2: expected key=value in [web:vars]"},
		{"ini inline var without =", "[web]\na b\n", "in.txt:2: expected key=value after host a"},
		{"ini unclosed quote", "[web]\na x=\"y\n", "in.txt:2: host line: no closing quotation"},
		{"ini bad range", "[web]\nw[1:x].example\n", "in.txt:2: host pattern \"w[1:x].example\""},
		{"ini huge range", "[web]\nw[0:99999999]\n", "expands to more than 100000 hosts"},
		{"ini padded range", "[web]\nw[01:100]\n", "equal length"},
		{"ini loop", "[a:children]\nb\n[b:children]\na\n", "in.txt: group a is its own ancestor"},
		{"ini self child", "[a:children]\na\n", "in.txt:2: group a lists itself as a child"},
		{"binary", "[web]\nweb1\n\x00\x00", "in.txt:3: binary data (NUL byte)"},
		{"graph", "@all:\n  |--@ungrouped:\n", "in.txt:1: this is `ansible-inventory --graph` output"},
		{"garbage", "this is not\nan = inventory at all\n", "in.txt:1: expected key=value after host this"},
		{"yaml host with space", "all:\n  hosts:\n    a b:\n", "in.txt:3: host name \"a b\""},
		{"wrong kind csv", "name,site,rack\nweb01,dc1,r1\n", "in.txt:1: host name \"name,site,rack\" has a character host names cannot have"},
	} {
		t.Run(c.name, func(t *testing.T) { sourcetest.CheckErr(t, parse, c.data, c.want) })
	}
}

func TestLooks(t *testing.T) {
	for _, c := range cases {
		if c.err != "" {
			continue
		}
		assert.True(t, Looks(source.Head(sourcetest.Fixture(t, "ansible", c.file))), c.file)
	}
	for _, f := range []string{"prometheus/docs-api-query-vector-up.json", "node_exporter/live-node_exporter1.5.0-metrics.txt",
		"netbox/assembled-netbox-device-import.csv", "netbox/pynetbox-fixture-devices-list.json", "ansible/ansible-inventory-graph-vars-fleet-ini.txt"} {
		dir, name, _ := strings.Cut(f, "/")
		assert.False(t, Looks(source.Head(sourcetest.Fixture(t, dir, name))), f)
	}
	assert.False(t, Looks([]byte("web01\nweb02\n")), "a host list is not an inventory")
}

func TestExpandRange(t *testing.T) {
	for in, want := range map[string][]string{
		"www[01:03].x":  {"www01.x", "www02.x", "www03.x"},
		"db-[a:c]":      {"db-a", "db-b", "db-c"},
		"h[1:5:2]":      {"h1", "h3", "h5"},
		"r[1:2]n[a:b]":  {"r1na", "r1nb", "r2na", "r2nb"},
		"h[:2]":         {"h0", "h1", "h2"},
		"plain.example": {"plain.example"},
		"x[y:B]":        {"xy", "xz", "xA", "xB"},
	} {
		got, err := expandRange(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range cases {
		f.Add(sourcetest.Fixture(f, "ansible", c.file))
	}
	f.Add([]byte("a[1:3]:22 x=\"1\" y='t' # c\n[g:children]\nh\n[h]\nb[a:c]\n[g:vars]\nz=1.5\n"))
	f.Add([]byte("all:\n  children:\n    g: &x\n      hosts: {a: {v: [1]}}\n    h: *x\n"))
	// Large but legal ranges make slow inputs, not bugs: cap them lower.
	defer func(n int) { maxRange = n }(maxRange)
	maxRange = 500
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := parse("fuzz.ini", data)
		sourcetest.FuzzCheck(t, src, err)
	})
}

// TestParseAnsibleAliasBomb: YAML aliases that double a group at every
// level are cut off, not walked 2^30 times.
func TestParseAnsibleAliasBomb(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("all:\n  children:\n    g0: &a0\n      hosts: {h: {v: 1}}\n")
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&sb, "    g%d: &a%d\n      children: {x%d: *a%d, y%d: *a%d}\n", i, i, i, i-1, i, i-1)
	}
	_, err := parse("bomb.yml", []byte(sb.String()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "aliases repeat groups too often")
}

// parse is Parse within the default bound on range expansions.
func parse(file string, data []byte) (*store.SourceData, error) {
	return Parse(file, data, 1_000_000)
}

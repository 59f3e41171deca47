package ingest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type ansCase struct {
	file  string
	err   string
	empty bool
	want  srcWant
}

// The fleet inventory (INI, YAML and ansible-inventory's renderings of it)
// has the same hosts and groups in every form.
var (
	ansFleetDN   = []string{"dn001.dc1.example.net", "dn002.dc1.example.net", "dn003.dc1.example.net", "dn004.dc1.example.net", "dn005.dc1.example.net", "dn006.dc1.example.net"}
	ansFleetNN   = []string{"nn1.dc1.example.net", "nn2.dc1.example.net"}
	ansFleetGPU  = []string{"gpu-a.dc2.example.net", "gpu-b.dc2.example.net", "gpu-c.dc2.example.net"}
	ansFleetSets = map[string][]string{
		"datanodes": ansFleetDN, "namenodes": ansFleetNN, "gpu": ansFleetGPU, "dc2": ansFleetGPU,
		"dc1": append(append([]string(nil), ansFleetDN...), ansFleetNN...), "ungrouped": {"bastion01.dc1.example.net"},
	}
	ansFleetStr = map[string]string{
		"nn1.dc1.example.net|rack": "/dc1/r01", "nn2.dc1.example.net|serial": "7XK2Q94",
		"nn1.dc1.example.net|hw_model": "PowerEdge R650", "gpu-b.dc2.example.net|gpu_model": "H100",
		"bastion01.dc1.example.net|ansible_host": "192.0.2.10", "dn003.dc1.example.net|env": "prod",
		"gpu-c.dc2.example.net|ansible_user": "ops", "dn002.dc1.example.net|owner_team": "storage",
		"dn006.dc1.example.net|maintenance_until": "2026-09-01T06:00:00Z",
	}
	ansFleetNum = map[string]float64{
		"bastion01.dc1.example.net|ansible_port": 2222, "dn005.dc1.example.net|ansible_port": 2222,
		"dn004.dc1.example.net|disk_count": 4, "gpu-a.dc2.example.net|gpu_count": 8,
	}
	ansFleetAlt = map[string][]string{"bastion01.dc1.example.net": {"192.0.2.10"}, "nn2.dc1.example.net": {"10.10.0.12"}}
)

func ansFleet(hosts []string, records int, str map[string]string, b map[string]bool, sets map[string][]string, warns ...string) srcWant {
	s := map[string]string{}
	for k, v := range ansFleetStr {
		s[k] = v
	}
	for k, v := range str {
		s[k] = v
	}
	all := map[string][]string{}
	for k, v := range ansFleetSets {
		all[k] = v
	}
	for k, v := range sets {
		all[k] = v
	}
	return srcWant{hosts: hosts, records: records, str: s, num: ansFleetNum, boolean: b, sets: all, alt: ansFleetAlt,
		absent: []string{"dn001.dc1.example.net|decommission", "gpu-a.dc2.example.net|disk_count", "nn1.dc1.example.net|ansible_port"},
		noSets: []string{"all"}, warns: warns}
}

var (
	ansFleetINIOrder = append(append(append([]string{"bastion01.dc1.example.net"}, ansFleetNN...), ansFleetDN...), ansFleetGPU...)
	ansFleetSorted   = append(append(append([]string{"bastion01.dc1.example.net"}, ansFleetDN...), ansFleetGPU...), ansFleetNN...)
	ansKids          = []string{"marcia", "jan", "cindy", "greg", "peter", "bobby"}
	ansKidsSorted    = []string{"alice", "bobby", "cindy", "greg", "jan", "marcia", "peter"}
	ansKidsWant      = func(hosts []string) srcWant {
		return srcWant{hosts: hosts, records: 7,
			boolean: map[string]bool{"marcia|popular": true, "jan|popular": false, "bobby|in_trouble": true},
			str:     map[string]string{"alice|status": "single"}, absent: []string{"alice|in_trouble", "alice|popular"},
			sets:   map[string][]string{"kids": ansKids, "the-maid": {"alice"}, "cousins": nil, "redheads": nil},
			noSets: []string{"all", "ungrouped"}}
	}
	ansGoG = srcWant{hosts: []string{"host1", "host2", "host3"},
		num: map[string]float64{"host1|escape_pods": 2, "host3|halon_system_timeout": 30, "host2|self_destruct_countdown": 60},
		str: map[string]string{"host2|some_server": "foo.southeast.example.com"},
		sets: map[string][]string{"atlanta": {"host1", "host2"}, "raleigh": {"host2", "host3"}, "southeast": {"host1", "host2", "host3"},
			"usa": {"host1", "host2", "host3"}, "northeast": nil, "northwest": nil, "southwest": nil},
		noSets: []string{"all", "ungrouped"}}
	ansComplex = func(hosts []string, records int) srcWant {
		return srcWant{hosts: hosts, records: records,
			str: map[string]string{"test1|myvar": "something", "test2|myvar": "something2", "test2|othervar": "stuff",
				"ihavenogroup|ansible_connection": "local", "test6|ansible_connection": "local"},
			absent: []string{"test3|myvar"},
			sets: map[string][]string{"ungrouped": {"ihavenogroup", "hostinall"}, "test_group1": {"test1", "test2", "test3"},
				"parent_1": {"test1", "test2", "test3"}, "parent_3": {"test1", "test2", "test3", "test4", "test5", "test6"}},
			noSets: []string{"all"}}
	}
)

func withRecords(w srcWant, n int) srcWant { w.records = n; return w }

var ansCases = []ansCase{
	{file: "fleet-inventory.ini", want: ansFleet(ansFleetINIOrder, 12,
		// INI typing is fleetq's: in_service=false is a bool (ansible-core
		// keeps the string "false"), the comma list stays one string.
		map[string]string{"dn001.dc1.example.net|hdfs_data_dirs": "/data/1,/data/2,/data/3,/data/4"},
		map[string]bool{"dn005.dc1.example.net|decommission": true, "dn006.dc1.example.net|in_service": false}, nil)},
	{file: "fleet-inventory.yml", want: ansFleet(ansFleetINIOrder, 13, nil,
		map[string]bool{"dn005.dc1.example.net|decommission": true, "dn006.dc1.example.net|in_service": false},
		map[string][]string{"decommissioned": {"dn005.dc1.example.net"}, "empty_placeholder": nil},
		"skipped 1 complex value (lists or maps) of hdfs_data_dirs")},
	{file: "ansible-inventory-list-fleet-ini.json", want: ansFleet(ansFleetSorted, 12,
		map[string]string{"dn006.dc1.example.net|in_service": "false"},
		map[string]bool{"dn005.dc1.example.net|decommission": true}, nil)},
	{file: "ansible-inventory-list-export-fleet-ini.json", want: ansFleet(
		// --export keeps group vars on the groups; hosts without own vars
		// are listed after those in hostvars.
		append(append([]string{"bastion01.dc1.example.net", "dn005.dc1.example.net", "dn006.dc1.example.net"}, ansFleetGPU...),
			"nn1.dc1.example.net", "nn2.dc1.example.net", "dn001.dc1.example.net", "dn002.dc1.example.net", "dn003.dc1.example.net", "dn004.dc1.example.net"),
		12, map[string]string{"dn006.dc1.example.net|in_service": "false"},
		map[string]bool{"dn005.dc1.example.net|decommission": true}, nil)},
	{file: "ansible-inventory-list-fleet-yml.json", want: ansFleet(ansFleetSorted, 12,
		map[string]string{"dn006.dc1.example.net|maintenance_until": "2026-09-01T06:00:00+00:00"},
		map[string]bool{"dn005.dc1.example.net|decommission": true, "dn006.dc1.example.net|in_service": false},
		map[string][]string{"decommissioned": {"dn005.dc1.example.net"}, "empty_placeholder": nil},
		"skipped 6 complex values (lists or maps) of hdfs_data_dirs")},
	{file: "ansible-inventory-list-yaml-fleet-ini.yml", want: ansFleet(
		append(append(append(append([]string(nil), ansFleetDN...), ansFleetNN...), ansFleetGPU...), "bastion01.dc1.example.net"), 12,
		map[string]string{"dn006.dc1.example.net|in_service": "false"},
		map[string]bool{"dn005.dc1.example.net|decommission": true}, nil)},
	{file: "ansible-test-complex.ini", want: ansComplex(
		[]string{"ihavenogroup", "hostinall", "test1", "test2", "test3", "test4", "test5", "test6"}, 12)},
	{file: "ansible-inventory-list-complex.json", want: ansComplex(
		[]string{"hostinall", "ihavenogroup", "test1", "test2", "test3", "test4", "test5", "test6"}, 8)},
	{file: "ansible-test-inventory_yaml-test.yml", want: ansKidsWant(append(append([]string(nil), ansKids...), "alice"))},
	{file: "ansible-test-inventory_yaml-success.json", want: ansKidsWant(ansKidsSorted)},
	{file: "ansible-inventory-list-inventory_yaml-test.json", want: ansKidsWant(ansKidsSorted)},
	{file: "docs-groups-of-groups.ini", want: func() srcWant {
		w := withRecords(ansGoG, 4)
		w.warns = []string{"3 groups named as children but never defined, kept empty", "northeast, northwest, southwest"}
		return w
	}()},
	{file: "docs-groups-of-groups.yml", want: withRecords(ansGoG, 4)},
	{file: "ansible-inventory-list-docs-groups-of-groups-yml.json", want: withRecords(ansGoG, 3)},
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
	for _, c := range ansCases {
		t.Run(c.file, func(t *testing.T) {
			src, err := ParseAnsible(c.file, srcFixture(t, "ansible", c.file))
			switch {
			case c.err != "":
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.err)
				assert.Nil(t, src)
			case c.empty:
				srcCheckEmpty(t, src, err)
			default:
				require.NoError(t, err)
				srcCheck(t, src, c.want)
				assert.Equal(t, "ansible", src.Kind)
				assert.Equal(t, "ansible", src.Name)
			}
		})
	}
}

func TestAnsibleFixtureCoverage(t *testing.T) {
	have := map[string]bool{}
	for _, c := range ansCases {
		have[c.file] = true
	}
	for _, name := range srcFixtureNames(t, "ansible") {
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
	_, err := ParseAnsible("inv.ini", []byte(ini))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "inv.ini:16: invalid section header")

	src, err := ParseAnsible("inv.ini", []byte(strings.Replace(ini, "[Bad Name]", "[Bad.Name]\nweb08.example.com", 1)))
	require.NoError(t, err)
	srcCheck(t, src, srcWant{
		hosts: []string{"web08.example.com", "web09.example.com", "web10.example.com", "db-a.example.com", "db-b.example.com",
			"db-c.example.com", "db-x", "db-z", "2001:db8::1"},
		records: 11,
		str: map[string]string{
			"web08.example.com|rack": "r1", // host var beats all vars
			"db-a.example.com|rack":  "r9", // group var beats all vars
			"db-b.example.com|rack":  "r7", // host var beats group var
			"db-x|note":              "a b", "db-x|n": "4", "db-x|zero": "007",
		},
		num:     map[string]float64{"db-a.example.com|ansible_port": 2201, "db-x|f": 1.5, "db-z|tier": 1, "2001:db8::1|ansible_port": 22},
		boolean: map[string]bool{"db-z|t": true},
		alt:     map[string][]string{"db-z": {"10.0.0.9"}},
		sets: map[string][]string{
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
	src, err := ParseAnsible("inv.yml", []byte(y))
	require.NoError(t, err)
	srcCheck(t, src, srcWant{
		hosts: []string{"h1", "h2", "h3"}, records: 5,
		str: map[string]string{"h1|role": "child", "h2|role": "own", "h3|role": "any",
			"h1|x": "b"}, // same depth: later group name wins
		num:   map[string]float64{"h1|only_parent": 1, "h1|prio": 0},
		sets:  map[string][]string{"parent": {"h1", "h2"}, "child": {"h1", "h2"}, "we_ird": {"h3"}},
		warns: []string{"skipped 1 complex value"},
	})
}

func TestParseAnsibleMixedTypes(t *testing.T) {
	// one var, a number on one host and a string on another: a string
	src, err := ParseAnsible("inv.ini", []byte("[g]\na v=1\nb v=x\nc v=true\n"))
	require.NoError(t, err)
	srcCheck(t, src, srcWant{hosts: []string{"a", "b", "c"}, records: 3,
		str: map[string]string{"a|v": "1", "b|v": "x", "c|v": "true"}})
}

func TestParseAnsibleEmpty(t *testing.T) {
	for _, in := range []string{"", "# nothing\n", "[web]\n", "all:\n  children:\n    web:\n", `{"_meta":{"hostvars":{}},"all":{"children":["ungrouped"]}}`} {
		src, err := ParseAnsible("inv", []byte(in))
		srcCheckEmpty(t, src, err)
		assert.Contains(t, err.Error(), "inv: no hosts (expected")
	}
}

func TestParseAnsibleErrors(t *testing.T) {
	for _, c := range []srcErrCase{
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
		t.Run(c.name, func(t *testing.T) { srcCheckErr(t, ParseAnsible, c) })
	}
}

func TestLooksLikeAnsible(t *testing.T) {
	for _, c := range ansCases {
		if c.err != "" {
			continue
		}
		assert.True(t, LooksLikeAnsible(srcFixture(t, "ansible", c.file)), c.file)
	}
	for _, f := range []string{"prometheus/docs-api-query-vector-up.json", "node_exporter/live-node_exporter1.5.0-metrics.txt",
		"netbox/assembled-netbox-device-import.csv", "netbox/pynetbox-fixture-devices-list.json", "ansible/ansible-inventory-graph-vars-fleet-ini.txt"} {
		dir, name, _ := strings.Cut(f, "/")
		assert.False(t, LooksLikeAnsible(srcFixture(t, dir, name)), f)
	}
	assert.False(t, LooksLikeAnsible([]byte("web01\nweb02\n")), "a host list is not an inventory")
}

func TestAnsExpandRange(t *testing.T) {
	for in, want := range map[string][]string{
		"www[01:03].x":  {"www01.x", "www02.x", "www03.x"},
		"db-[a:c]":      {"db-a", "db-b", "db-c"},
		"h[1:5:2]":      {"h1", "h3", "h5"},
		"r[1:2]n[a:b]":  {"r1na", "r1nb", "r2na", "r2nb"},
		"h[:2]":         {"h0", "h1", "h2"},
		"plain.example": {"plain.example"},
		"x[y:B]":        {"xy", "xz", "xA", "xB"},
	} {
		got, err := ansExpandRange(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
}

func FuzzParseAnsible(f *testing.F) {
	for _, c := range ansCases {
		f.Add(srcFixture(f, "ansible", c.file))
	}
	f.Add([]byte("a[1:3]:22 x=\"1\" y='t' # c\n[g:children]\nh\n[h]\nb[a:c]\n[g:vars]\nz=1.5\n"))
	f.Add([]byte("all:\n  children:\n    g: &x\n      hosts: {a: {v: [1]}}\n    h: *x\n"))
	// Large but legal ranges make slow inputs, not bugs: cap them lower.
	defer func(n int) { ansMaxRange = n }(ansMaxRange)
	ansMaxRange = 500
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := ParseAnsible("fuzz.ini", data)
		srcFuzzCheck(t, src, err)
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
	_, err := ParseAnsible("bomb.yml", []byte(sb.String()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "aliases repeat groups too often")
}

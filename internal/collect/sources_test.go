package collect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const goodFile = `# a site
deadline = "2m"

[[source]]
name = "inventory"
kind = "inventory"
path = "cmdb/inventory.csv"

[[source]]
name = "metrics"
kind = "prom"
url = "http://prometheus:9090/prom/"
queries = ["up", "node_uname_info", "sum by (instance) (rate(x[5m]))"]
timeout = "10s"
allow_empty = true

[[source]]
name = "hdfs"
kind = "hdfs"
command = ["hdfs", "dfsadmin", "-report"]
dir = "work"
env = { HADOOP_USER_NAME = "hdfs", JAVA_HOME = "/usr/lib/jvm" }
timeout = "60s"

[[source]]
name = "netbox"
kind = "netbox"
url = "https://netbox.example.net/api/dcim/devices/?limit=1000"
token_file = "/etc/fleetq/netbox.token"
token_scheme = "Token"
ca_file = "ca.pem"
headers = { Accept = "application/json" }
`

func TestParse(t *testing.T) {
	f, err := Parse("/etc/fleetq/site.toml", []byte(goodFile))
	require.NoError(t, err)
	assert.Equal(t, 2*time.Minute, f.Deadline)
	var names []string
	for _, s := range f.Sources {
		names = append(names, s.Kind+":"+s.Name)
	}
	assert.Equal(t, []string{"inventory:inventory", "prom:metrics", "prom:metrics_node_uname_info", "prom:metrics_3", "hdfs:hdfs", "netbox:netbox"}, names)
	inv, up, uname, hdfs, nb := f.Sources[0], f.Sources[1], f.Sources[2], f.Sources[4], f.Sources[5]
	assert.Equal(t, "/etc/fleetq/cmdb/inventory.csv", inv.Path)
	assert.Equal(t, DefaultTimeout, inv.Timeout)
	assert.Equal(t, 4, inv.Line)
	assert.Equal(t, "http://prometheus:9090/prom/api/v1/query?query=up", up.URL)
	assert.Equal(t, "http://prometheus:9090/prom/api/v1/query?query=node_uname_info", uname.URL)
	assert.Equal(t, "up", up.Query)
	assert.Equal(t, 10*time.Second, uname.Timeout)
	assert.True(t, uname.AllowEmpty)
	assert.False(t, inv.AllowEmpty)
	assert.Equal(t, []string{"hdfs", "dfsadmin", "-report"}, hdfs.Command)
	assert.Equal(t, "/etc/fleetq/work", hdfs.Dir)
	assert.Equal(t, []string{"HADOOP_USER_NAME=hdfs", "JAVA_HOME=/usr/lib/jvm"}, hdfs.Env)
	assert.Equal(t, "command: hdfs dfsadmin -report", hdfs.Origin())
	assert.Equal(t, "/etc/fleetq/netbox.token", nb.TokenFile)
	assert.Equal(t, "/etc/fleetq/ca.pem", nb.CAFile)
	assert.Equal(t, "Token", nb.TokenScheme)
	assert.False(t, nb.SkipVerify, "TLS verification is on by default")
	assert.Equal(t, map[string]string{"Accept": "application/json"}, nb.Headers)
}

// TestParseErrors: every mistake is one line naming the file, the line
// and what was expected.
func TestParseErrors(t *testing.T) {
	src := func(body string) string { return "[[source]]\nname = \"s\"\nkind = \"hosts\"\n" + body }
	for _, tc := range []struct{ text, want string }{
		{``, `f.toml: no [[source]]: expected at least one`},
		{`deadline = "soon"` + "\n" + src(`path = "x"`), `f.toml:1: deadline "soon": expected a positive duration such as 10s, 2m or 1m30s`},
		{`deadline = "-1s"` + "\n" + src(`path = "x"`), `f.toml:1: deadline "-1s": expected a positive duration`},
		{`dedline = "2m"` + "\n" + src(`path = "x"`), `f.toml:1: unknown key "dedline" (expected deadline or [[source]])`},
		{src("path = \"x\"\ncomand = [\"ls\"]"), `f.toml:5: unknown key "comand" in a [[source]] (expected name, kind, path, command,`},
		{"[[source]]\nkind = \"hosts\"\npath = \"x\"", `f.toml:1: [[source]] without a name: expected name = "NAME"`},
		{"[[source]]\nname = \"all\"\nkind = \"hosts\"\npath = \"x\"", `f.toml:2: name "all": expected a set name`},
		{"[[source]]\nname = \"s\"\npath = \"x\"", `f.toml:1: source s has no kind: expected kind = one of hdfs, yarn, k8s, prom, netbox, ansible, inventory, hosts`},
		{"[[source]]\nname = \"s\"\nkind = \"hfds\"\npath = \"x\"", `f.toml:3: source s: unknown kind "hfds" (expected one of hdfs,`},
		{src(``), `f.toml:1: source s: expected one of path, command or url`},
		{src("path = \"x\"\ncommand = [\"ls\"]"), `f.toml:5: source s has both path and command: expected exactly one of path, command or url`},
		{src("command = [\"ls\"]\nurl = \"http://h/\""), `f.toml:5: source s has both command and url`},
		{src(`command = []`), `f.toml:4: source s: command = []: expected the program and its arguments`},
		// A value of the wrong type is named at its own source's line,
		// with the type expected; env and headers are not dropped.
		{src(`command = "hdfs dfsadmin -report"`), `f.toml:4: source s: command: expected a list of strings, command = ["hdfs", "dfsadmin", "-report"], run without a shell (found a string)`},
		{src("path = \"x\"\ntimeout = 10") + "\n" + src("path = \"y\"\ntimeout = \"10s\""), `f.toml:5: source s: timeout: expected a duration in quotes, timeout = "10s" (found an integer)`},
		{src("command = [\"ls\"]\nenv = \"A=1\""), `f.toml:5: source s: env: expected a table of strings, env = { HADOOP_USER_NAME = "hdfs" } (found a string)`},
		{src("url = \"http://h/\"\nheaders = { Accept = 1 }"), `f.toml:5: source s: headers: expected a table of strings`},
		{src("path = \"x\"\nallow_empty = \"yes\""), `f.toml:5: source s: allow_empty: expected true or false (found a string)`},
		{"[[source]]\nname = 3\nkind = \"hosts\"\npath = \"x\"", `f.toml:2: [[source]]: name: expected a string`},
		{"# one source\n[source]\nname = \"s\"\nkind = \"hosts\"\npath = \"x\"", `f.toml:2: source: expected [[source]] tables, one per source (found a table: write [[source]], with two brackets)`},
		{"deadline = 300\n" + src(`path = "x"`), `f.toml:1: deadline: expected a duration in quotes, deadline = "5m" (found an integer)`},
		{src("path = \"x\"\ntimeout = \"10\""), `f.toml:5: source s: timeout "10": expected a positive duration such as 10s, 2m or 1m30s`},
		{src("path = \"x\"\ntimeout = \"0s\""), `f.toml:5: source s: timeout "0s": expected a positive duration`},
		{src("path = \"x\"\ndir = \"/tmp\""), `f.toml:5: source s: dir goes with command, not path`},
		{src("command = [\"ls\"]\ntoken_file = \"t\""), `f.toml:5: source s: token_file goes with url, not command`},
		{src("command = [\"ls\"]\nenv = { \"A B\" = \"x\" }"), `f.toml:5: source s: env "A B": expected a variable name`},
		{src(`url = "ftp://h/x"`), `f.toml:4: source s: url "ftp://h/x": expected an http:// or https:// URL with a host`},
		{src(`url = "http:///x"`), `f.toml:4: source s: url "http:///x": expected an http:// or https:// URL`},
		{src("url = \"http://h/\"\ntoken_file = \"t\"\ntoken_env = \"T\""), `f.toml:6: source s has both token_file and token_env: expected one`},
		{src("url = \"http://h/\"\ntoken_scheme = \"Token\""), `f.toml:5: source s: token_scheme without token_file or token_env`},
		{src("url = \"http://h/\"\nheaders = { \"X-A\" = \"a\\nb\" }"), `f.toml:5: source s: header "X-A": expected a header name and a one-line value`},
		{src("url = \"http://h/\"\nqueries = [\"up\"]"), `f.toml:5: source s: queries go with kind prom, not hosts`},
		{"[[source]]\nname = \"m\"\nkind = \"prom\"\nurl = \"http://h/\"\nqueries = []", `f.toml:5: source m: queries = []: expected one or more PromQL queries`},
		{"[[source]]\nname = \"m\"\nkind = \"prom\"\nurl = \"http://h/\"\nqueries = [\"up\", \" \"]", `f.toml:5: source m: query 2 is empty`},
		{"[[source]]\nname = \"m\"\nkind = \"prom\"\nurl = \"http://h/\"\nquery = \"up\"\nqueries = [\"up\"]", `f.toml:6: source m has both query and queries`},
		{src(`path = "x"`) + "\n" + src(`path = "y"`), `f.toml:5: source hosts:s is also the source at line 1: expected each kind:name once`},
		{"[[source]]\nname = \"m\"\nkind = \"prom\"\nurl = \"http://h/\"\nqueries = [\"up\", \"x\"]\n[[source]]\nname = \"m_x\"\nkind = \"prom\"\npath = \"p\"", `f.toml:6: source prom:m_x is also the source at line 1`},
		{"[[source]\nname = 1", `f.toml:2: expected end of table array name`},
	} {
		_, err := Parse("f.toml", []byte(tc.text))
		if assert.Error(t, err, tc.text) {
			assert.Contains(t, err.Error(), tc.want, tc.text)
			assert.NotContains(t, err.Error(), "\n", "one line")
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "fleetq.sources.toml"))
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.True(t, strings.HasSuffix(err.Error(), "fleetq.sources.toml: no such file or directory"), err.Error())
}

// FuzzParse: no text makes Parse panic, and what it accepts is a file
// of sources that each read from exactly one place, with a positive
// timeout and a distinct kind:name.
func FuzzParse(f *testing.F) {
	f.Add(goodFile)
	f.Add("[[source]]\nname = \"s\"\nkind = \"hosts\"\npath = \"x\"\n")
	f.Add("[[source]]\nname = \"m\"\nkind = \"prom\"\nurl = \"http://h:9090\"\nqueries = [\"up\", \"a:b\"]\n")
	f.Add("deadline = \"1m\"\n[[source]]\nname = \"c\"\nkind = \"yarn\"\ncommand = [\"yarn\", \"node\", \"-list\"]\nenv = { A = \"1\" }\n")
	f.Fuzz(func(t *testing.T, text string) {
		file, err := Parse("f.toml", []byte(text))
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			require.True(t, strings.HasPrefix(err.Error(), "f.toml"), err.Error())
			return
		}
		require.NotEmpty(t, file.Sources)
		seen := map[string]bool{}
		for _, s := range file.Sources {
			n := 0
			for _, set := range []bool{s.Path != "", len(s.Command) > 0, s.URL != ""} {
				if set {
					n++
				}
			}
			require.Equal(t, 1, n, "%+v", s)
			require.Positive(t, s.Timeout)
			require.False(t, seen[s.Kind+":"+s.Name], s.Name)
			seen[s.Kind+":"+s.Name] = true
		}
	})
}

// TestExampleSiteLoads: the example sources file of examples/ is one
// fleetq collect accepts, every source it documents included.
func TestExampleSiteLoads(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "sources", "site.toml")
	f, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, 2*time.Minute, f.Deadline)
	kinds := map[string]string{}
	for _, s := range f.Sources {
		kinds[s.Name] = s.Kind
	}
	assert.Equal(t, map[string]string{"inventory": "inventory", "metrics": "prom", "metrics_node_uname_info": "prom", "load": "prom",
		"hdfs": "hdfs", "yarn": "yarn", "k8s": "k8s", "netbox": "netbox", "rebooting": "hosts"}, kinds)
	assert.Equal(t, filepath.Join("..", "..", "examples", "sources", "netbox.token"), f.Sources[len(f.Sources)-2].TokenFile)
}

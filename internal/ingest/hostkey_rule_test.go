package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/store"
)

// hostKeyInputs are tiny inputs of every source kind, each naming one
// host @H@; TestEveryKindRefusesBadHostKeys reads each with a good name and
// with names that are no host key.
//
// own marks parsers that refuse such names earlier with their own message
// (the hdfs Hostname:, yarn Node-Id, k8s metadata.name and Ansible YAML
// checks):
// they must still refuse at a line, but the wording is theirs.
var hostKeyInputs = []struct {
	kind, file, text string
	own              bool
}{
	{"inventory", "inv.csv", "host,role\n\"@H@\",web\n", false},
	{"inventory", "inv.jsonl", "{\"host\": \"@H@\", \"role\": \"web\"}\n", false},
	{"hosts", "dead.txt", "# dead\n@H@\n", false},
	{"hdfs", "report.txt", "Live datanodes (1):\n\nName: 10.0.0.1:9866 (@H@)\nHostname: @H@\nDecommission Status : Normal\nConfigured Capacity: 100 (100 B)\nDFS Used: 10 (10 B)\nNon DFS Used: 0 (0 B)\nDFS Remaining: 90 (90 B)\nDFS Used%: 10.00%\nDFS Remaining%: 90.00%\nLast contact: Thu Aug 20 08:59:55 UTC 2026\n\n", true},
	{"yarn", "nodes.txt", "Total Nodes:1\n         Node-Id\t     Node-State\tNode-Http-Address\tNumber-of-Running-Containers\n         @H@:45454\t        RUNNING\t       @H@:8042\t                           0\n", true},
	{"k8s", "nodes.json", `{"kind": "NodeList", "items": [{"metadata": {"name": "@H@"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}]}`, true},
	{"prom", "up.json", `{"status": "success", "data": {"resultType": "vector", "result": [{"metric": {"__name__": "up", "instance": "@H@:9100"}, "value": [1700000000, "1"]}]}}`, false},
	{"prom", "h.prom", "node_uname_info{nodename=\"@H@\",release=\"6.1\"} 1\nup 1\n", false},
	{"ansible", "inv.json", `{"_meta": {"hostvars": {}}, "all": {"children": ["ungrouped"]}, "ungrouped": {"hosts": ["@H@"]}}`, false},
	{"ansible", "inv.yml", "all:\n  hosts:\n    \"@H@\":\n      rack: r1\n", true},
	{"netbox", "devices.csv", "name,site,rack,status\n\"@H@\",s1,r1,active\n", false},
	{"netbox", "devices.json", `[{"name": "@H@", "device_type": {"model": "m"}, "site": {"name": "s1"}}]`, false},
}

// TestEveryKindRefusesBadHostKeys: one host-key rule for every source.
// Each kind reads a good name, and refuses a name with a blank (and
// others the rule refuses) at its line, with no source made.
func TestEveryKindRefusesBadHostKeys(t *testing.T) {
	bad := []struct{ name, why string }{
		{"Web 01", `host "web 01": contains a blank`},
		{"web,01", `host "web,01": contains ','`},
		{"web*01", `host "web*01": contains '*'`},
		{strings.Repeat("w", 254), "254 bytes, longer than 253"},
	}
	for _, in := range hostKeyInputs {
		t.Run(in.kind+"/"+in.file, func(t *testing.T) {
			src, err := readTiny(t, in.kind, in.file, strings.ReplaceAll(in.text, "@H@", "Web01.example.net"))
			require.NoError(t, err)
			assert.Contains(t, src.Hosts, "web01.example.net")
			for _, b := range bad {
				if in.kind == "hosts" && strings.Contains(b.name, ",") {
					continue // a comma list is not read as one host line in any case
				}
				text := strings.ReplaceAll(in.text, "@H@", b.name)
				src, err := readTiny(t, in.kind, in.file, text)
				require.Error(t, err, b.name)
				assert.Nil(t, src)
				if !in.own {
					assert.ErrorContains(t, err, b.why)
					assert.ErrorContains(t, err, hostkey.Allowed)
				}
				var le *LineError
				require.ErrorAs(t, err, &le)
				assert.Equal(t, in.file, filepath.Base(le.File))
				if !in.own {
					assert.Equal(t, lineOf([]byte(text), b.name), le.Line, "the line that names the host: %v", err)
				}
				assert.Positive(t, le.Line, "%v", err)
			}
		})
	}
}

func readTiny(t *testing.T, kind, file, text string) (*store.SourceData, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), file)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return Read(Spec{Kind: kind, Path: path}, Options{})
}

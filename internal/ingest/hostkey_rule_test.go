package ingest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/ingest/source"
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

// badHostKeys are names the one rule refuses, with the reason it gives:
// blanks and literal characters, and the hostile names of docs/limits.md (an
// option, a path, terminal escapes, invisible and bidi characters, bytes
// that are not UTF-8, NUL).
var badHostKeys = []struct{ name, why string }{
	{"Web 01", `host "web 01": contains a blank`},
	{"web,01", `host "web,01": contains ','`},
	{"web*01", `host "web*01": contains '*'`},
	{strings.Repeat("w", 254), "254 bytes, longer than 253"},
	{"-rf", `host "-rf": starts with '-'`},
	{"--help", `host "--help": starts with '-'`},
	{"..", `host "..": starts with '.'`},
	{".hidden", `host ".hidden": starts with '.'`},
	{"../../etc/passwd", `host "../../etc/passwd": starts with '.'`},
	{"web\x1b]0;owned\x07", `contains the control character U+001B`},
	{"web\x1b[2J01", `contains the control character U+001B`},
	{"web\u202e10", `contains '\u202e'`},
	{"web\u200b01", `contains '\u200b'`},
	{"web\u206601", `contains '\u2066'`},
	{"web\xff01", "contains a byte that is not UTF-8"},
	{"web\x0001", "contains the control character U+0000"},
}

// TestEveryKindRefusesBadHostKeys: one host-key rule for every source.
// Each kind reads a good name, and refuses every bad one at its line
// (or, when the format's escapes spell it otherwise, the whole file),
// with no source made.
func TestEveryKindRefusesBadHostKeys(t *testing.T) {
	for _, in := range hostKeyInputs {
		t.Run(in.kind+"/"+in.file, func(t *testing.T) {
			src, err := readTiny(t, in.kind, in.file, fillHost(in.file, in.text, "Web01.example.net"))
			require.NoError(t, err)
			assert.Contains(t, src.Hosts, "web01.example.net")
			for _, b := range badHostKeys {
				if in.kind == "hosts" && strings.ContainsAny(b.name, ",\x00") {
					continue // a comma list is not one host line; NUL makes the file binary
				}
				text := fillHost(in.file, in.text, b.name)
				src, err := readTiny(t, in.kind, in.file, text)
				require.Error(t, err, "%q", b.name)
				assert.Nil(t, src)
				var le *LineError
				require.ErrorAs(t, err, &le, "%q", b.name)
				assert.Equal(t, in.file, filepath.Base(le.File))
				if in.own || isBinaryRefusal(err, b.name) {
					continue
				}
				assert.ErrorContains(t, err, b.why)
				assert.ErrorContains(t, err, hostkey.Allowed)
				// A name spelt with JSON escapes appears nowhere as such: its
				// record's line where the reader knows it, else the whole file (0).
				if want := source.LineOf([]byte(text), b.name); want > 0 {
					assert.Equal(t, want, le.Line, "the line that names %q: %v", b.name, err)
				}
			}
		})
	}
}

// isBinaryRefusal: a NUL or a byte that is not UTF-8 may make a reader
// refuse the whole file as binary before any host is named.
func isBinaryRefusal(err error, name string) bool {
	return strings.Contains(err.Error(), "binary data") &&
		(strings.Contains(name, "\x00") || !utf8.ValidString(name))
}

// fillHost puts name into a tiny input in place of @H@, escaped as JSON
// (and YAML, whose double-quoted strings take the same escapes) where the
// format has escapes, so that the name reaches the host-key rule.
func fillHost(file, text, name string) string {
	if ext := filepath.Ext(file); ext == ".json" || ext == ".jsonl" || ext == ".yml" {
		b, _ := json.Marshal(name)
		name = string(b[1 : len(b)-1])
	}
	return strings.ReplaceAll(text, "@H@", name)
}

func readTiny(t *testing.T, kind, file, text string) (*store.SourceData, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), file)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return Read(Spec{Kind: kind, Path: path}, Options{})
}

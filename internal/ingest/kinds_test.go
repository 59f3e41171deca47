package ingest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/ingest/hdfs"
	"github.com/fleetq/fleetq/internal/ingest/k8s"
	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/ingest/yarn"
)

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		arg  string
		want Spec
	}{
		{"inventory:cmdb.csv", Spec{Kind: "inventory", Path: "cmdb.csv"}},
		{"inventory:-", Spec{Kind: "inventory", Path: "-"}},
		{"hosts:dead=/tmp/dead.txt", Spec{Kind: "hosts", Name: "dead", Path: "/tmp/dead.txt"}},
		{"hosts:dead=-", Spec{Kind: "hosts", Name: "dead", Path: "-"}},
		{"hosts:/tmp/a=b.txt", Spec{Kind: "hosts", Path: "/tmp/a=b.txt"}},
		{"hdfs:report.txt", Spec{Kind: "hdfs", Path: "report.txt"}},
		{"cmdb.csv", Spec{Path: "cmdb.csv"}},
		{"/data/x:y.csv", Spec{Path: "/data/x:y.csv"}},
		{":x", Spec{Path: ":x"}},
	} {
		got, err := ParseSpec(tc.arg)
		require.NoError(t, err, tc.arg)
		assert.Equal(t, tc.want, got, tc.arg)
	}
	for arg, msg := range map[string]string{
		"-":           "-: standard input needs a kind (expected KIND:-, e.g. inventory:-)",
		"inventory:":  "inventory:: no path after the kind (expected KIND:PATH)",
		"hosts:dead=": "hosts:dead=: no path after the kind (expected KIND:PATH)",
		"hfds:x":      `hfds:x: unknown source kind "hfds" (expected KIND:PATH with a kind of hdfs, yarn, k8s, prom, netbox, ansible, inventory, hosts)`,
	} {
		_, err := ParseSpec(arg)
		assert.EqualError(t, err, msg)
	}
	// A file whose name merely looks like KIND:PATH is read as that file.
	t.Chdir(t.TempDir())
	require.NoError(t, os.WriteFile("hfds:x", []byte("a1\n"), 0o644))
	got, err := ParseSpec("hfds:x")
	require.NoError(t, err)
	assert.Equal(t, Spec{Path: "hfds:x"}, got)
}

func TestKindsAreComplete(t *testing.T) {
	assert.Equal(t, []string{"hdfs", "yarn", "k8s", "prom", "netbox", "ansible", "inventory", "hosts"}, KindNames())
	for _, k := range Kinds() {
		assert.NotNil(t, k.Looks, k.Name)
		assert.NotEmpty(t, k.Help, k.Name)
		assert.Equal(t, k.Name == "hosts", k.Parse == nil, k.Name)
	}
	_, err := Read(Spec{Kind: "bogus", Path: "testdata/hosts/dead.txt"}, Options{Now: igNow})
	assert.EqualError(t, err, `testdata/hosts/dead.txt: unknown kind "bogus" (expected one of hdfs, yarn, k8s, prom, netbox, ansible, inventory, hosts)`)
}

// TestDetectKind reads real samples as bare paths: each is recognised as
// its own kind, not as an inventory or a host list.
func TestDetectKind(t *testing.T) {
	const fx = "testdata/fixtures/"
	for path, want := range map[string]string{
		"testdata/inventory/cmdb.csv":                                  "inventory",
		"testdata/inventory/cmdb.jsonl":                                "inventory",
		"testdata/inventory/excel-bom.csv":                             "inventory",
		"testdata/hosts/dead.txt":                                      "hosts",
		fx + "hdfs/assembled-dfsadmin-report-hadoop3-mixed-states.txt": "hdfs",
		fx + "yarn/assembled-node-list-all-mixed-stdout.txt":           "yarn",
		fx + "k8s/assembled-kubectl-get-nodes-o-json-mixed.json":       "k8s",
		fx + "prometheus/live-prom2.42-query-vector-up.json":           "prom",
		fx + "netbox/assembled-netbox-device-import.csv":               "netbox",
		fx + "ansible/fleet-inventory.ini":                             "ansible",
	} {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		src, err := Read(Spec{Path: path}, Options{Now: igNow})
		if assert.NoError(t, err, path) {
			assert.Equal(t, want, src.Kind, path)
		}
	}
	dir := t.TempDir()
	for name, data := range map[string]string{
		"a.txt":   "name,role\nx,y\n",
		"b.json":  "{\"nodes\": []}\n",
		"c.bin":   "host\n\x00\x00",
		"d.hosts": "web1 # the first\n",
	} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
		_, err := Read(Spec{Path: path}, Options{Now: igNow})
		var le *LineError
		if assert.ErrorAs(t, err, &le, name) {
			assert.Equal(t, 1, le.Line)
		}
	}
}

// An empty file given as a bare path has no kind: a failed CMDB export
// must not seal a pass with an empty "host list" called inventory.csv.
// Named as a host list, it is an empty set.
func TestEmptyFileNeedsAKind(t *testing.T) {
	_, err := Read(Spec{Path: "testdata/hosts/empty.txt"}, Options{Now: igNow})
	assert.EqualError(t, err, "testdata/hosts/empty.txt: empty file: its kind cannot be detected (an empty CMDB dump is an outage; for an empty host list say hosts:testdata/hosts/empty.txt)")
	src, err := Read(Spec{Kind: "hosts", Path: "testdata/hosts/empty.txt"}, Options{Now: igNow})
	require.NoError(t, err)
	assert.Equal(t, "empty", src.Name)
	assert.Empty(t, src.Hosts)
}

// A file of comments and blank lines is empty too, whatever its line
// endings: a lone CR, CRLF, LF, or a byte-order mark first.
func TestNoDataLinesIsEmpty(t *testing.T) {
	for name, body := range map[string]string{
		"cr-only":       "\r\r\r",
		"comments":      "# dump of nothing\n# at all\n",
		"cr-comments":   "# dump\r# of nothing\r",
		"crlf-comments": "\ufeff# dump\r\n\r\n  # indented\r\n",
	} {
		path := filepath.Join(t.TempDir(), name)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
		_, err := Read(Spec{Path: path}, Options{Now: igNow})
		assert.EqualError(t, err, path+": empty file: its kind cannot be detected (an empty CMDB dump is an outage; for an empty host list say hosts:"+path+")", name)
	}
	for name, body := range map[string]string{"cr": "# list\ra.dc\r", "lf": "# list\na.dc\n"} {
		path := filepath.Join(t.TempDir(), name)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
		src, err := Read(Spec{Path: path}, Options{Now: igNow})
		require.NoError(t, err, name)
		assert.Equal(t, []string{"a.dc"}, src.Hosts, name)
	}
}

// TestControlPlaneSniffersAreSpecific checks that the hdfs, yarn and k8s
// sniffers, which content detection tries first, claim only the heads of
// their own fixtures and none of the other kinds' (prometheus, ansible,
// netbox, ...).
func TestControlPlaneSniffersAreSpecific(t *testing.T) {
	const fixtures = "testdata/fixtures"
	sniffers := map[string]func([]byte) bool{"hdfs": hdfs.Looks, "yarn": yarn.Looks, "k8s": k8s.Looks}
	dirs, err := os.ReadDir(fixtures)
	require.NoError(t, err)
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(fixtures, d.Name()))
		require.NoError(t, err)
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(fixtures, d.Name(), f.Name()))
			require.NoError(t, err)
			for kind, looks := range sniffers {
				assert.Equal(t, kind == d.Name(), looks(source.Head(data)), "%s.Looks on %s/%s", kind, d.Name(), f.Name())
			}
		}
	}
}

package ingest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseHosts(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		hosts    []string
		records  int
	}{
		{"trimmed, lower-cased, merged", "web1\n Web2 \r\n#c\n\nWEB1\n\tweb3\n", []string{"web1", "web2", "web3"}, 4},
		{"empty file", "", nil, 0},
		{"only comments", "# nothing today\n\n", nil, 0},
		{"no final newline", "a\nb", []string{"a", "b"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := ParseHosts("dead.txt", "dead", []byte(tc.in))
			require.NoError(t, err)
			igInvariants(t, src)
			if len(tc.hosts) == 0 {
				assert.Empty(t, src.Hosts)
			} else {
				assert.Equal(t, tc.hosts, src.Hosts)
			}
			assert.Equal(t, tc.records, src.Records)
			assert.Equal(t, "hosts", src.Kind)
			assert.Equal(t, "dead", src.Name)
			assert.Empty(t, src.Attrs)
		})
	}
}

func TestParseHostsErrors(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{"a\n\n# c\nweb1 web2\n", `dead.txt:4: host "web1 web2": contains a blank (a host key is 1 to 253 letters, digits, '-', '_', '.' or ':', not starting with '-' or '.')`},
		{"a\tb\n", `dead.txt:1: host "a\tb": contains a blank (a host key is 1 to 253 letters, digits, '-', '_', '.' or ':', not starting with '-' or '.')`},
		{"a\nb,c\n", `dead.txt:2: host "b,c": contains ',' (a host key is 1 to 253 letters, digits, '-', '_', '.' or ':', not starting with '-' or '.')`},
		{"a\x00b\n", "dead.txt:1: binary data (expected one host name per line)"},
	} {
		src, err := ParseHosts("dead.txt", "dead", []byte(tc.in))
		assert.EqualError(t, err, tc.err)
		assert.Nil(t, src)
		var le *LineError
		assert.ErrorAs(t, err, &le)
	}
}

func TestReadHosts(t *testing.T) {
	src, err := Read(Spec{Path: "testdata/hosts/dead.txt"}, Options{Now: igNow})
	require.NoError(t, err)
	assert.Equal(t, "hosts", src.Kind)
	assert.Equal(t, "dead", src.Name)
	assert.Equal(t, []string{"web01.example.com", "db01.example.com"}, src.Hosts)

	src, err = Read(Spec{Kind: "hosts", Path: "testdata/hosts/empty.txt"}, Options{Now: igNow})
	require.NoError(t, err, "an empty host list is an empty set, not an error")
	assert.Equal(t, "empty", src.Name)
	assert.Empty(t, src.Hosts)

	src, err = Read(Spec{Kind: "hosts", Name: "gone", Path: "testdata/hosts/dead.txt"}, Options{Now: igNow})
	require.NoError(t, err)
	assert.Equal(t, "gone", src.Name)

	for _, tc := range []struct {
		spec Spec
		err  string
	}{
		{Spec{Kind: "hosts", Path: "-"}, `<stdin>: "-" cannot be a set name (rename the file, or give hosts:NAME=-)`},
		{Spec{Kind: "hosts", Path: "testdata/hosts/all.txt"},
			`testdata/hosts/all.txt: "all" cannot be a set name (rename the file, or give hosts:NAME=testdata/hosts/all.txt)`},
		{Spec{Kind: "hosts", Path: "testdata/hosts/nosuch.txt"}, "testdata/hosts/nosuch.txt: no such file or directory"},
		{Spec{Kind: "hosts", Name: "all", Path: "testdata/hosts/dead.txt"},
			`testdata/hosts/dead.txt: "all" cannot be a set name (rename the file, or give hosts:NAME=testdata/hosts/dead.txt)`},
		{Spec{Kind: "hosts", Path: "lists/MANIFEST"}, // export's own file beside the set files
			`lists/MANIFEST: "MANIFEST" cannot be a set name (rename the file, or give hosts:NAME=lists/MANIFEST)`},
		{Spec{Kind: "hosts", Path: "lists/manifest.txt"},
			`lists/manifest.txt: "manifest" cannot be a set name (rename the file, or give hosts:NAME=lists/manifest.txt)`},
		{Spec{Kind: "hosts", Path: "lists/.dead"},
			`lists/.dead: ".dead" cannot be a set name (rename the file, or give hosts:NAME=lists/.dead)`},
		{Spec{Kind: "hosts", Path: "testdata/hosts/2024-dead.txt"},
			`testdata/hosts/2024-dead.txt: "2024-dead" cannot be a set name (rename the file, or give hosts:NAME=testdata/hosts/2024-dead.txt)`},
	} {
		_, err := Read(tc.spec, Options{Now: igNow, Stdin: errReader{}})
		assert.EqualError(t, err, tc.err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("unused") }

func TestSetNameFor(t *testing.T) {
	for in, want := range map[string]string{
		"dead.txt": "dead", "/tmp/x/hadoop_exclude.list": "hadoop_exclude", "canary.hosts": "canary",
		"responsive": "responsive", "a.b.txt": "a.b", "inv.csv": "inv.csv", "-": "-", "dir/": "dir",
	} {
		assert.Equal(t, want, SetNameFor(in), in)
	}
}

func FuzzParseHosts(f *testing.F) {
	for _, s := range []string{"web1\n Web2 \r\n#c\n\nWEB1\n", "", "a b\n", "a\x00", "\xff\xfe", "A\u212a\n", "é\nÉ\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := ParseHosts("f", "f", data)
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("not a LineError: %v", err)
			}
			return
		}
		igInvariants(t, src)
	})
}

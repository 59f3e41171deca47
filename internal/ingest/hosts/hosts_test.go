package hosts

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/ingest/sourcetest"
)

func TestParse(t *testing.T) {
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
			src, err := Parse("dead.txt", "dead", []byte(tc.in))
			require.NoError(t, err)
			sourcetest.Invariants(t, src)
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
		src, err := Parse("dead.txt", "dead", []byte(tc.in))
		assert.EqualError(t, err, tc.err)
		assert.Nil(t, src)
		var le *source.LineError
		assert.ErrorAs(t, err, &le)
	}
}

func TestSetNameFor(t *testing.T) {
	for in, want := range map[string]string{
		"dead.txt": "dead", "/tmp/x/hadoop_exclude.list": "hadoop_exclude", "canary.hosts": "canary",
		"responsive": "responsive", "a.b.txt": "a.b", "inv.csv": "inv.csv", "-": "-", "dir/": "dir",
	} {
		assert.Equal(t, want, SetNameFor(in), in)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"web1\n Web2 \r\n#c\n\nWEB1\n", "", "a b\n", "a\x00", "\xff\xfe", "A\u212a\n", "é\nÉ\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := Parse("f", "f", data)
		if err != nil {
			var le *source.LineError
			if !errors.As(err, &le) {
				t.Fatalf("not a source.LineError: %v", err)
			}
			return
		}
		sourcetest.Invariants(t, src)
	})
}

func TestLooks(t *testing.T) {
	for in, want := range map[string]bool{
		"web1\nweb2\n": true, "# c\n\nweb1\n": true, "": true, "a b\n": false, "a,b\n": false, "[web]\n": false, "a:1\n": false,
	} {
		assert.Equal(t, want, Looks(source.Head([]byte(in))), "%q", in)
	}
}

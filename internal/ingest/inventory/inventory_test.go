package inventory

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/ingest/sourcetest"
	"github.com/fleetq/fleetq/internal/store"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		records        int
	}{
		{"types", "host,role,cores,excluded,born,load\nWeb1 ,web,16,true,,0.5\n db1,db,8,FALSE,,-1e3\n",
			"hosts web1 db1\nrole string: web1=\"web\" db1=\"db\"\ncores number: web1=16 db1=8\n" +
				"excluded bool: web1=true db1=false\nload number: web1=0.5 db1=-1000\n", 2},
		{"mixed types are strings", "host,x,y\na,1,true\nb,true,yes\nc,foo,\n",
			"hosts a b c\nx string: a=\"1\" b=\"true\" c=\"foo\"\ny string: a=\"true\" b=\"yes\"\n", 3},
		{"empty cells are absent", "host,n,s\na,1,\nb,, \nc,2e3,x\n",
			"hosts a b c\nn number: a=1 c=2000\ns string: c=\"x\"\n", 3},
		{"duplicates merge, later values win", "host,role,rack\nA,web,r1\na ,db,\nb,x,r2\n",
			"hosts a b\nrole string: a=\"db\" b=\"x\"\nrack string: a=\"r1\" b=\"r2\"\n", 3},
		{"comments and blank lines", "# dump of the CMDB\n\nhost,role\n# comment\na,x\n\n\nb,y\n",
			"hosts a b\nrole string: a=\"x\" b=\"y\"\n", 2},
		{"CRLF and BOM", "\ufeffhost,role\r\na,x\r\nb,y\r\n", "hosts a b\nrole string: a=\"x\" b=\"y\"\n", 2},
		{"host column anywhere, any case", "role,HOST\nx,Alpha\n", "hosts alpha\nrole string: alpha=\"x\"\n", 1},
		{"quoted fields", "host,notes\n\"a\",\"x, y\"\nb,\"two\nlines\"\n", "hosts a b\nnotes string: a=\"x, y\" b=\"two\\nlines\"\n", 2},
		{"json lines", "{\"host\":\"A\",\"role\":\"web\",\"cores\":16,\"ok\":true,\"gone\":null}\n# c\n\n{\"host\":\"b\",\"cores\":8.5}\n",
			"hosts a b\ncores number: a=16 b=8.5\nok bool: a=true\nrole string: a=\"web\"\n", 2},
		{"json lines with BOM", "\ufeff{\"host\":\"a\"}\r\n", "hosts a\n", 1},
		{"json lines duplicate", "{\"host\":\"a\",\"x\":1}\n{\"host\":\" A \",\"x\":2}\n", "hosts a\nx number: a=2\n", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Parse("inv", []byte(tc.in))
			require.NoError(t, err)
			invariants(t, src)
			assert.Equal(t, tc.want, sourcetest.Dump(src))
			assert.Equal(t, tc.records, src.Records)
			assert.Equal(t, "inventory", src.Kind)
			assert.Equal(t, "inventory", src.Name)
		})
	}
}

func TestParseInventoryErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, err string }{
		{"no host column", "name,role\nx,y\n",
			"inv.csv:1: no host column in the header (expected a CSV header row with a column named host)"},
		{"header after comments", "# c\n\nname\nx\n",
			"inv.csv:3: no host column in the header (expected a CSV header row with a column named host)"},
		{"duplicate column", "host,role,role\n", `inv.csv:1: column "role" appears twice in the header`},
		{"two host columns", "host,Host\na,b\n", `inv.csv:1: column "Host" appears twice in the header`},
		{"bad column name", "host,my role\n",
			`inv.csv:1: column "my role" is not a usable attribute name (expected letters, digits, _ . -)`},
		{"empty column name", "host,,x\n",
			`inv.csv:1: column "" is not a usable attribute name (expected letters, digits, _ . -)`},
		{"wrong field count", "host,role\na,x\n\n# c\nb\n",
			"inv.csv:5: wrong number of fields (expected as many as the header row)"},
		{"bare quote", "host,role\na,x\nb,x\"y\n", `inv.csv:3: bare " in non-quoted-field`},
		{"unterminated quote", "host,role\na,x\nb,\"x\nc,y\n", `inv.csv:4: extraneous or missing " in quoted-field (in the record that starts on line 3)`},
		{"empty host", "host,role\na,x\n  ,y\n", `inv.csv:3: empty host (expected a host name in column "host")`},
		{"host with space", "host\na b\n", `inv.csv:2: host "a b": contains a blank (a host key is 1 to 253 letters, digits, '-', '_', '.' or ':', not starting with '-' or '.')`},
		{"binary", "host\n\x00\x01", "inv.csv:1: binary data (expected an inventory CSV with a host column)"},
		{"binary json", "{\"host\":\"a\"}\n\x00", "inv.csv:1: binary data (expected an inventory CSV with a host column)"},
		{"json syntax", "{\"host\":\"a\"}\n\n# c\n{\"host\":", "inv.csv:4: bad JSON (expected one object per line with a host field): unexpected EOF"},
		{"json no host", "{\"host\":\"a\"}\n{\"name\":\"b\"}\n", `inv.csv:2: no "host" string field (expected {"host": "name", ...})`},
		{"json numeric host", "{\"host\":7}\n", `inv.csv:1: no "host" string field (expected {"host": "name", ...})`},
		{"json host with space", "{\"host\":\"a b\"}\n", `inv.csv:1: host "a b": contains a blank (a host key is 1 to 253 letters, digits, '-', '_', '.' or ':', not starting with '-' or '.')`},
		{"json nested", "{\"host\":\"a\",\"tags\":[\"x\"]}\n",
			`inv.csv:1: field "tags": nested values are not attributes (expected a string, number or bool)`},
		{"json type change", "{\"host\":\"a\",\"x\":1}\n{\"host\":\"b\",\"x\":\"1\"}\n",
			`inv.csv:2: field "x" is a string here but a number on an earlier line`},
		{"json bad field name", "{\"host\":\"a\",\"my field\":1}\n",
			`inv.csv:1: field "my field" is not a usable attribute name (expected letters, digits, _ . -)`},
		{"json two objects", "{\"host\":\"a\"} {\"host\":\"b\"}\n",
			"inv.csv:1: bad JSON (expected one object per line with a host field): more after the object"},
		{"json huge number", "{\"host\":\"a\",\"x\":1e999}\n", `inv.csv:1: field "x": bad number 1e999`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Parse("inv.csv", []byte(tc.in))
			assert.EqualError(t, err, tc.err)
			assert.Nil(t, src)
			var le *source.LineError
			assert.ErrorAs(t, err, &le)
		})
	}
}

func TestParseInventoryEmpty(t *testing.T) {
	for _, in := range []string{"", "host,role\n", "# nothing\n\nhost\n# still nothing\n", "\n\n"} {
		src, err := Parse("inv.csv", []byte(in))
		assert.ErrorIs(t, err, source.ErrEmpty, "%q", in)
		assert.EqualError(t, err, "inv.csv: no hosts (an empty CMDB dump is an outage, not a fleet; --allow-empty accepts it)")
		if assert.NotNil(t, src, "%q: the empty source comes back for --allow-empty", in) {
			assert.Empty(t, src.Hosts)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"host,role,cores,excluded\nWeb1 ,web,16,true\n db1,db,8,FALSE\n",
		"host,x\na,1\nb,true\nc,foo\n", "# c\n\nhost,role\na,\"x, y\"\n", "\ufeffhost\r\na\r\n",
		"{\"host\":\"A\",\"role\":\"web\",\"cores\":16,\"ok\":true}\n{\"host\":\"b\"}\n",
		"host,role\na,x\nb\n", "host\n\x00", "{\"host\":\"a\"} x", "host\nNaN\n", "host,n\na,NaN\nb,inf\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := Parse("f", data)
		if err != nil {
			var le *source.LineError
			if !errors.As(err, &le) && !errors.Is(err, source.ErrEmpty) {
				t.Fatalf("error is neither a source.LineError nor source.ErrEmpty: %v", err)
			}
			return
		}
		invariants(t, src)
		if len(src.Hosts) == 0 {
			t.Fatal("success with no hosts")
		}
	})
}

// invariants are those of every source, and attribute names the query
// language can write: inventory columns are named by the CMDB.
func invariants(t testing.TB, src *store.SourceData) {
	t.Helper()
	sourcetest.Invariants(t, src)
	for _, c := range src.Attrs {
		if !source.ValidName(c.Name) {
			t.Fatalf("attribute name %q", c.Name)
		}
	}
}

func TestLooks(t *testing.T) {
	for in, want := range map[string]bool{
		"host,role\n": true, " Host , role\n": true, "\"host\",\"role\"\n": true, "\ufeffhost\n": true,
		"# c\nrole,host\n": true, "hostname,role\n": false, "{\"host\":\"a\"}\n": true, "{\"name\":\"a\"}\n": false,
	} {
		assert.Equal(t, want, Looks(source.Head([]byte(in))), "%q", in)
	}
}

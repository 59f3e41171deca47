package ingest

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/store"
)

// igDump renders a source compactly and deterministically: hosts in
// source order, then each column (name, type, host=value for present
// hosts), then sets.
func igDump(src *store.SourceData) string {
	var b strings.Builder
	fmt.Fprintf(&b, "hosts %s\n", strings.Join(src.Hosts, " "))
	for _, c := range src.Attrs {
		var vals []string
		for i, h := range src.Hosts {
			if c.Present(i) {
				vals = append(vals, h+"="+igValue(c, i))
			}
		}
		fmt.Fprintf(&b, "%s %s: %s\n", c.Name, c.Type, strings.Join(vals, " "))
	}
	names := make([]string, 0, len(src.Sets))
	for name := range src.Sets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		var hs []string
		for _, i := range src.Sets[name] {
			hs = append(hs, src.Hosts[i])
		}
		fmt.Fprintf(&b, "set %s: %s\n", name, strings.Join(hs, " "))
	}
	return b.String()
}

func igValue(c *store.Column, i int) string {
	switch c.Type {
	case fleet.Bool:
		return strconv.FormatBool(c.Bool[i])
	case fleet.Number:
		return strconv.FormatFloat(c.Num[i], 'g', -1, 64)
	case fleet.Time:
		return strconv.FormatInt(c.Time[i], 10)
	}
	return strconv.Quote(c.Str[i])
}

// igInvariants holds for every parsed source: keys non-empty, trimmed,
// lower-case, unique; columns aligned with the hosts.
func igInvariants(t testing.TB, src *store.SourceData) {
	t.Helper()
	seen := map[string]bool{}
	for _, h := range src.Hosts {
		if h == "" || h != strings.TrimSpace(h) || h != strings.ToLower(h) || seen[h] {
			t.Fatalf("bad host key %q in %q", h, src.Hosts)
		}
		seen[h] = true
	}
	for _, c := range src.Attrs {
		if !ValidName(c.Name) {
			t.Fatalf("attribute name %q", c.Name)
		}
		n := map[fleet.Type]int{fleet.String: len(c.Str), fleet.Number: len(c.Num),
			fleet.Bool: len(c.Bool), fleet.Time: len(c.Time)}[c.Type]
		if n != len(src.Hosts) || c.Has != nil && len(c.Has) != n {
			t.Fatalf("column %s not aligned: %d values, %d hosts", c.Name, n, len(src.Hosts))
		}
	}
}

func TestParseInventory(t *testing.T) {
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
			src, err := ParseInventory("inv", []byte(tc.in))
			require.NoError(t, err)
			igInvariants(t, src)
			assert.Equal(t, tc.want, igDump(src))
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
			src, err := ParseInventory("inv.csv", []byte(tc.in))
			assert.EqualError(t, err, tc.err)
			assert.Nil(t, src)
			var le *LineError
			assert.ErrorAs(t, err, &le)
		})
	}
}

func TestParseInventoryEmpty(t *testing.T) {
	for _, in := range []string{"", "host,role\n", "# nothing\n\nhost\n# still nothing\n", "\n\n"} {
		src, err := ParseInventory("inv.csv", []byte(in))
		assert.ErrorIs(t, err, ErrEmpty, "%q", in)
		assert.EqualError(t, err, "inv.csv: no hosts (an empty CMDB dump is an outage, not a fleet; --allow-empty accepts it)")
		if assert.NotNil(t, src, "%q: the empty source comes back for --allow-empty", in) {
			assert.Empty(t, src.Hosts)
		}
	}
}

func igNow() time.Time { return time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC) }

func TestReadInventory(t *testing.T) {
	src, err := Read(Spec{Path: "testdata/inventory/cmdb.csv"}, Options{Now: igNow})
	require.NoError(t, err)
	igInvariants(t, src)
	assert.Equal(t, "inventory", src.Kind)
	assert.Equal(t, "testdata/inventory/cmdb.csv", src.Path)
	assert.Equal(t, igNow(), src.ReadAt)
	assert.Len(t, src.Hash, 64)
	assert.Equal(t, 4, src.Records)
	assert.Equal(t, "hosts web01.example.com web02.example.com db01.example.com hadoop01.example.com\n"+
		"role string: web01.example.com=\"web\" web02.example.com=\"web\" db01.example.com=\"db\" hadoop01.example.com=\"hadoop\"\n"+
		"cluster string: web01.example.com=\"prod\" web02.example.com=\"prod\" db01.example.com=\"prod\" hadoop01.example.com=\"prod\"\n"+
		"rack string: web01.example.com=\"r01\" web02.example.com=\"r01\" db01.example.com=\"r02\" hadoop01.example.com=\"r03\"\n"+
		"cores number: web01.example.com=16 web02.example.com=16 db01.example.com=64 hadoop01.example.com=32\n"+
		"hadoop_exclude bool: web01.example.com=false web02.example.com=false db01.example.com=true hadoop01.example.com=false\n"+
		"lifecycle string: web01.example.com=\"live\" web02.example.com=\"live\" hadoop01.example.com=\"burnin\"\n", igDump(src))

	src, err = Read(Spec{Path: "testdata/inventory/cmdb.jsonl"}, Options{Now: igNow})
	require.NoError(t, err)
	assert.Equal(t, "hosts web01.example.com db01.example.com\n"+
		"cores number: web01.example.com=16 db01.example.com=64.5\n"+
		"hadoop_exclude bool: web01.example.com=false db01.example.com=true\n"+
		"ip string: web01.example.com=\"10.0.0.1\" db01.example.com=\"10.0.0.2\"\n"+
		"role string: web01.example.com=\"web\" db01.example.com=\"db\"\n", igDump(src))

	src, err = Read(Spec{Path: "testdata/inventory/excel-bom.csv"}, Options{Now: igNow})
	require.NoError(t, err, "a BOM from a spreadsheet export is still detected as an inventory")
	assert.Equal(t, "inventory", src.Kind)
}

func TestReadAllowEmpty(t *testing.T) {
	dir := t.TempDir()
	for _, in := range []string{"host,role\n", ""} {
		path := dir + "/empty.csv"
		require.NoError(t, os.WriteFile(path, []byte(in), 0o644))
		_, err := Read(Spec{Kind: "inventory", Path: path}, Options{Now: igNow})
		assert.ErrorIs(t, err, ErrEmpty, "%q", in)
		src, err := Read(Spec{Kind: "inventory", Path: path}, Options{Now: igNow, AllowEmpty: true})
		require.NoError(t, err, "%q", in)
		assert.Empty(t, src.Hosts)
		assert.Equal(t, path, src.Path)
		assert.Len(t, src.Hash, 64)
	}
	src, err := Read(Spec{Kind: "inventory", Path: "-"}, Options{Stdin: strings.NewReader("host\nA\n")})
	require.NoError(t, err, "no clock given: the read time is now")
	assert.Equal(t, "-", src.Path)
	assert.Equal(t, []string{"a"}, src.Hosts)
	assert.WithinDuration(t, time.Now(), src.ReadAt, time.Minute)
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"role", "_x", "hdfs.state", "a-b", "A1", "x_"} {
		assert.True(t, ValidName(ok), ok)
	}
	for _, bad := range []string{"", "1a", "a b", "a-", "a.", ".a", "-a", "a:b", "é"} {
		assert.False(t, ValidName(bad), bad)
	}
}

func FuzzParseInventory(f *testing.F) {
	for _, s := range []string{
		"host,role,cores,excluded\nWeb1 ,web,16,true\n db1,db,8,FALSE\n",
		"host,x\na,1\nb,true\nc,foo\n", "# c\n\nhost,role\na,\"x, y\"\n", "\ufeffhost\r\na\r\n",
		"{\"host\":\"A\",\"role\":\"web\",\"cores\":16,\"ok\":true}\n{\"host\":\"b\"}\n",
		"host,role\na,x\nb\n", "host\n\x00", "{\"host\":\"a\"} x", "host\nNaN\n", "host,n\na,NaN\nb,inf\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := ParseInventory("f", data)
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) && !errors.Is(err, ErrEmpty) {
				t.Fatalf("error is neither a LineError nor ErrEmpty: %v", err)
			}
			return
		}
		igInvariants(t, src)
		if len(src.Hosts) == 0 {
			t.Fatal("success with no hosts")
		}
	})
}

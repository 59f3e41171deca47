package ingest

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/ingest/sourcetest"
)

func igNow() time.Time { return time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC) }

func TestReadInventory(t *testing.T) {
	src, err := Read(Spec{Path: "testdata/inventory/cmdb.csv"}, Options{Now: igNow})
	require.NoError(t, err)
	sourcetest.Invariants(t, src)
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
		"lifecycle string: web01.example.com=\"live\" web02.example.com=\"live\" hadoop01.example.com=\"burnin\"\n", sourcetest.Dump(src))

	src, err = Read(Spec{Path: "testdata/inventory/cmdb.jsonl"}, Options{Now: igNow})
	require.NoError(t, err)
	assert.Equal(t, "hosts web01.example.com db01.example.com\n"+
		"cores number: web01.example.com=16 db01.example.com=64.5\n"+
		"hadoop_exclude bool: web01.example.com=false db01.example.com=true\n"+
		"ip string: web01.example.com=\"10.0.0.1\" db01.example.com=\"10.0.0.2\"\n"+
		"role string: web01.example.com=\"web\" db01.example.com=\"db\"\n", sourcetest.Dump(src))

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

// Package sourcetest is what the tests of the source kinds share: reading
// the fixtures (real outputs of real tools, one shared testdata directory
// beside package ingest), looking up hosts and attributes of a parsed
// source, pinning a result, the invariants every parsed source keeps, and
// the fuzz oracle. It is imported by tests only, like net/http/httptest.
package sourcetest

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/store"
)

// FixtureDir holds real outputs of real tools (provenance in its
// SOURCES.md), relative to the directory of a kind package, where its
// tests run: internal/ingest/testdata/fixtures.
const FixtureDir = "../testdata/fixtures"

// Fixture reads a fixture file by its path under FixtureDir ("k8s",
// "nodes.json" or "k8s/nodes.json").
func Fixture(t testing.TB, path ...string) []byte {
	t.Helper()
	rel := filepath.Join(path...)
	data, err := os.ReadFile(filepath.Join(FixtureDir, rel))
	require.NoError(t, err, "fixture %s (under internal/ingest/testdata/fixtures)", rel)
	return data
}

// FixtureNames lists the fixture files of dir, so that a new fixture
// without a test case fails a coverage test.
func FixtureNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(FixtureDir, dir))
	require.NoError(t, err)
	require.NotEmpty(t, ents, "no fixtures under %s/%s", FixtureDir, dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// FixtureFiles lists the fixture files of dir as "dir/name".
func FixtureFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	for _, name := range FixtureNames(t, dir) {
		out = append(out, dir+"/"+name)
	}
	return out
}

// RequireCovered fails when a fixture file of dir ("dir/name") is not
// among covered.
func RequireCovered(t *testing.T, dir string, covered []string) {
	t.Helper()
	for _, f := range FixtureFiles(t, dir) {
		assert.Contains(t, covered, f, "fixture %s has no test case", f)
	}
}

// Column finds a column by name, or nil.
func Column(src *store.SourceData, name string) *store.Column {
	for _, c := range src.Attrs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// HostIndex returns the index of host, failing the test when absent.
func HostIndex(t testing.TB, src *store.SourceData, host string) int {
	t.Helper()
	for i, h := range src.Hosts {
		if h == host {
			return i
		}
	}
	t.Fatalf("host %q not in %v", host, src.Hosts)
	return -1
}

// Attr returns attribute name of host as a Go value (string, float64,
// bool or int64 unix seconds), or nil when the host has none.
func Attr(t testing.TB, src *store.SourceData, host, name string) any {
	t.Helper()
	i := HostIndex(t, src, host)
	c := Column(src, name)
	if c == nil || !c.Present(i) {
		return nil
	}
	switch c.Type {
	case fleet.String:
		return c.StrAt(i)
	case fleet.Number:
		return c.Num[i]
	case fleet.Bool:
		return c.Bool[i]
	case fleet.Time:
		return c.Time[i]
	}
	t.Fatalf("column %s has type %v", name, c.Type)
	return nil
}

// Alt returns the alternative identities of host.
func Alt(t testing.TB, src *store.SourceData, host string) []string {
	t.Helper()
	i := HostIndex(t, src, host)
	if i >= len(src.Alt) {
		return nil
	}
	return src.Alt[i]
}

// Value returns the column and host index of "host|attr", failing when
// the host has no value.
func Value(t testing.TB, src *store.SourceData, key string) (*store.Column, int) {
	t.Helper()
	host, attr, _ := strings.Cut(key, "|")
	i := HostIndex(t, src, host)
	c := Column(src, attr)
	require.NotNil(t, c, "attribute %s", attr)
	require.True(t, c.Present(i), "%s has no value", key)
	return c, i
}

// Unix parses an RFC 3339 time to unix seconds, for expected values.
func Unix(s string) int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.Unix()
}

// Sorted returns a sorted copy.
func Sorted(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	return out
}

// SetNames lists the sets of src, sorted.
func SetNames(src *store.SourceData) []string {
	var names []string
	for n := range src.Sets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// HasWarn reports whether a warning of src contains sub.
func HasWarn(src *store.SourceData, sub string) bool {
	for _, w := range src.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

// Want pins what a parser produced. Attribute keys are "host|attr".
type Want struct {
	Hosts   []string
	Records int
	Num     map[string]float64
	TS      map[string]int64
	Str     map[string]string
	Bool    map[string]bool
	Absent  []string
	Sets    map[string][]string
	NoSets  []string
	Alt     map[string][]string
	Warns   []string
}

// Check checks src against want, then the Invariants.
func Check(t *testing.T, src *store.SourceData, want Want) {
	t.Helper()
	require.NotNil(t, src)
	assert.Equal(t, want.Hosts, src.Hosts, "hosts")
	assert.Equal(t, want.Records, src.Records, "records")
	checkValues(t, src, want)
	for set, hosts := range want.Sets {
		ids, ok := src.Sets[set]
		require.True(t, ok, "set %s missing; have %v", set, SetNames(src))
		var got []string
		for _, id := range ids {
			got = append(got, src.Hosts[id])
		}
		assert.Equal(t, Sorted(hosts), Sorted(got), "set %s", set)
	}
	for _, set := range want.NoSets {
		_, ok := src.Sets[set]
		assert.False(t, ok, "set %s should not exist", set)
	}
	for host, alt := range want.Alt {
		i := HostIndex(t, src, host)
		require.Greater(t, len(src.Alt), i, "alt of %s", host)
		assert.Equal(t, alt, src.Alt[i], "alt of %s", host)
	}
	for _, w := range want.Warns {
		assert.True(t, HasWarn(src, w), "no warning containing %q in %q", w, src.Warnings)
	}
	Invariants(t, src)
}

func checkValues(t *testing.T, src *store.SourceData, want Want) {
	t.Helper()
	for k, v := range want.Num {
		c, i := Value(t, src, k)
		require.Equal(t, fleet.Number, c.Type, k)
		if math.IsNaN(v) {
			assert.True(t, math.IsNaN(c.Num[i]), k)
		} else {
			assert.Equal(t, v, c.Num[i], k)
		}
	}
	for k, v := range want.TS {
		c, i := Value(t, src, k)
		require.NotNil(t, c.TS, "%s has no timestamps", k)
		assert.Equal(t, v, c.TS[i], k)
	}
	for k, v := range want.Str {
		c, i := Value(t, src, k)
		require.Equal(t, fleet.String, c.Type, k)
		assert.Equal(t, v, c.StrAt(i), k)
	}
	for k, v := range want.Bool {
		c, i := Value(t, src, k)
		require.Equal(t, fleet.Bool, c.Type, k)
		assert.Equal(t, v, c.Bool[i], k)
	}
	for _, k := range want.Absent {
		host, attr, _ := strings.Cut(k, "|")
		if c := Column(src, attr); c != nil {
			assert.False(t, c.Present(HostIndex(t, src, host)), "%s should be absent", k)
		}
	}
}

// Invariants hold for every parsed source: host keys non-empty,
// normalised and unique; no more alternative identities than hosts;
// columns (and their timestamps) aligned with the hosts; attribute names
// in [A-Za-z0-9_.-]; sets sorted, in range, never named all.
func Invariants(t testing.TB, src *store.SourceData) {
	t.Helper()
	seen := map[string]bool{}
	for _, h := range src.Hosts {
		if h == "" || h != hostkey.Normalize(h) || seen[h] {
			t.Fatalf("bad or duplicate host key %q in %q", h, src.Hosts)
		}
		seen[h] = true
	}
	n := len(src.Hosts)
	if len(src.Alt) > n {
		t.Fatalf("%d Alt entries for %d hosts", len(src.Alt), n)
	}
	for _, c := range src.Attrs {
		if c.Name == "" || source.AttrName(c.Name) != c.Name {
			t.Fatalf("bad attribute name %q", c.Name)
		}
		strs := len(c.Str)
		if c.Coded() {
			strs = len(c.Codes)
			for i, k := range c.Codes {
				if c.Present(i) && int(k) >= len(c.Dict) {
					t.Fatalf("column %s: host %d has code %d of a dictionary of %d", c.Name, i, k, len(c.Dict))
				}
			}
		}
		l := map[fleet.Type]int{fleet.String: strs, fleet.Number: len(c.Num), fleet.Bool: len(c.Bool), fleet.Time: len(c.Time)}[c.Type]
		if l != n || (c.Has != nil && len(c.Has) != n) || (c.TS != nil && len(c.TS) != n) {
			t.Fatalf("column %s not aligned with %d hosts", c.Name, n)
		}
	}
	if _, ok := src.Sets["all"]; ok {
		t.Fatalf("set all is reserved")
	}
	for name, ids := range src.Sets {
		for k, id := range ids {
			if int(id) >= n || (k > 0 && ids[k-1] >= id) {
				t.Fatalf("set %s not sorted or out of range: %v", name, ids)
			}
		}
	}
}

// CheckLineErr parses input as the file in.txt and checks that it fails
// as CheckErr does, at line (0: the whole file), rendered "in.txt:LINE: ".
func CheckLineErr(t *testing.T, parse func(string, []byte) (*store.SourceData, error), input string, line int, want string) {
	t.Helper()
	le := lineErr(t, parse, input, want)
	assert.Equal(t, line, le.Line, "line of: %v", le)
	if line > 0 {
		assert.True(t, strings.HasPrefix(le.Error(), "in.txt:"+strconv.Itoa(line)+": "), "format: %v", le)
	}
}

// CheckErr parses data as the file in.txt and checks that it fails with
// a *LineError (not ErrEmpty), on one line, containing want, and no
// source.
func CheckErr(t *testing.T, parse func(string, []byte) (*store.SourceData, error), data, want string) {
	t.Helper()
	_ = lineErr(t, parse, data, want) // the checks are the point; the error is for CheckLineErr
}

// lineErr is CheckErr, returning the error.
func lineErr(t *testing.T, parse func(string, []byte) (*store.SourceData, error), data, want string) *source.LineError {
	t.Helper()
	src, err := parse("in.txt", []byte(data))
	require.Error(t, err)
	assert.Nil(t, src)
	var le *source.LineError
	require.True(t, errors.As(err, &le), "want *LineError, got %T: %v", err, err)
	assert.Contains(t, err.Error(), want)
	assert.NotContains(t, err.Error(), "\n", "one line")
	assert.False(t, errors.Is(err, source.ErrEmpty))
	return le
}

// CheckEmpty asserts a zero-host result: the data and ErrEmpty.
func CheckEmpty(t *testing.T, src *store.SourceData, err error) {
	t.Helper()
	require.ErrorIs(t, err, source.ErrEmpty)
	require.NotNil(t, src)
	assert.Empty(t, src.Hosts)
}

// FuzzCheck is the fuzz oracle: no panic (implicit); an error is a
// *LineError on one line, or ErrEmpty with an empty source; a success has
// hosts; every source keeps the Invariants.
func FuzzCheck(t *testing.T, src *store.SourceData, err error) {
	t.Helper()
	if errors.Is(err, source.ErrEmpty) {
		if src == nil || len(src.Hosts) != 0 {
			t.Fatalf("ErrEmpty without an empty source")
		}
		Invariants(t, src)
		return
	}
	if err != nil {
		var le *source.LineError
		if !errors.As(err, &le) {
			t.Fatalf("error is %T, neither *LineError nor ErrEmpty: %v", err, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("error is not one line: %q", err)
		}
		return
	}
	require.NotNil(t, src)
	require.NotEmpty(t, src.Hosts)
	Invariants(t, src)
}

// Dump renders a source compactly and deterministically: hosts in source
// order, then each column (name, type, host=value for present hosts),
// then sets.
func Dump(src *store.SourceData) string {
	var b strings.Builder
	fmt.Fprintf(&b, "hosts %s\n", strings.Join(src.Hosts, " "))
	for _, c := range src.Attrs {
		var vals []string
		for i, h := range src.Hosts {
			if c.Present(i) {
				vals = append(vals, h+"="+value(c, i))
			}
		}
		fmt.Fprintf(&b, "%s %s: %s\n", c.Name, c.Type, strings.Join(vals, " "))
	}
	for _, name := range SetNames(src) {
		var hs []string
		for _, i := range src.Sets[name] {
			hs = append(hs, src.Hosts[i])
		}
		fmt.Fprintf(&b, "set %s: %s\n", name, strings.Join(hs, " "))
	}
	return b.String()
}

func value(c *store.Column, i int) string {
	switch c.Type {
	case fleet.Bool:
		return strconv.FormatBool(c.Bool[i])
	case fleet.Number:
		return strconv.FormatFloat(c.Num[i], 'g', -1, 64)
	case fleet.Time:
		return strconv.FormatInt(c.Time[i], 10)
	}
	return strconv.Quote(c.StrAt(i))
}

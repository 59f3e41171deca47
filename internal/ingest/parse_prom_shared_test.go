package ingest

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/store"
)

// Test helpers shared by the prom, ansible and netbox parser tests.

// srcFixtureDir holds real outputs of real tools (provenance in its SOURCES.md).
const srcFixtureDir = "testdata/fixtures"

func srcFixture(t testing.TB, dir, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(srcFixtureDir, dir, name))
	require.NoError(t, err)
	return data
}

// srcFixtureNames lists every fixture file of dir, so a new fixture
// without a test case fails the coverage test.
func srcFixtureNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(srcFixtureDir, dir))
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// srcWant pins what a parser produced. Attribute keys are "host|attr".
type srcWant struct {
	hosts   []string
	records int
	num     map[string]float64
	ts      map[string]int64
	str     map[string]string
	boolean map[string]bool
	absent  []string
	sets    map[string][]string
	noSets  []string
	alt     map[string][]string
	warns   []string
}

func srcColumn(src *store.SourceData, name string) *store.Column {
	for _, c := range src.Attrs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func srcHostIndex(t *testing.T, src *store.SourceData, host string) int {
	t.Helper()
	for i, h := range src.Hosts {
		if h == host {
			return i
		}
	}
	t.Fatalf("host %q not in %v", host, src.Hosts)
	return -1
}

// srcValue returns the column and host index of "host|attr", failing when
// the host has no value.
func srcValue(t *testing.T, src *store.SourceData, key string) (*store.Column, int) {
	t.Helper()
	host, attr, _ := strings.Cut(key, "|")
	i := srcHostIndex(t, src, host)
	c := srcColumn(src, attr)
	require.NotNil(t, c, "attribute %s", attr)
	require.True(t, c.Present(i), "%s has no value", key)
	return c, i
}

func srcCheck(t *testing.T, src *store.SourceData, want srcWant) {
	t.Helper()
	require.NotNil(t, src)
	assert.Equal(t, want.hosts, src.Hosts, "hosts")
	assert.Equal(t, want.records, src.Records, "records")
	for k, v := range want.num {
		c, i := srcValue(t, src, k)
		require.Equal(t, fleet.Number, c.Type, k)
		if math.IsNaN(v) {
			assert.True(t, math.IsNaN(c.Num[i]), k)
		} else {
			assert.Equal(t, v, c.Num[i], k)
		}
	}
	for k, v := range want.ts {
		c, i := srcValue(t, src, k)
		require.NotNil(t, c.TS, "%s has no timestamps", k)
		assert.Equal(t, v, c.TS[i], k)
	}
	for k, v := range want.str {
		c, i := srcValue(t, src, k)
		require.Equal(t, fleet.String, c.Type, k)
		assert.Equal(t, v, c.Str[i], k)
	}
	for k, v := range want.boolean {
		c, i := srcValue(t, src, k)
		require.Equal(t, fleet.Bool, c.Type, k)
		assert.Equal(t, v, c.Bool[i], k)
	}
	for _, k := range want.absent {
		host, attr, _ := strings.Cut(k, "|")
		if c := srcColumn(src, attr); c != nil {
			assert.False(t, c.Present(srcHostIndex(t, src, host)), "%s should be absent", k)
		}
	}
	for set, hosts := range want.sets {
		ids, ok := src.Sets[set]
		require.True(t, ok, "set %s missing; have %v", set, srcSetNames(src))
		var got []string
		for _, id := range ids {
			got = append(got, src.Hosts[id])
		}
		sort.Strings(got)
		want := append([]string(nil), hosts...)
		sort.Strings(want)
		assert.Equal(t, want, got, "set %s", set)
	}
	for _, set := range want.noSets {
		_, ok := src.Sets[set]
		assert.False(t, ok, "set %s should not exist", set)
	}
	for host, alt := range want.alt {
		i := srcHostIndex(t, src, host)
		require.Greater(t, len(src.Alt), i, "alt of %s", host)
		assert.Equal(t, alt, src.Alt[i], "alt of %s", host)
	}
	for _, w := range want.warns {
		assert.True(t, srcHasWarn(src, w), "no warning containing %q in %q", w, src.Warnings)
	}
	srcInvariants(t, src)
}

func srcSetNames(src *store.SourceData) []string {
	var names []string
	for n := range src.Sets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func srcHasWarn(src *store.SourceData, sub string) bool {
	for _, w := range src.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

// srcInvariants holds for every parser result: host keys non-empty,
// trimmed, lower-case and unique; columns aligned; sets sorted, in range,
// never named all; attribute names in [A-Za-z0-9_.-].
func srcInvariants(t testing.TB, src *store.SourceData) {
	t.Helper()
	seen := map[string]bool{}
	for _, h := range src.Hosts {
		if h == "" || h != NormalizeHost(h) || seen[h] {
			t.Fatalf("bad host key %q", h)
		}
		seen[h] = true
	}
	n := len(src.Hosts)
	for _, c := range src.Attrs {
		if c.Name == "" || srcAttrName(c.Name) != c.Name {
			t.Fatalf("bad attribute name %q", c.Name)
		}
		l := map[fleet.Type]int{fleet.String: len(c.Str), fleet.Number: len(c.Num), fleet.Bool: len(c.Bool), fleet.Time: len(c.Time)}[c.Type]
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

// srcErrCase is a bad input and the error it must give.
type srcErrCase struct {
	name string
	data string
	want string // substring of the error text, which starts with FILE:LINE
}

func srcCheckErr(t *testing.T, parse func(string, []byte) (*store.SourceData, error), c srcErrCase) {
	t.Helper()
	src, err := parse("in.txt", []byte(c.data))
	require.Error(t, err)
	assert.Nil(t, src)
	var le *LineError
	require.True(t, errors.As(err, &le), "%T %v", err, err)
	assert.Contains(t, err.Error(), c.want)
	assert.NotContains(t, err.Error(), "\n", "one line")
}

// srcCheckEmpty asserts a zero-host result: the data and ErrEmpty.
func srcCheckEmpty(t *testing.T, src *store.SourceData, err error) {
	t.Helper()
	require.ErrorIs(t, err, ErrEmpty)
	require.NotNil(t, src)
	assert.Empty(t, src.Hosts)
}

// srcFuzzCheck is the fuzz oracle: no panic, and a result (with or without
// ErrEmpty) keeps the invariants.
func srcFuzzCheck(t *testing.T, src *store.SourceData, err error) {
	if err != nil && !errors.Is(err, ErrEmpty) {
		var le *LineError
		if !errors.As(err, &le) {
			t.Fatalf("error is %T, not *LineError: %v", err, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("error is not one line: %q", err)
		}
		return
	}
	srcInvariants(t, src)
}

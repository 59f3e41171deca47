package ingest

// Test helpers shared by the hdfs, yarn and k8s parser tests ("cp" =
// control plane, to keep clear of other ingesters' test helpers).

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/store"
)

// cpFixtureDir holds real outputs of real tools (provenance in its SOURCES.md).
const cpFixtureDir = "testdata/fixtures"

// cpFixture reads a fixture file by its path under cpFixtureDir.
func cpFixture(t testing.TB, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(cpFixtureDir, rel))
	require.NoError(t, err, "fixture %s (under internal/ingest/testdata/fixtures)", rel)
	return data
}

// cpFixtureFiles lists the fixture files of one kind, as "kind/name".
func cpFixtureFiles(t testing.TB, kind string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(cpFixtureDir, kind, "*"))
	require.NoError(t, err)
	require.NotEmpty(t, paths, "no fixtures under %s/%s", cpFixtureDir, kind)
	var out []string
	for _, p := range paths {
		out = append(out, kind+"/"+filepath.Base(p))
	}
	return out
}

// cpRequireCovered fails when a fixture file of kind has no test case.
func cpRequireCovered(t *testing.T, kind string, covered []string) {
	t.Helper()
	for _, f := range cpFixtureFiles(t, kind) {
		assert.Contains(t, covered, f, "fixture %s has no test case", f)
	}
}

// cpCol finds a column by name.
func cpCol(src *store.SourceData, name string) *store.Column {
	for _, c := range src.Attrs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// cpHostIndex returns the index of host, failing the test when absent.
func cpHostIndex(t *testing.T, src *store.SourceData, host string) int {
	t.Helper()
	for i, h := range src.Hosts {
		if h == host {
			return i
		}
	}
	t.Fatalf("host %q not in %v", host, src.Hosts)
	return -1
}

// cpAttr returns attribute name of host as a Go value (string, float64,
// bool or int64 unix seconds), or nil when the host has none.
func cpAttr(t *testing.T, src *store.SourceData, host, name string) any {
	t.Helper()
	i := cpHostIndex(t, src, host)
	c := cpCol(src, name)
	if c == nil || !c.Present(i) {
		return nil
	}
	switch c.Type {
	case fleet.String:
		return c.Str[i]
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

// cpAlt returns the alternative identities of host.
func cpAlt(t *testing.T, src *store.SourceData, host string) []string {
	i := cpHostIndex(t, src, host)
	if i >= len(src.Alt) {
		return nil
	}
	return src.Alt[i]
}

// cpCheckSource checks the invariants every parsed source must hold:
// host keys non-empty, trimmed, lower-case and unique; columns aligned.
func cpCheckSource(t testing.TB, src *store.SourceData) {
	t.Helper()
	seen := map[string]bool{}
	for _, h := range src.Hosts {
		if h == "" || h != strings.ToLower(strings.TrimSpace(h)) || seen[h] {
			t.Fatalf("bad or duplicate host key %q", h)
		}
		seen[h] = true
	}
	if len(src.Alt) > len(src.Hosts) {
		t.Fatalf("%d Alt entries for %d hosts", len(src.Alt), len(src.Hosts))
	}
	for _, c := range src.Attrs {
		n := map[fleet.Type]int{fleet.String: len(c.Str), fleet.Number: len(c.Num), fleet.Bool: len(c.Bool), fleet.Time: len(c.Time)}[c.Type]
		if n != len(src.Hosts) || (c.Has != nil && len(c.Has) != len(src.Hosts)) {
			t.Fatalf("column %s is not aligned with %d hosts", c.Name, len(src.Hosts))
		}
	}
}

// cpErrCase is one malformed input and the error it must give.
type cpErrCase struct {
	name  string
	input string
	line  int    // expected LineError line
	want  string // substring of the message
}

// cpCheckErrors runs malformed inputs through parse and checks that each
// fails with a *LineError rendered as "FILE:LINE: ...".
func cpCheckErrors(t *testing.T, parse func(string, []byte) (*store.SourceData, error), cases []cpErrCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, err := parse("in.txt", []byte(tc.input))
			require.Error(t, err)
			assert.Nil(t, src)
			var le *LineError
			require.True(t, errors.As(err, &le), "want *LineError, got %T: %v", err, err)
			assert.Equal(t, tc.line, le.Line, "line of: %v", err)
			assert.Contains(t, err.Error(), tc.want)
			if tc.line > 0 {
				assert.True(t, strings.HasPrefix(err.Error(), "in.txt:"+strconv.Itoa(tc.line)+": "), "format: %v", err)
			}
			assert.NotContains(t, err.Error(), "\n", "one line")
			assert.False(t, errors.Is(err, ErrEmpty))
		})
	}
}

// cpSorted returns a sorted copy.
func cpSorted(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	return out
}

// cpFuzzCheck is the fuzz property: no panic (implicit), and a successful
// parse gives well-formed host keys.
func cpFuzzCheck(t *testing.T, src *store.SourceData, err error) {
	if err != nil {
		var le *LineError
		if !errors.As(err, &le) && !errors.Is(err, ErrEmpty) {
			t.Fatalf("error is neither *LineError nor ErrEmpty: %T %v", err, err)
		}
		if errors.Is(err, ErrEmpty) && (src == nil || len(src.Hosts) != 0) {
			t.Fatalf("ErrEmpty without an empty source")
		}
		return
	}
	require.NotNil(t, src)
	require.NotEmpty(t, src.Hosts)
	cpCheckSource(t, src)
}

// TestControlPlaneSniffersAreSpecific checks that the hdfs, yarn and k8s
// sniffers, which content detection tries first, claim only their own
// fixtures and none of the other kinds' (prometheus, ansible, netbox, ...).
func TestControlPlaneSniffersAreSpecific(t *testing.T) {
	sniffers := map[string]func([]byte) bool{"hdfs": LooksLikeHDFS, "yarn": LooksLikeYARN, "k8s": LooksLikeK8s}
	dirs, err := os.ReadDir(cpFixtureDir)
	require.NoError(t, err)
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		for _, f := range cpFixtureFiles(t, d.Name()) {
			data := cpFixture(t, f)
			for kind, looks := range sniffers {
				assert.Equal(t, kind == d.Name(), looks(data), "LooksLike %s on %s", kind, f)
			}
		}
	}
}

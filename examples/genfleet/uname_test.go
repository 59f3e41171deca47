package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUnameObservesDeclaredKernels: prom-uname.json has one
// node_uname_info series per host that is up, at the pass time; its
// release is the declared kernel except for a few hosts on the previous
// kernel and a few on one no host declares; the same flags give the
// same bytes.
func TestUnameObservesDeclaredKernels(t *testing.T) {
	dir := generateInto(t, "--hosts", "5000", "--passes", "2", "--seed", "7")
	for p, pd := range []string{"pass-001", "pass-002"} {
		_, rows := readInventory(t, filepath.Join(dir, pd, "inventory.csv"))
		declared := map[string]string{}
		for _, r := range rows {
			declared[r["host"]] = r["kernel"]
		}
		var resp struct {
			Status string
			Data   struct {
				ResultType string
				Result     []struct {
					Metric map[string]string
					Value  [2]any
				}
			}
		}
		data, err := os.ReadFile(filepath.Join(dir, pd, "prom-uname.json"))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(data, &resp))
		assert.Equal(t, "success", resp.Status)
		assert.Equal(t, "vector", resp.Data.ResultType)
		var hosts []string
		previous, unknown := 0, 0
		for _, r := range resp.Data.Result {
			h := strings.TrimSuffix(r.Metric["instance"], ":9100")
			hosts = append(hosts, h)
			assert.Equal(t, "node_uname_info", r.Metric["__name__"])
			assert.Equal(t, h, r.Metric["nodename"])
			assert.Equal(t, float64(options{start: defaultStart}.passTime(p+1).Unix()), r.Value[0])
			assert.Equal(t, "1", r.Value[1])
			d, rel := declared[h], r.Metric["release"]
			switch i := slices.Index(kernels, d); {
			case rel == d:
			case rel == unknownKernel:
				unknown++
			case i > 0 && rel == kernels[i-1]:
				previous++
			default:
				t.Errorf("%s: declared %s, observed %s", h, d, rel)
			}
		}
		assert.Equal(t, readList(t, filepath.Join(dir, pd, "responsive")), hosts, "the hosts that are up")
		assert.Greater(t, previous, 5, "safe drifts")
		assert.Greater(t, unknown, 2, "risky drifts")
		assert.Less(t, previous+unknown, len(hosts)/50, "a few")
	}
	again := generateInto(t, "--hosts", "5000", "--passes", "2", "--seed", "7")
	a, err := os.ReadFile(filepath.Join(dir, "pass-002", "prom-uname.json"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(again, "pass-002", "prom-uname.json"))
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

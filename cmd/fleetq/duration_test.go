package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRequestedDuration: --duration 2h gives leases of exactly 2h (the
// verb's lease is 24h), recorded in the decision, the lease, the audit
// entry and the plan token, which apply commits with the same length;
// over the verb's max_duration is refused naming the maximum, exit 1,
// nothing written; a forced lease keeps its force_lease cap.
func TestRequestedDuration(t *testing.T) {
	f := newActionFixture(t)
	require.NoError(t, os.WriteFile(f.policy, []byte(actionPolicy+"\n[verb.reboot]\nmax_duration = \"4h\"\n"), 0o644))
	zk := `cluster = "ams1-zk-01"`

	_, stderr, code := f.run("reboot", zk, "--reason", "kernel", "--duration", "5h", "--commit", "--yes")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "--duration 5h0m0s is longer than reboot's max_duration 4h0m0s")
	audit := f.ok("audit", "--format", "json")
	assert.Equal(t, "[]", strings.TrimSpace(audit), "nothing written")
	_, stderr, code = f.run("drain", zk, "--reason", "x", "--duration", "25h")
	assert.Equal(t, 1, code, "drain's max_duration defaults to its lease, 24h")
	assert.Contains(t, stderr, "drain's max_duration 24h0m0s")
	_, stderr, code = f.run("drain", zk, "--reason", "x", "--duration", "soon")
	assert.Equal(t, 2, code, stderr)

	d := f.decide("reboot", zk, "--reason", "kernel", "--duration", "2h", "--seed", "5")
	require.NotEmpty(t, d.Approved)
	assert.True(t, strings.HasSuffix(d.Token, ".d7200"), d.Token)
	text := f.ok("reboot", zk, "--reason", "kernel", "--duration", "2h", "--seed", "5")
	assert.Contains(t, text, "seed 5, duration 2h0m0s)")
	f.ok("apply", d.Token)

	var ls []struct {
		Host, Requested string
		Start, Expiry   time.Time
	}
	require.NoError(t, json.Unmarshal([]byte(f.ok("leases", "--format", "json")), &ls))
	require.Len(t, ls, len(d.Approved))
	for _, l := range ls {
		assert.Equal(t, 2*time.Hour, l.Expiry.Sub(l.Start), l.Host)
		assert.Equal(t, "2h0m0s", l.Requested)
	}
	var entries []struct{ Kind, Duration string }
	require.NoError(t, json.Unmarshal([]byte(f.ok("audit", "--format", "json")), &entries))
	var applied bool
	for _, e := range entries {
		if e.Kind == "apply" {
			applied = true
			assert.Equal(t, "2h0m0s", e.Duration)
		}
	}
	assert.True(t, applied)

	f.ok("freeze", "smf1-critical-01", "--reason", "change freeze")
	forced := f.decide("drain", `cluster = "smf1-critical-01"`, "--reason", "hotfix", "--force", "--duration", "10h", "--commit", "--yes")
	require.Len(t, forced.Approved, 1)
	require.NoError(t, json.Unmarshal([]byte(f.ok("leases", "--format", "json")), &ls))
	for _, l := range ls {
		if l.Host == forced.Approved[0] {
			assert.Equal(t, 4*time.Hour, l.Expiry.Sub(l.Start), "force_lease caps a forced lease")
		}
	}
}

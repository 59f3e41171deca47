package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store/storetest"
)

// The rollout tests build every situation from real files and real
// processes; pass times are relative to the real clock, because a wave
// starts at the machine's clock when its first lease is granted.

const rolloutPolicy = `
max_request = 500
health = 'healthy'

[[archetype]]
name = "all"
any = { pct = 100, floor = 1 }
`

// rolloutFleet: 96 hosts of cluster c1, 12 SKUs (8 hosts each; s11 is
// "gpu"), 8 racks.
type rolloutFleet struct{ *actionFixture }

func newRolloutFleet(t *testing.T) *rolloutFleet {
	f := &actionFixture{t: t, dir: t.TempDir()}
	f.db = filepath.Join(f.dir, "fleetq.db")
	f.policy = filepath.Join(f.dir, "policy.toml")
	require.NoError(t, os.WriteFile(f.policy, []byte(rolloutPolicy), 0o644))
	t.Cleanup(func() { storetest.MustCheck(t, f.db) })
	return &rolloutFleet{f}
}

// pass ingests the fleet sealed at (zero: now), every host healthy but
// the unhealthy ones.
func (f *rolloutFleet) pass(at time.Time, unhealthy ...string) {
	f.t.Helper()
	bad := map[string]bool{}
	for _, h := range unhealthy {
		bad[h] = true
	}
	var inv, ok strings.Builder
	inv.WriteString("host,cluster,rack,sku,role\n")
	for i := 0; i < 96; i++ {
		h, sku := fmt.Sprintf("h%03d.c1", i), fmt.Sprintf("s%02d", i%12)
		if i%12 == 11 {
			sku = "gpu"
		}
		fmt.Fprintf(&inv, "%s,c1,r%d,%s,worker\n", h, i/12, sku)
		if !bad[h] {
			ok.WriteString(h + "\n")
		}
	}
	invPath, okPath := filepath.Join(f.dir, "inventory.csv"), filepath.Join(f.dir, "healthy")
	require.NoError(f.t, os.WriteFile(invPath, []byte(inv.String()), 0o644))
	require.NoError(f.t, os.WriteFile(okPath, []byte(ok.String()), 0o644))
	args := []string{"ingest", "--allow-empty", invPath, "hosts:" + okPath}
	if !at.IsZero() {
		args = append(args, "--at", at.UTC().Format(time.RFC3339))
	}
	f.ok(args...)
}

func ago(d time.Duration) time.Time { return time.Now().Add(-d) }

func (f *rolloutFleet) hosts(expr string) []string {
	f.t.Helper()
	return strings.Fields(f.ok("query", expr))
}

type waveJSON struct {
	Rollout, Verdict string
	Transient        bool
	Size, Pass       int
	Reasons          []string
	Failed           []struct {
		Host, Stratum string
		Failed        []string
	}
	Strata []struct{ Stratum, Verdict string }
	Health *struct {
		WavePct float64 `json:"wave_pct"`
		RestPct float64 `json:"rest_pct"`
	} `json:"health"`
}

func (f *rolloutFleet) check(wantCode int, args ...string) waveJSON {
	f.t.Helper()
	out, errOut, code := f.run(append([]string{"check", "wave", "--format", "json"}, args...)...)
	require.Equal(f.t, wantCode, code, "check wave %v\n%s%s", args, out, errOut)
	var c waveJSON
	require.NoError(f.t, json.Unmarshal([]byte(out), &c), out)
	return c
}

func (f *rolloutFleet) plan(args ...string) {
	f.t.Helper()
	f.ok(append([]string{"plan", "rollout", "all", "--seed", "7", "--canary-by", "sku"}, args...)...)
}

func TestRolloutSurvivesIngestsAndHaltBlocksLaterWaves(t *testing.T) {
	f := newRolloutFleet(t)
	f.pass(ago(20 * time.Minute))
	f.plan("--waves", "25%,50%,100%", "--name", "kernel68")
	canaries := f.hosts("rollout:r1/w0")
	require.Len(t, canaries, 12, "one canary per SKU")
	wave1 := f.hosts("rollout:kernel68/w1")
	f.pass(ago(15 * time.Minute))
	f.pass(ago(10 * time.Minute))
	assert.Equal(t, canaries, f.hosts("rollout:r1/w0"), "the waves outlive later passes")
	assert.Equal(t, wave1, f.hosts("rollout:r1/w1"))
	assert.Equal(t, "96", strings.TrimSpace(f.ok("query", "rollout:r1 | count")))
	_, errOut, code := f.run("query", "rollout:r9/w0")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "no rollout wave")
	_, errOut, code = f.run("rollout", "status", "r9")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "no rollout r9 (fleetq rollout list shows them)", "the command that lists them")

	c := f.check(0, "r1", "0")
	assert.Equal(t, "pause", c.Verdict)
	assert.True(t, c.Transient)
	assert.Contains(t, c.Reasons[0], "has not started")

	d := f.decide("reboot", "rollout:r1/w0", "--reason", "kernel 6.8 canaries", "--commit", "--yes")
	require.Len(t, d.Approved, 12)
	c = f.check(0, "r1", "0")
	assert.Equal(t, "pause", c.Verdict, "the newest pass is older than the wave: no evidence")
	assert.True(t, c.Transient)
	assert.Contains(t, c.Reasons[0], "no evidence since")

	gpu := f.hosts(`rollout:r1/w0 & sku = "gpu"`)
	require.Len(t, gpu, 1)
	f.pass(time.Time{}, gpu[0])
	c = f.check(4, "r1", "0")
	assert.Equal(t, "halt", c.Verdict, "the aggregate 11/12 is within the limits; the GPU stratum is not")
	assert.InDelta(t, 91.7, c.Health.WavePct, 0.01)
	require.Len(t, c.Failed, 1)
	assert.Equal(t, gpu[0], c.Failed[0].Host)
	assert.Equal(t, "sku=gpu", c.Failed[0].Stratum)
	for _, s := range c.Strata {
		assert.Equal(t, map[bool]string{true: "halt", false: "go"}[s.Stratum == "sku=gpu"], s.Verdict, s.Stratum)
	}
	assert.Contains(t, strings.Join(c.Reasons, "\n"), "stratum sku=gpu: healthy 0/1")

	f.pass(time.Time{}, gpu[0])
	var st struct {
		State string
		Halt  struct {
			Wave  int
			Hosts []string
		}
		Waves []struct {
			Wave, Size int
			Verdict    string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(f.ok("rollout", "status", "kernel68", "--format", "json")), &st))
	assert.Equal(t, "halted", st.State, "the halt is kept after another ingest")
	assert.Equal(t, gpu, st.Halt.Hosts)
	require.Len(t, st.Waves, 4)
	assert.Equal(t, "halt", st.Waves[0].Verdict)
	assert.Contains(t, f.ok("rollout", "status"), "invariant:rollout-halted")

	d = f.decide("reboot", "rollout:r1/w1", "--reason", "wave 1")
	assert.Empty(t, d.Approved, "a halt blocks the next wave")
	require.Len(t, d.Denied, len(wave1))
	assert.Equal(t, "invariant:rollout-halted", d.Denied[0].Rule)
	assert.Contains(t, d.Denied[0].Detail, "fleetq rollout resume r1")

	_, _, code = f.run("rollout", "resume", "r1")
	assert.Equal(t, 2, code, "--reason is required")
	f.ok("rollout", "resume", "r1", "--reason", "bad PSU on the GPU canary, not the kernel")
	d = f.decide("reboot", "rollout:r1/w1", "--reason", "wave 1")
	assert.Len(t, d.Approved, len(wave1), "resumed: the next wave may go")

	var entries []struct{ Kind, Reason string }
	require.NoError(t, json.Unmarshal([]byte(f.ok("audit", "--format", "json")), &entries))
	var kinds []string
	for _, e := range entries {
		if e.Kind == "rollout" {
			kinds = append(kinds, strings.Fields(e.Reason)[1])
		}
	}
	assert.Equal(t, []string{"r1", "halted:", "active:"}, kinds, "plan, halt and resume are audited")
}

func TestCheckWaveSafeAnswers(t *testing.T) {
	f := newRolloutFleet(t)
	f.pass(ago(20 * time.Minute))
	f.plan("--waves", "1%,2%,100%")
	assert.Empty(t, f.hosts("rollout:r1/w1"), "12 canaries already exceed 2%: plan rollout makes wave 1 empty")
	c := f.check(0, "1") // wave 1 of the newest rollout
	assert.Equal(t, "pause", c.Verdict, "an empty wave is a pause, never a halt")
	assert.Contains(t, c.Reasons[0], "empty")

	f.decide("reboot", "rollout:r1/w0", "--reason", "canaries", "--commit", "--yes")
	all := f.hosts("all")
	f.pass(time.Time{}, all...)
	c = f.check(4, "r1", "0")
	assert.Equal(t, "halt", c.Verdict, "0/12 healthy against a rest 0/84 healthy is no go")
	assert.Equal(t, 0.0, c.Health.RestPct)
	assert.Contains(t, c.Reasons[0], "below min_healthy_pct 90")
	assert.Len(t, c.Failed, 12, "a halt names the hosts")
}

func TestCheckWaveGoThenDone(t *testing.T) {
	f := newRolloutFleet(t)
	f.pass(ago(20 * time.Minute))
	f.plan("--waves", "100%")
	f.decide("reboot", "rollout:r1/w0", "--reason", "canaries", "--commit", "--yes")
	f.pass(time.Time{})
	c := f.check(0, "r1", "0")
	assert.Equal(t, "go", c.Verdict, "%v", c.Reasons)
	f.decide("reboot", "rollout:r1/w1 | sample 10", "--reason", "wave 1", "--commit", "--yes")
	f.pass(time.Time{})
	c = f.check(0, "r1", "1")
	assert.Equal(t, "go", c.Verdict, "%v", c.Reasons)
	assert.Contains(t, f.ok("rollout", "status", "r1"), "rollout r1: done")
}

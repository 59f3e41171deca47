package actions

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

// Verdicts of check wave.
const (
	VerdictGo    = "go"
	VerdictPause = "pause"
	VerdictHalt  = "halt"
)

// WaveCheck is the verdict on one wave of a recorded rollout, with the
// evidence it was judged on.
type WaveCheck struct {
	Rollout string `json:"rollout"` // r3
	Name    string `json:"name,omitempty"`
	Wave    int    `json:"wave"`
	Set     string `json:"set"`  // rollout:r3/w2
	Size    int    `json:"size"` // hosts the plan gave the wave
	// Started is when the wave started: the first lease granted to one of
	// its hosts after the rollout was planned. Zero: not started.
	Started time.Time `json:"started,omitzero"`
	// Pass is the pass judged: the newest, and sealed after Started.
	Pass       int64     `json:"pass,omitempty"`
	PassSealed time.Time `json:"pass_sealed,omitzero"`
	// Before is the newest pass sealed at or before Started: the same
	// hosts before the wave, for the before/after of the metrics.
	Before    int64          `json:"before_pass,omitempty"`
	Hosts     int            `json:"hosts"` // of the wave in the judged pass
	Rest      int            `json:"rest"`
	RestFrom  string         `json:"rest_from,omitempty"`
	Health    *HealthCmp     `json:"health,omitempty"`
	Metrics   []MetricCmp    `json:"metrics"`
	Strata    []StratumCheck `json:"strata"`
	Failed    []FailedHost   `json:"failed"`
	Verdict   string         `json:"verdict"` // go, pause, halt
	Transient bool           `json:"transient"`
	Reasons   []string       `json:"reasons"`
}

// HealthCmp is the share of hosts in the health set, wave vs rest; a
// wave host missing from the pass counts as unhealthy.
type HealthCmp struct {
	Expr        string  `json:"expr"`
	WaveHealthy int     `json:"wave_healthy"`
	WavePct     float64 `json:"wave_pct"`
	RestHealthy int     `json:"rest_healthy"`
	RestPct     float64 `json:"rest_pct"`
	MinPct      float64 `json:"min_pct"` // the absolute floor
}

// MetricCmp is a metric's mean in the wave against the rest, and against
// the same hosts before the wave. Higher is worse unless the policy names
// the metric with a leading "-"; the changes are positive when worse.
type MetricCmp struct {
	Name       string   `json:"name"`
	WaveMean   float64  `json:"wave_mean"`
	RestMean   float64  `json:"rest_mean"`
	ChangePct  float64  `json:"change_pct"`
	BeforeMean *float64 `json:"before_mean,omitempty"`
	BeforePct  float64  `json:"before_change_pct"`
	Coverage   float64  `json:"coverage"` // share of wave hosts with a value, percent
}

// StratumCheck is one combination of the canary attributes in the wave:
// each must pass on its own.
type StratumCheck struct {
	Stratum string      `json:"stratum"` // sku=dell-r650 role=db
	Hosts   int         `json:"hosts"`
	Healthy int         `json:"healthy"`
	Pct     float64     `json:"healthy_pct"`
	Metrics []MetricCmp `json:"metrics"`
	Verdict string      `json:"verdict"`
	Reasons []string    `json:"reasons"`
}

// FailedHost is a host of a halted wave and what it failed.
type FailedHost struct {
	Host    string   `json:"host"`
	Stratum string   `json:"stratum,omitempty"`
	Failed  []string `json:"failed"`
}

// HostNames lists the failed hosts.
func (c *WaveCheck) HostNames() []string {
	out := make([]string, len(c.Failed))
	for i, f := range c.Failed {
		out[i] = f.Host
	}
	return out
}

// CheckWave judges wave n of rollout r from the evidence in tx: only a
// pass sealed after the wave started counts (the wave starts with the
// first lease granted to one of its hosts after the rollout was planned);
// without one the verdict is a transient pause. An empty wave is a pause,
// never a halt. Otherwise the wave, and each canary stratum in it on its
// own, must keep at least min_healthy_pct of its hosts healthy and stay
// within max_regression_pct of the rest and of the same hosts before.
func CheckWave(ctx context.Context, tx *store.Tx, pol *policy.Policy, r *store.Rollout, n int, pass int64) (*WaveCheck, error) {
	if n < 0 || n >= len(r.Waves) {
		return nil, fmt.Errorf("rollout %s has waves 0 to %d, not %d", r.Label(), len(r.Waves)-1, n)
	}
	w := r.Waves[n]
	c := &WaveCheck{Rollout: r.Ref(), Name: r.Name, Wave: n, Set: WaveSet(r.Ref(), n), Size: len(w.Hosts),
		Metrics: []MetricCmp{}, Strata: []StratumCheck{}, Failed: []FailedHost{}}
	if len(w.Hosts) == 0 {
		return c.pause(false, fmt.Sprintf("wave %d is empty: the plan gave it no host, so there is nothing to judge (go on to wave %d)", n, n+1)), nil
	}
	ev, err := findEvidence(tx, r, w, pass)
	if err != nil || ev.reason != "" {
		return c.pause(true, ev.reason), err
	}
	c.Started, c.Pass, c.PassSealed, c.Before = ev.started, ev.after.ID, ev.after.Created, ev.before
	j, err := newJudge(ctx, tx, pol, r, n, ev)
	if err != nil {
		return nil, err
	}
	return c, j.judge(c)
}

func (c *WaveCheck) pause(transient bool, reason string) *WaveCheck {
	c.Verdict, c.Transient, c.Reasons = VerdictPause, transient, []string{reason}
	return c
}

// evidence is which passes a wave is judged on.
type evidence struct {
	started time.Time
	after   store.PassInfo // judged
	before  int64          // 0: none
	reason  string         // why there is no evidence yet
}

func findEvidence(tx *store.Tx, r *store.Rollout, w store.RolloutWave, pass int64) (evidence, error) {
	var ev evidence
	l, err := tx.Ledger(r.Created)
	if err != nil {
		return ev, err
	}
	if ev.started = waveStart(l.Starts, w.Hosts); ev.started.IsZero() {
		ev.reason = fmt.Sprintf("wave %d has not started: no lease granted to its hosts since the rollout was planned at %s", w.N, stamp(r.Created))
		return ev, nil
	}
	ps, err := tx.Passes()
	if err != nil {
		return ev, err
	}
	for _, p := range ps {
		if !p.Created.After(ev.started) {
			ev.before = p.ID
		}
		if pass == 0 || p.ID == pass {
			ev.after = p
		}
	}
	if ev.after.ID == 0 || !ev.after.Created.After(ev.started) {
		ev.reason = fmt.Sprintf("no evidence since %s, when the wave started: pass %d was sealed at %s, before it; ingest a newer pass", stamp(ev.started), ev.after.ID, stamp(ev.after.Created))
	}
	return ev, nil
}

// waveStart is the first lease start on any of the hosts.
func waveStart(starts []store.Start, hosts []string) time.Time {
	in := map[string]bool{}
	for _, h := range hosts {
		in[h] = true
	}
	for _, s := range starts { // oldest first
		if in[s.Host] {
			return s.At
		}
	}
	return time.Time{}
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return math.Round(1000*float64(n)/float64(of)) / 10
}

func round2(x float64) float64 { return math.Round(100*x) / 100 }

// worsePct is how much worse now is than base, in percent (positive is
// worse); from a base of 0 any worsening counts as 100%.
func worsePct(now, base float64, lowerWorse bool) float64 {
	d := now - base
	if lowerWorse {
		d = -d
	}
	switch {
	case base != 0:
	case d > 0:
		return 100
	case d < 0:
		return -100
	default:
		return 0
	}
	return round2(100 * d / math.Abs(base))
}

func mean(a fleet.Attr, hosts *roaring.Bitmap) (float64, int) {
	if a == nil {
		return 0, 0
	}
	sum, n := 0.0, 0
	it := hosts.Iterator()
	for it.HasNext() {
		if v, ok := a.Value(it.Next()); ok && !math.IsNaN(v.Num) {
			sum, n = sum+v.Num, n+1
		}
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}

func stratumLabel(attrs, values []string) string {
	if len(attrs) == 0 {
		return "all"
	}
	parts := make([]string, len(attrs))
	for i, a := range attrs {
		parts[i] = a + "=" + values[i]
	}
	return strings.Join(parts, " ")
}

package actions

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
)

// WaveCheck compares one wave's health with the rest and gives a verdict.
type WaveCheck struct {
	Wave     int         `json:"wave"`
	Set      string      `json:"set"`
	SetPass  int64       `json:"set_pass"` // the pass the wave was saved in
	Pass     int64       `json:"pass"`     // the pass health was read from
	Hosts    int         `json:"hosts"`
	Rest     int         `json:"rest"`
	RestFrom string      `json:"rest_from"`
	Health   *HealthCmp  `json:"health,omitempty"`
	Metrics  []MetricCmp `json:"metrics"`
	Verdict  string      `json:"verdict"` // go, pause, halt
	Reasons  []string    `json:"reasons"`
}

// HealthCmp is the share of hosts in the health set, wave vs rest.
type HealthCmp struct {
	Expr        string  `json:"expr"`
	WaveHealthy int     `json:"wave_healthy"`
	WavePct     float64 `json:"wave_pct"`
	RestHealthy int     `json:"rest_healthy"`
	RestPct     float64 `json:"rest_pct"`
}

// MetricCmp is a metric's mean, wave vs rest. Higher is worse unless the
// policy names the metric with a leading "-".
type MetricCmp struct {
	Name      string  `json:"name"`
	WaveMean  float64 `json:"wave_mean"`
	RestMean  float64 `json:"rest_mean"`
	ChangePct float64 `json:"change_pct"` // worse is positive
	Coverage  float64 `json:"coverage"`   // share of wave hosts with a value, percent
}

// CheckWave judges wave (hosts of the rollout's wave set) in the current
// pass of env: halt when its health share is more than max_regression
// points below the rest's or a metric is more than max_regression percent
// worse; pause when the wave is too small or a metric covers under half of
// it; else go. The rest is the rollout's hosts not yet in a wave up to
// this one, or the rest of the fleet when fewer than min_hosts remain.
func CheckWave(ctx context.Context, env *query.Env, pol *policy.Policy, name string, n int, waves map[int]*roaring.Bitmap) (*WaveCheck, error) {
	wave, ok := waves[n]
	if !ok {
		return nil, fmt.Errorf("no wave %d of rollout %s (fleetq plan rollout saves %s-w0, -w1, …)", n, name, name)
	}
	done, rollout := roaring.New(), roaring.New()
	for i, w := range waves {
		rollout.Or(w)
		if i <= n {
			done.Or(w)
		}
	}
	pass := env.Snap.Current()
	wave = roaring.And(wave, pass.All())
	rest, from := roaring.AndNot(rollout, done), "the rollout's hosts not yet in a wave"
	rest.And(pass.All())
	r := pol.Rollout
	if int(rest.GetCardinality()) < r.MinHosts {
		rest, from = roaring.AndNot(pass.All(), done), "the rest of the fleet"
	}
	c := &WaveCheck{Wave: n, Set: WaveSet(name, n), Pass: pass.ID(), Hosts: int(wave.GetCardinality()), Rest: int(rest.GetCardinality()), RestFrom: from}
	if err := c.health(ctx, env, r.Health, wave, rest); err != nil {
		return nil, err
	}
	for _, m := range r.Metrics {
		mc, err := metric(pass, m, wave, rest)
		if err != nil {
			return nil, err
		}
		c.Metrics = append(c.Metrics, mc)
	}
	c.judge(r)
	return c, nil
}

func (c *WaveCheck) health(ctx context.Context, env *query.Env, expr string, wave, rest *roaring.Bitmap) error {
	if expr == "" {
		return nil
	}
	h, err := evalSet(ctx, env.Snap, expr, false)
	if err != nil {
		return err
	}
	c.Health = &HealthCmp{Expr: expr, WaveHealthy: int(h.AndCardinality(wave)), RestHealthy: int(h.AndCardinality(rest))}
	c.Health.WavePct = pct(c.Health.WaveHealthy, c.Hosts)
	c.Health.RestPct = pct(c.Health.RestHealthy, c.Rest)
	return nil
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return math.Round(1000*float64(n)/float64(of)) / 10
}

func metric(pass query.Pass, spec string, wave, rest *roaring.Bitmap) (MetricCmp, error) {
	name, lowerWorse := strings.TrimPrefix(spec, "-"), strings.HasPrefix(spec, "-")
	a, ok := pass.Attr(name)
	if !ok || a.Type() != query.Number {
		return MetricCmp{}, fmt.Errorf("[rollout] metrics: %q is not a number attribute of pass %d", name, pass.ID())
	}
	wm, wn := mean(a, wave)
	rm, _ := mean(a, rest)
	m := MetricCmp{Name: spec, WaveMean: round2(wm), RestMean: round2(rm), Coverage: pct(wn, int(wave.GetCardinality()))}
	if rm != 0 {
		m.ChangePct = round2(100 * (wm - rm) / math.Abs(rm))
		if lowerWorse {
			m.ChangePct = -m.ChangePct
		}
	}
	return m, nil
}

func mean(a query.Attr, hosts *roaring.Bitmap) (float64, int) {
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

func round2(x float64) float64 { return math.Round(100*x) / 100 }

func (c *WaveCheck) judge(r policy.Rollout) {
	halt, pause := []string{}, []string{}
	if c.Hosts < r.MinHosts {
		pause = append(pause, fmt.Sprintf("the wave has %d hosts in this pass, fewer than min_hosts %d: too few to judge", c.Hosts, r.MinHosts))
	}
	if h := c.Health; h != nil && h.WavePct < h.RestPct-r.MaxRegression {
		halt = append(halt, fmt.Sprintf("healthy %.1f%% of the wave vs %.1f%% of the rest: %.1f points worse (max %.0f)", h.WavePct, h.RestPct, h.RestPct-h.WavePct, r.MaxRegression))
	}
	for _, m := range c.Metrics {
		switch {
		case m.Coverage < 50:
			pause = append(pause, fmt.Sprintf("%s covers only %.0f%% of the wave", m.Name, m.Coverage))
		case m.ChangePct > r.MaxRegression:
			halt = append(halt, fmt.Sprintf("%s %.2f in the wave vs %.2f in the rest: %.1f%% worse (max %.0f%%)", m.Name, m.WaveMean, m.RestMean, m.ChangePct, r.MaxRegression))
		}
	}
	switch {
	case len(halt) > 0:
		c.Verdict, c.Reasons = "halt", halt
	case len(pause) > 0:
		c.Verdict, c.Reasons = "pause", pause
	case c.Health == nil && len(c.Metrics) == 0:
		c.Verdict, c.Reasons = "pause", []string{"the policy names no [rollout] health set or metrics: nothing to compare"}
	default:
		c.Verdict, c.Reasons = "go", []string{"no regression beyond the limits"}
	}
}

package actions

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

// judge holds what one wave is judged from: the wave's hosts in the pass
// sealed after it started, the rest to compare with, and the same hosts
// in the pass before.
type judge struct {
	pol      policy.Rollout
	r        *store.Rollout
	names    fleet.Hosts
	after    fleet.Pass
	before   fleet.Pass // nil: no pass before the wave started
	wave     *roaring.Bitmap
	present  *roaring.Bitmap // the wave's hosts in the judged pass
	missing  []string        // the wave's hosts the judged pass lacks
	rest     *roaring.Bitmap
	restFrom string
	healthy  *roaring.Bitmap // nil: the policy names no health set
	failed   map[string][]string
	stratum  map[uint32]string
}

func newJudge(ctx context.Context, tx *store.Tx, pol *policy.Policy, r *store.Rollout, n int, ev evidence) (*judge, error) {
	snap, err := tx.Snapshot(ev.after.ID)
	if err != nil {
		return nil, err
	}
	j := &judge{pol: pol.Rollout, r: r, names: snap.Hosts(), after: snap.Current(), failed: map[string][]string{}, stratum: map[uint32]string{}}
	if ev.before != 0 {
		bs, err := tx.Snapshot(ev.before)
		if err != nil {
			return nil, err
		}
		j.before = bs.Current()
	}
	all := j.after.All()
	j.wave, _ = j.names.Lookup(r.Waves[n].Hosts)
	j.present = roaring.And(j.wave, all)
	for _, h := range r.Waves[n].Hosts {
		if ids, _ := j.names.Lookup([]string{h}); ids.IsEmpty() || !all.Contains(ids.Minimum()) {
			j.missing = append(j.missing, h)
		}
	}
	j.restOf(n)
	if j.pol.Health != "" {
		if j.healthy, err = evalSet(ctx, snap, j.pol.Health, false); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// restOf is the rollout's hosts not yet in a wave up to n, or the rest
// of the fleet when fewer than min_hosts of those are in the pass.
func (j *judge) restOf(n int) {
	done, rollout := roaring.New(), roaring.New()
	for i, w := range j.r.Waves {
		ids, _ := j.names.Lookup(w.Hosts)
		rollout.Or(ids)
		if i <= n {
			done.Or(ids)
		}
	}
	all := j.after.All()
	j.rest, j.restFrom = roaring.And(roaring.AndNot(rollout, done), all), "the rollout's hosts not yet in a wave"
	if int(j.rest.GetCardinality()) < j.pol.MinHosts {
		j.rest, j.restFrom = roaring.AndNot(all, done), "the rest of the fleet"
	}
}

func (j *judge) judge(c *WaveCheck) error {
	c.Hosts, c.Rest, c.RestFrom = int(j.present.GetCardinality()), int(j.rest.GetCardinality()), j.restFrom
	var halt, pause []string
	halt = append(halt, j.health(c)...)
	for _, m := range j.pol.Metrics {
		mc, h, p, err := j.metric(m, j.present, true)
		if err != nil {
			return err
		}
		c.Metrics, halt, pause = append(c.Metrics, mc), append(halt, h...), append(pause, p...)
	}
	for _, s := range j.r.Strata {
		sc, err := j.stratumCheck(s)
		if err != nil || sc == nil {
			return err
		}
		c.Strata = append(c.Strata, *sc)
		for _, r := range sc.Reasons {
			halt = append(halt, "stratum "+sc.Stratum+": "+r)
		}
	}
	c.Failed = j.failedHosts()
	switch {
	case len(halt) > 0:
		c.Verdict, c.Reasons = VerdictHalt, halt
	case c.Health == nil && len(c.Metrics) == 0:
		c.Verdict, c.Reasons = VerdictPause, []string{"the policy names no [rollout] health set or metrics: nothing to compare"}
	case c.Size < j.pol.MinHosts:
		c.Verdict, c.Reasons = VerdictPause, append(pause, fmt.Sprintf("the wave has %d hosts, fewer than min_hosts %d: too few to judge against the rest", c.Size, j.pol.MinHosts))
	case len(pause) > 0:
		c.Verdict, c.Reasons, c.Transient = VerdictPause, pause, true
	default:
		c.Verdict, c.Reasons = VerdictGo, []string{fmt.Sprintf("every stratum healthy at or above %.0f%%, no regression beyond %.0f%%", j.pol.MinHealthy, j.pol.MaxRegression)}
	}
	return nil
}

// health compares the wave's healthy share with the floor and the rest;
// a wave host missing from the pass counts as unhealthy.
func (j *judge) health(c *WaveCheck) []string {
	if j.healthy == nil {
		return nil
	}
	h := &HealthCmp{Expr: j.pol.Health, WaveHealthy: int(j.healthy.AndCardinality(j.present)), RestHealthy: int(j.healthy.AndCardinality(j.rest)), MinPct: j.pol.MinHealthy}
	h.WavePct, h.RestPct = pct(h.WaveHealthy, c.Size), pct(h.RestHealthy, c.Rest)
	c.Health = h
	j.markUnhealthy()
	var halt []string
	if h.WavePct < h.MinPct {
		halt = append(halt, fmt.Sprintf("healthy %d/%d = %.1f%% of the wave, below min_healthy_pct %.0f", h.WaveHealthy, c.Size, h.WavePct, h.MinPct))
	}
	if c.Rest > 0 && h.WavePct < h.RestPct-j.pol.MaxRegression {
		halt = append(halt, fmt.Sprintf("healthy %.1f%% of the wave vs %.1f%% of the rest: %.1f points worse (max %.0f)", h.WavePct, h.RestPct, h.RestPct-h.WavePct, j.pol.MaxRegression))
	}
	return halt
}

func (j *judge) markUnhealthy() {
	it := roaring.AndNot(j.present, j.healthy).Iterator()
	for it.HasNext() {
		h := j.names.Name(it.Next())
		j.failed[h] = append(j.failed[h], "not healthy ("+j.pol.Health+")")
	}
	for _, h := range j.missing {
		j.failed[h] = append(j.failed[h], fmt.Sprintf("not in pass %d", j.after.ID()))
	}
}

// metric compares hosts' mean of one metric with the rest (withRest) and
// with the same hosts before the wave; it returns halt and pause reasons.
func (j *judge) metric(spec string, hosts *roaring.Bitmap, withRest bool) (MetricCmp, []string, []string, error) {
	name, lowerWorse := strings.TrimPrefix(spec, "-"), strings.HasPrefix(spec, "-")
	a, ok, err := j.after.Attr(name)
	if err != nil {
		return MetricCmp{}, nil, nil, err
	}
	if !ok || a.Type() != fleet.Number {
		return MetricCmp{}, nil, nil, fmt.Errorf("[rollout] metrics: %q is not a number attribute of pass %d", name, j.after.ID())
	}
	wm, wn := mean(a, hosts)
	m := MetricCmp{Name: spec, WaveMean: round2(wm), Coverage: pct(wn, int(hosts.GetCardinality()))}
	var halt, pause []string
	if m.Coverage < 50 {
		return m, nil, []string{fmt.Sprintf("%s covers only %.0f%% of the wave", spec, m.Coverage)}, nil
	}
	if withRest {
		rm, _ := mean(a, j.rest)
		m.RestMean, m.ChangePct = round2(rm), worsePct(wm, rm, lowerWorse)
		if m.ChangePct > j.pol.MaxRegression {
			halt = append(halt, fmt.Sprintf("%s %.2f in the wave vs %.2f in the rest: %.1f%% worse (max %.0f%%)", spec, m.WaveMean, m.RestMean, m.ChangePct, j.pol.MaxRegression))
		}
	}
	b, err := j.beforeAttr(name)
	if err != nil {
		return MetricCmp{}, nil, nil, err
	}
	if b != nil {
		if bm, bn := mean(b, hosts); bn > 0 {
			m.BeforeMean, m.BeforePct = &bm, worsePct(wm, bm, lowerWorse)
			if m.BeforePct > j.pol.MaxRegression {
				halt = append(halt, fmt.Sprintf("%s %.2f after vs %.2f before on the same hosts (pass %d): %.1f%% worse (max %.0f%%)", spec, m.WaveMean, bm, j.before.ID(), m.BeforePct, j.pol.MaxRegression))
			}
		}
	}
	if len(halt) > 0 {
		j.markRegressed(spec, a, b, hosts, lowerWorse)
	}
	return m, halt, pause, nil
}

// beforeAttr is the number attribute name of the pass before the wave,
// nil when there is none.
func (j *judge) beforeAttr(name string) (fleet.Attr, error) {
	if j.before == nil {
		return nil, nil
	}
	b, ok, err := j.before.Attr(name)
	if err != nil || !ok || b.Type() != fleet.Number {
		return nil, err
	}
	return b, nil
}

// markRegressed lists the hosts whose own value got worse than before by
// more than max_regression_pct (or, without a before, than the rest).
func (j *judge) markRegressed(spec string, a, b fleet.Attr, hosts *roaring.Bitmap, lowerWorse bool) {
	rm, _ := mean(a, j.rest)
	it := hosts.Iterator()
	for it.HasNext() {
		id := it.Next()
		v, ok := a.Value(id)
		if !ok {
			continue
		}
		base, what := rm, "the rest's mean"
		if b != nil {
			if bv, ok := b.Value(id); ok {
				base, what = bv.Num, "before"
			}
		}
		if w := worsePct(v.Num, base, lowerWorse); w > j.pol.MaxRegression {
			h := j.names.Name(id)
			j.failed[h] = append(j.failed[h], fmt.Sprintf("%s %.2f vs %.2f %s (%+.1f%%)", spec, v.Num, base, what, w))
		}
	}
}

// stratumCheck judges one canary stratum's hosts in the wave on its own:
// the health floor and each metric against the same hosts before.
func (j *judge) stratumCheck(s store.Stratum) (*StratumCheck, error) {
	ids, _ := j.names.Lookup(s.Hosts)
	ids.And(j.wave)
	if ids.IsEmpty() {
		return nil, nil
	}
	label := stratumLabel(j.r.CanaryBy, s.Values)
	for _, id := range ids.ToArray() {
		j.stratum[id] = label
	}
	sc := &StratumCheck{Stratum: label, Hosts: int(ids.GetCardinality()), Metrics: []MetricCmp{}, Reasons: []string{}, Verdict: VerdictGo}
	present := roaring.And(ids, j.after.All())
	if j.healthy != nil {
		sc.Healthy = int(j.healthy.AndCardinality(present))
		if sc.Pct = pct(sc.Healthy, sc.Hosts); sc.Pct < j.pol.MinHealthy {
			sc.Reasons = append(sc.Reasons, fmt.Sprintf("healthy %d/%d = %.1f%%, below min_healthy_pct %.0f", sc.Healthy, sc.Hosts, sc.Pct, j.pol.MinHealthy))
		}
	}
	for _, m := range j.pol.Metrics {
		mc, halt, _, err := j.metric(m, present, false)
		if err != nil {
			return nil, err
		}
		sc.Metrics, sc.Reasons = append(sc.Metrics, mc), append(sc.Reasons, halt...)
	}
	if len(sc.Reasons) > 0 {
		sc.Verdict = VerdictHalt
	}
	return sc, nil
}

func (j *judge) failedHosts() []FailedHost {
	out := make([]FailedHost, 0, len(j.failed))
	for _, h := range slices.Sorted(maps.Keys(j.failed)) {
		f := FailedHost{Host: h, Failed: dedup(j.failed[h])}
		if ids, _ := j.names.Lookup([]string{h}); !ids.IsEmpty() {
			f.Stratum = j.stratum[ids.Minimum()]
		}
		out = append(out, f)
	}
	return out
}

func dedup(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

package actions

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/setops"
)

// Progressive rollout: one, few, many. A canary wave of one host per
// combination of the canary attributes, then waves of given cumulative
// sizes, each spread across racks.

// Wave is one wave of a rollout plan.
type Wave struct {
	N      int    `json:"n"`      // 0 is the canary wave
	Set    string `json:"set"`    // the set saved in the pass
	Target int    `json:"target"` // cumulative hosts after this wave
	Size   int    `json:"size"`
	Racks  int    `json:"racks"` // distinct racks in the wave
	hosts  *roaring.Bitmap
}

// Hosts are the wave's hosts (valid while the plan's snapshot is).
func (w Wave) Hosts() *roaring.Bitmap { return w.hosts }

// RolloutPlan is a rollout's waves.
type RolloutPlan struct {
	Name     string   `json:"name"`
	Expr     string   `json:"expr"`
	Pass     int64    `json:"pass"`
	Seed     uint64   `json:"seed"`
	Total    int      `json:"total"`
	CanaryBy []string `json:"canary_by"`
	Waves    []Wave   `json:"waves"`
}

// Sets are the wave sets to save in the pass, by name.
func (p *RolloutPlan) Sets() map[string]*roaring.Bitmap {
	out := map[string]*roaring.Bitmap{}
	for _, w := range p.Waves {
		out[w.Set] = w.hosts
	}
	return out
}

// WaveSet is the set name of wave n of a rollout.
func WaveSet(name string, n int) string { return fmt.Sprintf("%s-w%d", name, n) }

// ParseWaves parses "1%,5%,25%,100%": increasing cumulative percentages
// ending at 100.
func ParseWaves(s string) ([]float64, error) {
	var out []float64
	for _, part := range strings.Split(s, ",") {
		p, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(part), "%"), 64)
		if err != nil || p <= 0 || p > 100 || (len(out) > 0 && p <= out[len(out)-1]) {
			return nil, fmt.Errorf("--waves %q: expected increasing percentages up to 100, like 1%%,5%%,25%%,100%%", s)
		}
		out = append(out, p)
	}
	if len(out) == 0 || out[len(out)-1] != 100 {
		return nil, fmt.Errorf("--waves %q: the last wave must be 100%% (every host)", s)
	}
	return out, nil
}

// PlanRollout evaluates expr and splits it into waves.
func PlanRollout(env *query.Env, name, expr string, waves []float64, canaryBy []string, rackAttr string) (*RolloutPlan, error) {
	hosts, err := candidates(env, expr)
	if err != nil {
		return nil, err
	}
	pass := env.Snap.Current()
	for _, a := range canaryBy {
		if _, ok := pass.Attr(a); !ok {
			return nil, fmt.Errorf("--canary-by %s: %w: no attribute %q in pass %d", a, query.ErrUnknownName, a, pass.ID())
		}
	}
	if hosts.IsEmpty() {
		return nil, fmt.Errorf("%q selects no hosts: nothing to roll out", expr)
	}
	p := &RolloutPlan{Name: name, Expr: expr, Pass: pass.ID(), Seed: env.Seed, Total: int(hosts.GetCardinality()), CanaryBy: canaryBy}
	rng := rand.New(rand.NewPCG(env.Seed, env.Seed^shuffleSalt))
	canary := setops.Stratify(hosts, 1, comboKey(pass, canaryBy), rng)
	rack, _ := pass.Attr(rackAttr)
	p.add(canary, 0, rack)
	order := rackInterleaved(roaring.AndNot(hosts, canary), rack, rng)
	done := int(canary.GetCardinality())
	for i, pct := range waves {
		target := setops.PercentCount(uint64(p.Total), pct)
		take := max(0, target-done)
		p.add(roaring.BitmapOf(order[:take]...), i+1, rack)
		order, done = order[take:], done+take
	}
	return p, nil
}

func (p *RolloutPlan) add(hosts *roaring.Bitmap, n int, rack query.Attr) {
	prev := 0
	if len(p.Waves) > 0 {
		prev = p.Waves[len(p.Waves)-1].Target
	}
	size := int(hosts.GetCardinality())
	p.Waves = append(p.Waves, Wave{N: n, Set: WaveSet(p.Name, n), Target: prev + size, Size: size, Racks: distinct(rack, hosts), hosts: hosts})
}

func distinct(a query.Attr, hosts *roaring.Bitmap) int {
	if a == nil {
		return 0
	}
	n := 0
	for _, g := range a.Groups() {
		if g.Hosts.Intersects(hosts) {
			n++
		}
	}
	return n
}

// comboKey keys a host by its values of attrs ("<none>" when absent).
func comboKey(pass query.Pass, attrs []string) func(uint32) string {
	as := make([]query.Attr, len(attrs))
	for i, name := range attrs {
		as[i], _ = pass.Attr(name)
	}
	return func(id uint32) string {
		parts := make([]string, len(as))
		for i, a := range as {
			parts[i] = "<none>"
			if v, ok := a.Value(id); ok {
				parts[i] = v.String()
			}
		}
		return strings.Join(parts, "\x00")
	}
}

// rackInterleaved orders hosts so that any prefix is spread across racks:
// racks in a shuffled order, hosts shuffled within each rack, dealt one
// rack at a time.
func rackInterleaved(hosts *roaring.Bitmap, rack query.Attr, rng *rand.Rand) []uint32 {
	byRack := map[string][]uint32{}
	it := hosts.Iterator()
	for it.HasNext() {
		id := it.Next()
		byRack[str(rack, id)] = append(byRack[str(rack, id)], id)
	}
	racks := sortedKeys(byRack)
	rng.Shuffle(len(racks), func(i, j int) { racks[i], racks[j] = racks[j], racks[i] })
	for _, r := range racks {
		ids := byRack[r]
		rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	}
	out := make([]uint32, 0, hosts.GetCardinality())
	for len(out) < cap(out) {
		for _, r := range racks {
			if ids := byRack[r]; len(ids) > 0 {
				out, byRack[r] = append(out, ids[0]), ids[1:]
			}
		}
	}
	return out
}

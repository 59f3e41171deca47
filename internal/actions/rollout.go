package actions

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/setops"
	"github.com/fleetq/fleetq/internal/store"
)

// Progressive rollout: one, few, many. A canary wave of one host per
// combination of the canary attributes, then waves of given cumulative
// sizes, each spread across racks.

// Wave is one wave of a rollout plan.
type Wave struct {
	N      int    `json:"n"`      // 0 is the canary wave
	Set    string `json:"set"`    // how the language names it: rollout:r3/w2
	Target int    `json:"target"` // cumulative hosts after this wave
	Size   int    `json:"size"`
	Racks  int    `json:"racks"` // distinct racks in the wave
	hosts  *roaring.Bitmap
}

// Hosts are the wave's hosts (valid while the plan's snapshot is).
func (w Wave) Hosts() *roaring.Bitmap { return w.hosts }

// RolloutPlan is a rollout's waves and canary strata.
type RolloutPlan struct {
	ID       string   `json:"id"` // r3, once recorded
	Name     string   `json:"name,omitempty"`
	Expr     string   `json:"expr"`
	Pass     int64    `json:"pass"`
	Seed     uint64   `json:"seed"`
	Total    int      `json:"total"`
	CanaryBy []string `json:"canary_by"`
	Strata   int      `json:"strata"` // combinations of the canary attributes
	Audit    int64    `json:"audit"`
	Waves    []Wave   `json:"waves"`
	strata   []stratum
}

type stratum struct {
	values []string
	hosts  *roaring.Bitmap
}

// WaveSet is how the query language names wave n of rollout ref.
func WaveSet(ref string, n int) string {
	return fmt.Sprintf("%s%s/w%d", store.RolloutSetPrefix, ref, n)
}

// Record turns the plan into the ledger's rollout, by host name.
func (p *RolloutPlan) Record(names fleet.Hosts, created time.Time, requester string) *store.Rollout {
	r := &store.Rollout{Name: p.Name, Expr: p.Expr, Created: created, Requester: requester, Pass: p.Pass,
		Seed: p.Seed, CanaryBy: nonNil(p.CanaryBy), State: store.RolloutActive}
	for _, w := range p.Waves {
		r.Waves = append(r.Waves, store.RolloutWave{N: w.N, Hosts: hostNames(names, w.hosts)})
	}
	for _, s := range p.strata {
		r.Strata = append(r.Strata, store.Stratum{Values: s.values, Hosts: hostNames(names, s.hosts)})
	}
	return r
}

// Recorded names the plan's waves after the rollout the ledger recorded.
func (p *RolloutPlan) Recorded(r *store.Rollout) {
	p.ID, p.Audit = r.Ref(), r.Audit
	for i := range p.Waves {
		p.Waves[i].Set = WaveSet(p.ID, p.Waves[i].N)
	}
}

func hostNames(names fleet.Hosts, hosts *roaring.Bitmap) []string {
	out := make([]string, 0, hosts.GetCardinality())
	it := hosts.Iterator()
	for it.HasNext() {
		out = append(out, names.Name(it.Next()))
	}
	sort.Strings(out)
	return out
}

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
		if _, ok, err := pass.Attr(a); err != nil {
			return nil, err
		} else if !ok {
			return nil, fmt.Errorf("--canary-by %s: %w: no attribute %q in pass %d", a, query.ErrUnknownName, a, pass.ID())
		}
	}
	if hosts.IsEmpty() {
		return nil, fmt.Errorf("%q selects no hosts: nothing to roll out", expr)
	}
	p := &RolloutPlan{Name: name, Expr: expr, Pass: pass.ID(), Seed: env.Seed, Total: int(hosts.GetCardinality()), CanaryBy: nonNil(canaryBy)}
	rng := rand.New(rand.NewPCG(env.Seed, env.Seed^shuffleSalt))
	key, err := comboKey(pass, canaryBy)
	if err != nil {
		return nil, err
	}
	canary := setops.Stratify(hosts, 1, key, rng)
	rack, _, err := pass.Attr(rackAttr)
	if err != nil {
		return nil, err
	}
	p.strata = strata(hosts, key, len(canaryBy))
	p.Strata = len(p.strata)
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

func (p *RolloutPlan) add(hosts *roaring.Bitmap, n int, rack fleet.Attr) {
	prev := 0
	if len(p.Waves) > 0 {
		prev = p.Waves[len(p.Waves)-1].Target
	}
	size := int(hosts.GetCardinality())
	p.Waves = append(p.Waves, Wave{N: n, Target: prev + size, Size: size, Racks: distinct(rack, hosts), hosts: hosts})
}

func distinct(a fleet.Attr, hosts *roaring.Bitmap) int {
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
func comboKey(pass fleet.Pass, attrs []string) (func(uint32) string, error) {
	as := make([]fleet.Attr, len(attrs))
	for i, name := range attrs {
		var err error
		if as[i], _, err = pass.Attr(name); err != nil {
			return nil, err
		}
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
	}, nil
}

// strata groups hosts by their canary key, in key order.
func strata(hosts *roaring.Bitmap, key func(uint32) string, attrs int) []stratum {
	by := map[string]*roaring.Bitmap{}
	it := hosts.Iterator()
	for it.HasNext() {
		id := it.Next()
		k := key(id)
		if by[k] == nil {
			by[k] = roaring.New()
		}
		by[k].Add(id)
	}
	out := make([]stratum, 0, len(by))
	for _, k := range slices.Sorted(maps.Keys(by)) {
		s := stratum{values: []string{}, hosts: by[k]}
		if attrs > 0 {
			s.values = strings.Split(k, "\x00")
		}
		out = append(out, s)
	}
	return out
}

// rackInterleaved orders hosts so that any prefix is spread across racks:
// racks in a shuffled order, hosts shuffled within each rack, dealt one
// rack at a time.
func rackInterleaved(hosts *roaring.Bitmap, rack fleet.Attr, rng *rand.Rand) []uint32 {
	byRack := map[string][]uint32{}
	it := hosts.Iterator()
	for it.HasNext() {
		id := it.Next()
		byRack[str(rack, id)] = append(byRack[str(rack, id)], id)
	}
	racks := slices.Sorted(maps.Keys(byRack))
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

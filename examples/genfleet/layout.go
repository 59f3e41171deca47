package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// fleet is the whole generated state. hosts is indexed by a stable id and
// never shrinks; order holds the ids of the hosts in the current inventory,
// in byte order of their names.
type fleet struct {
	r        *rand.Rand
	hosts    []host
	order    []int32
	clusters []cluster
	racks    []rack
	width    int            // digits of the host number
	next     map[string]int // last host number used per "<prefix>.<dc>"
	touched  []uint32       // touched[id] == gen: changed in the current pass
	gen      uint32
	roll     rollout
}

// newFleet lays out n hosts deterministically from r.
func newFleet(n int, r *rand.Rand) *fleet {
	f := &fleet{r: r, next: map[string]int{}}
	f.clusters = layoutClusters(n, r)
	f.width = numberWidth(f.clusters)
	f.roll = newRollout(len(f.clusters), r)
	for ci := range f.clusters {
		f.populate(int32(ci))
	}
	f.initKernels()
	f.sortOrder()
	return f
}

// layoutClusters sizes every cluster so the sizes add up to exactly n.
func layoutClusters(n int, r *rand.Rand) []cluster {
	var cs []cluster
	for di, dc := range datacenters {
		for ki, k := range kinds {
			budget := int(float64(n) * dc.weight * k.share)
			sizes := splitSizes(budget, k, r)
			fixed := -1
			if di == 0 && ki == kindDense && n >= fixedMinHosts {
				if len(sizes) == 0 {
					sizes = []int{max(budget, 24)}
				}
				sizes = slices.Insert(sizes, 1, fixedClusterSize)
				fixed = 1
			}
			for i, s := range sizes {
				cs = append(cs, cluster{
					name:  fmt.Sprintf("%s-%s-%02d", dc.name, k.name, i+1),
					dc:    di,
					kind:  ki,
					size:  s,
					fixed: i == fixed,
					fill:  0.35 + 0.4*r.Float64(),
				})
			}
		}
	}
	balance(cs, n)
	return cs
}

// splitSizes splits budget hosts into clusters of one kind, at least
// minNum of them when the budget allows, each at least minClusterSize.
func splitSizes(budget int, k kind, r *rand.Rand) []int {
	if budget < minClusterSize {
		return nil
	}
	num := (budget + k.hi - 1) / k.hi
	num = max(num, min(k.minNum, budget/k.lo), 1)
	num = min(num, budget/minClusterSize)
	w := make([]float64, num)
	var sum float64
	for i := range w {
		w[i] = 0.5 + r.Float64()
		sum += w[i]
	}
	sizes := make([]int, num)
	left := budget
	for i := range sizes[:num-1] {
		sizes[i] = max(minClusterSize, int(float64(budget)*w[i]/sum))
		left -= sizes[i]
	}
	sizes[num-1] = max(minClusterSize, left)
	return sizes
}

// balance grows or shrinks the largest non-fixed clusters until the sizes
// add up to n.
func balance(cs []cluster, n int) {
	diff := n
	for _, c := range cs {
		diff -= c.size
	}
	idx := make([]int, 0, len(cs))
	for i, c := range cs {
		if !c.fixed {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cs[b].size - cs[a].size })
	if diff > 0 && len(idx) > 0 {
		cs[idx[0]].size += diff
		return
	}
	for diff < 0 {
		moved := false
		for _, i := range idx {
			take := min(-diff, max((cs[i].size-minClusterSize)/4, min(1, cs[i].size-minClusterSize)))
			cs[i].size -= take
			diff += take
			moved = moved || take > 0
			if diff == 0 {
				return
			}
		}
		if !moved {
			panic("genfleet: fleet too small for its clusters")
		}
	}
}

// numberWidth is the zero-padded width of host numbers: at least 5 digits,
// with room for the fleet to double.
func numberWidth(cs []cluster) int {
	count := map[string]int{}
	most := 0
	for _, c := range cs {
		key := roles[kinds[c.kind].role].prefix + "." + datacenters[c.dc].name
		count[key] += c.size
		most = max(most, count[key])
	}
	return max(5, len(strconv.Itoa(2*most)))
}

// populate creates the hosts of cluster ci, rack by rack.
func (f *fleet) populate(ci int32) {
	c := &f.clusters[ci]
	k := kinds[c.kind]
	nracks := (c.size + k.perRack - 1) / k.perRack
	newRacks := int(math.Round(f.r.Float64() * 0.6 * float64(nracks)))
	for j := 0; j < nracks; j++ {
		ri := f.addRack(ci)
		s := k.skuOld
		if j >= nracks-newRacks {
			s = k.skuNew
		}
		inRack := min(k.perRack, c.size-j*k.perRack)
		step := 40 / k.perRack
		for p := 0; p < inRack; p++ {
			rg := j%3 + 1
			if nracks < 3 {
				rg = (j*k.perRack+p)%3 + 1
			}
			id := f.addHost(ci, ri, uint8(p*step+1), uint8(s), uint8(rg))
			f.initHost(&f.hosts[id])
		}
	}
}

func (f *fleet) addRack(ci int32) int32 {
	dc := datacenters[f.clusters[ci].dc].name
	n := f.next["rack."+dc] + 1
	f.next["rack."+dc] = n
	f.racks = append(f.racks, rack{
		name:    dc + "-r" + pad(n, 4),
		cluster: ci,
		global:  uint32(len(f.racks)),
	})
	return int32(len(f.racks) - 1)
}

// addHost makes a host with the next free number of its role and
// datacenter and adds it to its cluster.
func (f *fleet) addHost(ci, ri int32, pos, s, rg uint8) int32 {
	c := &f.clusters[ci]
	prefix := roles[kinds[c.kind].role].prefix
	dc := datacenters[c.dc].name
	n := f.next[prefix+"."+dc] + 1
	f.next[prefix+"."+dc] = n
	id := int32(len(f.hosts))
	f.hosts = append(f.hosts, host{
		name:    prefix + pad(n, f.width) + "." + dc,
		cluster: ci,
		rack:    ri,
		serial:  uint32(id),
		salt:    f.r.Uint32(),
		pos:     pos,
		sku:     s,
		rg:      rg,
	})
	f.touched = append(f.touched, 0)
	c.members = append(c.members, id)
	return id
}

// initHost draws the first-pass state of a host.
func (f *fleet) initHost(h *host) {
	u := f.r.Float64()
	switch {
	case u < 0.020:
		h.life = lifeDead
	case u < 0.035:
		h.life = lifeRepair
	case u < 0.045:
		h.life = lifeProvisioning
	case u < 0.046:
		h.life = lifeDecommissioned
	default:
		h.life = lifeActive
	}
	switch h.life {
	case lifeActive:
		h.responsive = f.r.Float64() < 0.95
	case lifeProvisioning:
		h.responsive = f.r.Float64() < 0.3
	}
	f.drawPuppet(h)
	if f.isHadoop(h) {
		p := 0.8
		switch h.life {
		case lifeActive:
			p = 0.03
		case lifeProvisioning:
			p = 0.5
		}
		h.exclude = f.r.Float64() < p
	}
}

// drawPuppet: puppet mostly converges on hosts that answer, mostly not on
// hosts that do not.
func (f *fleet) drawPuppet(h *host) {
	if h.responsive {
		h.puppetOK = f.r.Float64() < 0.975
	} else {
		h.puppetOK = f.r.Float64() < 0.3
	}
}

func (f *fleet) isHadoop(h *host) bool {
	return kinds[f.clusters[h.cluster].kind].role == roleHadoop
}

// sortOrder rebuilds order from the hosts still in the inventory.
func (f *fleet) sortOrder() {
	f.order = f.order[:0]
	for id := range f.hosts {
		if !f.hosts[id].gone {
			f.order = append(f.order, int32(id))
		}
	}
	slices.SortFunc(f.order, func(a, b int32) int {
		return strings.Compare(f.hosts[a].name, f.hosts[b].name)
	})
}

// pad formats n zero-padded to width digits.
func pad(n, width int) string {
	s := strconv.Itoa(n)
	if len(s) >= width {
		return s
	}
	return strings.Repeat("0", width-len(s)) + s
}

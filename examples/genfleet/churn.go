package main

import (
	"math"
	"math/rand/v2"
)

// rollout moves a kernel upgrade through the clusters in a fixed shuffled
// order; the cursor is a cluster position in order and a member position.
type rollout struct {
	order  []int32
	target uint8
	ci, hi int
}

func newRollout(n int, r *rand.Rand) rollout {
	order := make([]int32, n)
	for i, p := range r.Perm(n) {
		order[i] = int32(p)
	}
	return rollout{order: order, target: 1}
}

// initKernels puts the first 40% of the rollout on the target kernel, half
// of the next cluster too (the cursor stops there), and the last cluster of
// the rollout on the newest kernel as a canary.
func (f *fleet) initKernels() {
	cut := len(f.roll.order) * 2 / 5
	for i, ci := range f.roll.order {
		c := &f.clusters[ci]
		for j, id := range c.members {
			switch {
			case i < cut || (i == cut && j < len(c.members)/2):
				f.hosts[id].kernel = 1
			case i == len(f.roll.order)-1 && i > cut:
				f.hosts[id].kernel = 2
			}
		}
	}
	f.roll.ci, f.roll.hi = cut, len(f.clusters[f.roll.order[cut]].members)/2
}

// passStats counts what a pass holds and how much changed since the last.
type passStats struct {
	hosts, changed, removed, added int
	life                           [numLife]int
	responsive, exclude, puppetOK  int
}

// pools are the candidates for each kind of change, built once per pass.
type pools struct {
	life                [numLife][]int32
	deadReboot          []int32
	respYes, respNo     []int32 // active hosts
	puppetYes, puppetNo []int32
}

// advance applies one pass of churn: about churn × hosts hosts change.
// Hosts decommissioned in the previous pass leave the inventory and are
// replaced in their rack slot by new hosts with new numbers.
func (f *fleet) advance(churn float64) passStats {
	f.gen++
	var st passStats
	n := len(f.order)
	budget := int(math.Round(churn * float64(n)))
	if budget == 0 {
		return st // an identical pass
	}
	st.removed = f.replaceDecommissioned()
	st.added = st.removed
	p := f.buildPools()
	// A tenth of the budget is decommissioned (0.1% of the fleet at the
	// default 1%); removals, their replacements and as many provisioning
	// hosts going active count against it too. The rest is split 30%
	// lifecycle flows, 30% kernel upgrades, 20% health and 20% puppet flips.
	decom := int(math.Round(float64(budget) * 0.1))
	rest := max(0, budget-decom-3*st.removed)
	// Lifecycle flows of x hosts each keep the dead and repair pools steady:
	// active→dead 2x, dead→repair x, dead→active x (a reboot fixed it),
	// repair→active x.
	x := rest * 3 / 10 / 5
	kernelN := rest * 3 / 10
	respN := (rest - 5*x - kernelN) / 2
	puppetN := rest - 5*x - kernelN - respN

	f.repeat(decom, &p.life[lifeActive], f.decommission)
	f.repeat(st.added, &p.life[lifeProvisioning], f.toActive)
	f.repeat(2*x, &p.life[lifeActive], f.toDead)
	f.repeat(x, &p.life[lifeDead], f.toRepair)
	f.repeat(x-f.repeat(x, &p.deadReboot, f.toActive), &p.life[lifeDead], f.toActive)
	f.repeat(x, &p.life[lifeRepair], f.toActive)
	f.upgradeKernels(kernelN)
	// Flips go both ways in equal numbers; an odd one alternates by pass.
	odd := int(f.gen % 2)
	f.repeat((respN+odd)/2, &p.respYes, func(h *host) { h.responsive = false })
	f.repeat(respN-(respN+odd)/2, &p.respNo, func(h *host) { h.responsive = true })
	f.repeat((puppetN+odd)/2, &p.puppetYes, func(h *host) { h.puppetOK = false })
	f.repeat(puppetN-(puppetN+odd)/2, &p.puppetNo, func(h *host) { h.puppetOK = true })

	f.sortOrder()
	for _, id := range f.order {
		if f.touched[id] == f.gen {
			st.changed++
		}
	}
	st.changed += st.removed
	return st
}

// replaceDecommissioned removes the decommissioned hosts and puts a new
// provisioning host in each freed rack slot. It returns how many.
func (f *fleet) replaceDecommissioned() int {
	var gone []int32
	for _, id := range f.order {
		if f.hosts[id].life == lifeDecommissioned {
			gone = append(gone, id)
		}
	}
	for _, id := range gone {
		old := &f.hosts[id]
		old.gone = true
		k := kinds[f.clusters[old.cluster].kind]
		nid := f.addHost(old.cluster, old.rack, old.pos, uint8(k.skuNew), old.rg)
		h := &f.hosts[nid]
		h.life = lifeProvisioning
		h.kernel = f.roll.target
		h.responsive = f.r.Float64() < 0.3
		h.exclude = f.isHadoop(h)
		f.touched[nid] = f.gen
	}
	return len(gone)
}

func (f *fleet) buildPools() pools {
	var p pools
	for _, id := range f.order {
		h := &f.hosts[id]
		if f.touched[id] == f.gen {
			continue
		}
		p.life[h.life] = append(p.life[h.life], id)
		switch h.life {
		case lifeActive:
			if h.responsive {
				p.respYes = append(p.respYes, id)
			} else {
				p.respNo = append(p.respNo, id)
			}
		case lifeDead:
			if h.rebootable() {
				p.deadReboot = append(p.deadReboot, id)
			}
		}
		if h.puppetOK {
			p.puppetYes = append(p.puppetYes, id)
		} else {
			p.puppetNo = append(p.puppetNo, id)
		}
	}
	return p
}

// repeat applies change to up to n hosts drawn from pool, never touching a
// host twice in one pass, and returns how many it changed.
func (f *fleet) repeat(n int, pool *[]int32, change func(*host)) int {
	for i := 0; i < n; i++ {
		id, ok := f.pick(pool)
		if !ok {
			return i
		}
		change(&f.hosts[id])
	}
	return n
}

// pick draws a host from pool without replacement, skipping hosts already
// changed in this pass, and marks it changed.
func (f *fleet) pick(pool *[]int32) (int32, bool) {
	for len(*pool) > 0 {
		i := f.r.IntN(len(*pool))
		last := len(*pool) - 1
		id := (*pool)[i]
		(*pool)[i] = (*pool)[last]
		*pool = (*pool)[:last]
		if f.touched[id] != f.gen {
			f.touched[id] = f.gen
			return id, true
		}
	}
	return 0, false
}

func (f *fleet) decommission(h *host) {
	h.life = lifeDecommissioned
	h.responsive = false
	h.exclude = f.isHadoop(h)
}

func (f *fleet) toDead(h *host) {
	h.life = lifeDead
	h.responsive = false
	if f.isHadoop(h) && f.r.Float64() < 0.8 {
		h.exclude = true
	}
}

func (f *fleet) toRepair(h *host) { h.life = lifeRepair }

// toActive returns a host to service and takes it out of the HDFS exclude
// file.
func (f *fleet) toActive(h *host) {
	h.exclude = false
	h.life = lifeActive
	h.responsive = f.r.Float64() < 0.95
	f.drawPuppet(h)
}

// upgradeKernels moves the rollout cursor forward over n active hosts still
// on an older kernel; when a rollout completes the next kernel starts.
func (f *fleet) upgradeKernels(n int) {
	ro := &f.roll
	for done := 0; done < n; {
		if ro.ci >= len(ro.order) {
			if int(ro.target) >= len(kernels)-1 {
				return
			}
			ro.target++
			ro.ci, ro.hi = 0, 0
			continue
		}
		c := &f.clusters[ro.order[ro.ci]]
		if ro.hi >= len(c.members) {
			ro.ci, ro.hi = ro.ci+1, 0
			continue
		}
		id := c.members[ro.hi]
		ro.hi++
		h := &f.hosts[id]
		if h.gone || h.life != lifeActive || h.kernel >= ro.target || f.touched[id] == f.gen {
			continue
		}
		f.touched[id] = f.gen
		h.kernel = ro.target
		done++
	}
}

// stats counts the current pass.
func (f *fleet) stats(st passStats) passStats {
	st.hosts = len(f.order)
	st.life = [numLife]int{}
	st.responsive, st.exclude, st.puppetOK = 0, 0, 0
	for _, id := range f.order {
		h := &f.hosts[id]
		st.life[h.life]++
		st.responsive += b2i(h.responsive)
		st.exclude += b2i(h.exclude)
		st.puppetOK += b2i(h.puppetOK)
	}
	return st
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

package actions

import (
	"fmt"
	"time"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/store"
)

// rolloutHold is why a halted rollout refuses a host: the host is in a
// wave after the one that halted.
type rolloutHold struct {
	ref     string // r3
	rollout string // r3 (kernel68)
	wave    int    // the host's wave
	halted  int    // the wave that halted
	at      time.Time
	by      string
	audit   int64
}

// rolloutHolds maps the hosts of the later waves of halted rollouts to
// the halt that holds them (the first rollout that holds a host wins).
func rolloutHolds(names fleet.Hosts, halted []store.Rollout) map[uint32]*rolloutHold {
	out := map[uint32]*rolloutHold{}
	for _, r := range halted {
		if r.Halt == nil {
			continue
		}
		for _, w := range r.Waves[min(r.Halt.Wave+1, len(r.Waves)):] {
			h := &rolloutHold{ref: r.Ref(), rollout: r.Label(), wave: w.N, halted: r.Halt.Wave, at: r.Halt.At, by: r.Halt.Requester, audit: r.Halt.Audit}
			ids, _ := names.Lookup(w.Hosts)
			for _, id := range ids.ToArray() {
				if out[id] == nil {
					out[id] = h
				}
			}
		}
	}
	return out
}

// rolloutHalted: no host of a later wave of a halted rollout is acted on
// until `fleetq rollout resume` (not even with --force).
func rolloutHalted(f *hostFacts) (string, bool) {
	h := f.hold
	if h == nil {
		return "", false
	}
	return fmt.Sprintf("wave %d of rollout %s, halted at wave %d by %s at %s (audit %d); fleetq rollout resume %s --reason …",
		h.wave, h.rollout, h.halted, h.by, stamp(h.at), h.audit, h.ref), true
}

// Package freshness judges the age of the evidence behind an answer: the
// sources a statement reads that a pass carried forward from an older
// pass instead of reading them again. A stale control-plane snapshot is a
// reason to doubt the answer. It returns what it finds; it never prints.
package freshness

import (
	"time"

	"github.com/fleetq/fleetq/internal/store"
)

// Stale is a carried source older than the limit, and the first name of
// the statement that reads it.
type Stale struct {
	Source string        // KIND:NAME
	ReadBy int64         // the pass that read it
	Age    time.Duration // how long before Pass was made it was read
	Pass   int64         // the pass that carried it
	Limit  time.Duration // the age it is older than
	Name   string        // the set or attribute that comes from it
}

// StaleSources lists the sources of pass p carried from an older pass
// and older than limit when p was made, in the order names reads them,
// each source once. A limit of 0 or less judges nothing.
func StaleSources(p *store.PassView, names []string, limit time.Duration) []Stale {
	if limit <= 0 {
		return nil
	}
	seen := map[string]bool{}
	var out []Stale
	for _, name := range names {
		for _, s := range p.SourcesOf(name) {
			age := p.Created().Sub(s.ReadAt)
			key := s.Kind + ":" + s.Name
			if s.Carried(p.ID()) && age > limit && !seen[key] {
				seen[key] = true
				out = append(out, Stale{Source: key, ReadBy: s.ReadBy, Age: age, Pass: p.ID(), Limit: limit, Name: name})
			}
		}
	}
	return out
}

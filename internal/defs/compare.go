package defs

import (
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/store"
)

// Comparison is one definition evaluated now against the set its pass
// stored under its name when it was sealed.
type Comparison struct {
	Name   string  `json:"name"`
	Now    uint64  `json:"now"`
	Stored *uint64 `json:"stored"` // nil: not stored in this pass
	Same   bool    `json:"same"`
}

// Compare compares sets, f evaluated now on p (Eval), with what p
// stores, for the definitions named (all when names is empty), in the
// order of f. A set the pass does not store itself (one carried from a
// source) counts as not stored.
func Compare(p *store.PassView, f *File, sets map[string]*roaring.Bitmap, names []string) ([]Comparison, error) {
	var out []Comparison
	for _, def := range f.Defs {
		if len(names) > 0 && !slices.Contains(names, def.Name) {
			continue
		}
		now := sets[def.Name]
		c := Comparison{Name: def.Name, Now: now.GetCardinality()}
		bm, ok, err := p.Set(def.Name)
		if err != nil {
			return nil, err
		}
		if ok && slices.Contains(p.StoredSetNames(), def.Name) {
			n := bm.GetCardinality()
			c.Stored, c.Same = &n, bm.Equals(now)
		}
		out = append(out, c)
	}
	return out, nil
}

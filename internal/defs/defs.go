package defs

import (
	"fmt"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// File is a parsed definitions file.
type File struct {
	From string // the file name, or where the text was kept ("pass 3")
	Text string // the text as written, what fleetq defs set keeps
	Defs []query.Definition
	// Kept is true for the definitions kept in the database (fleetq defs
	// set), From being the name they were kept from.
	Kept bool
}

// Parse parses the text of a definitions file named from.
func Parse(from, text string) (*File, error) {
	defs, err := query.ParseDefinitions(from, text)
	if err != nil {
		return nil, err
	}
	return &File{From: from, Text: text, Defs: defs}, nil
}

// Kept returns the definitions kept in the database, or nil when none
// are; a kept text that no longer parses is an error.
func Kept(tx *store.Tx) (*File, error) {
	text, from, err := tx.Definitions()
	if err != nil || text == "" {
		return nil, err
	}
	f, err := Parse(from, text)
	if err != nil {
		return nil, err
	}
	f.Kept = true
	return f, nil
}

// Sealed returns the definitions pass p was sealed with, as its
// transcript records them (From is "pass N"), or nil when it had none.
func Sealed(p *store.PassView) (*File, error) {
	log := p.Info().Log
	if log == nil || len(log.Definitions) == 0 {
		return nil, nil
	}
	return Parse(fmt.Sprintf("pass %d", p.ID()), strings.Join(log.Definitions, "\n"))
}

// Eval evaluates f in order on pass id, seeded by the pass id so that
// sample and spread stages give the same hosts every time; each result is
// visible to later definitions. A nil or empty f gives no sets.
func Eval(tx *store.Tx, id int64, f *File) (map[string]*roaring.Bitmap, error) {
	if f == nil || len(f.Defs) == 0 {
		return nil, nil
	}
	snap, err := tx.Snapshot(id)
	if err != nil {
		return nil, err
	}
	env := &query.Env{Snap: snap, Seed: uint64(id)}
	return query.EvalDefinitions(env, f.From, f.Defs)
}

// Sealer returns the hook that evaluates definitions and writes the
// transcript inside the pass's write transaction (store.NewPass.Seal).
// With f nil it uses the definitions kept in the database, if any, unless
// none is set (ingest --no-defs).
func Sealer(f *File, none bool) func(*store.Tx, *store.PassInfo) error {
	return func(tx *store.Tx, p *store.PassInfo) error {
		d := f
		if d == nil && !none {
			var err error
			if d, err = Kept(tx); err != nil {
				return err
			}
		}
		sets, err := Eval(tx, p.ID, d)
		if err != nil {
			return err
		}
		if len(sets) > 0 {
			if err := tx.SaveSets(p.ID, sets); err != nil {
				return err
			}
		}
		return tx.SetLog(p.ID, Transcript(p, d, sets))
	}
}

// Transcript records how pass p was made: command, definitions, counts
// and warnings (every pass keeps its transcript). f and sets are the
// definitions evaluated on it and their results.
func Transcript(p *store.PassInfo, f *File, sets map[string]*roaring.Bitmap) *store.Transcript {
	log := &store.Transcript{Command: p.Log.Command, Failures: p.Log.Failures, Counts: map[string]int{"all": p.Hosts}}
	for _, s := range p.Sources {
		log.Counts[s.Name] = s.Hosts
		for _, w := range s.Warnings {
			log.Warnings = append(log.Warnings, s.Kind+":"+s.Name+": "+w)
		}
		if s.NUnmap > 0 {
			log.Warnings = append(log.Warnings, fmt.Sprintf("%s:%s: %d hosts not in the inventory (e.g. %s)", s.Kind, s.Name, s.NUnmap, strings.Join(s.Unmapped, ", ")))
		}
	}
	if f != nil {
		for _, def := range f.Defs {
			log.Definitions = append(log.Definitions, def.Stmt.String())
			log.Counts[def.Name] = int(sets[def.Name].GetCardinality())
		}
	}
	return log
}

package defs

import (
	"fmt"
	"slices"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// ToCheck resolves the definitions fleetq check checks on pass p: given
// (--defs FILE) when not nil, else those kept in the database, else those
// p was sealed with; nil when there are none.
func ToCheck(tx *store.Tx, p *store.PassView, given *File) (*File, error) {
	if given != nil {
		return given, nil
	}
	if f, err := Kept(tx); f != nil || err != nil {
		return f, err
	}
	return Sealed(p)
}

// Outcome is what checking one definition found.
type Outcome struct {
	Def      query.Definition
	Err      error    // the definition does not evaluate on the pass
	Warnings []string // the checker's warnings (a value no host has)
}

// Check evaluates each definition of f on env's current pass as sealing
// would, each result bound for the definitions after it, and goes on past
// a failure so that every failing definition is reported.
func Check(env *query.Env, f *File) []Outcome {
	out := make([]Outcome, 0, len(f.Defs))
	for _, def := range f.Defs {
		env.Warnings = nil
		err := checkOne(env, def)
		out = append(out, Outcome{Def: def, Err: err, Warnings: env.Warnings})
	}
	return out
}

func checkOne(env *query.Env, def query.Definition) error {
	cur := env.Snap.Current()
	if slices.Contains(cur.AttrNames(), def.Name) {
		return fmt.Errorf("%s is an attribute of pass %d; a definition needs another name", def.Name, cur.ID())
	}
	_, err := query.Run(env, def.Stmt)
	return err
}

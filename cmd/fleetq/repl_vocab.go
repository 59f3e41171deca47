package main

import (
	"strconv"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/store"
)

// maxValues bounds the values offered for one attribute.
const maxValues = 1000

// loadVocab reads the names of pass (0: the newest) and the pass ids,
// briefly opening the database read-only. With no database it is empty.
// Attribute values are read later, on demand, and remembered.
func loadVocab(a *app, pass int64) *vocab {
	v := &vocab{}
	_ = a.view(func(tx *store.Tx) error {
		passes, err := tx.Passes()
		if err != nil {
			return err
		}
		for _, p := range passes {
			v.passes = append(v.passes, strconv.FormatInt(p.ID, 10))
		}
		p, err := tx.Pass(pass)
		if err != nil {
			return err
		}
		v.sets, v.attrs = p.SetNames(), p.AttrNames()
		return nil
	})
	v.sets = mergeNames(v.sets, []string{"all"})
	cache := map[string][]string{}
	v.values = func(attr string) []string {
		vals, ok := cache[attr]
		if !ok {
			vals = attrValues(a, pass, attr)
			cache[attr] = vals
		}
		return vals
	}
	return v
}

// attrValues lists the distinct values of attr as literals, from the
// attribute's value groups; nil when attr is not an attribute.
func attrValues(a *app, pass int64, attr string) []string {
	var vals []string
	_ = a.view(func(tx *store.Tx) error {
		p, err := tx.Pass(pass)
		if err != nil {
			return err
		}
		at, ok, err := p.Attr(attr)
		if err != nil || !ok {
			return err
		}
		vals = []string{}
		for _, g := range at.Groups() {
			if len(vals) == maxValues {
				break
			}
			vals = append(vals, valueLiteral(g.Value))
		}
		return nil
	})
	return vals
}

// literal writes a value as the language reads it: strings quoted.
func valueLiteral(v fleet.Value) string {
	if v.Type == fleet.String {
		return strconv.Quote(v.Str)
	}
	return v.String()
}

// vocabCache keeps the session's vocabulary between Tab presses; the REPL
// resets it at every prompt, so a new pass or binding shows up.
type vocabCache struct{ v *vocab }

func (c *vocabCache) reset() { c.v = nil }

func (c *vocabCache) get(s *session) *vocab {
	if c.v == nil {
		c.v = loadVocab(s.a, s.pass)
		c.v.sets = mergeNames(c.v.sets, s.bindingNames())
		c.v.commands = s.commandList()
	}
	return c.v
}

// complete is the liner word completer of the session.
func (s *session) complete(line string, pos int) (string, []string, string) {
	return s.vocab.get(s).complete(line, pos)
}

func (s *session) commandList() []string {
	if s.commands == nil {
		s.commands = commandNames()
	}
	return s.commands
}

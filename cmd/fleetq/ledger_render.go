package main

import (
	"fmt"
	"strconv"
	"time"
)

// What the ledger commands print in common: the result of a freeze,
// unfreeze or incident change, and the way they write times and counts.

// ledgerChange is the result of freeze, unfreeze and incident start and
// stop: what changed in the ledger.
type ledgerChange struct {
	Change string    `json:"change"` // frozen, unfrozen, incident-start, incident-stop
	Scope  string    `json:"scope,omitempty"`
	Until  time.Time `json:"until,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

func (c *ledgerChange) jsonValue() any { return c }

func (c *ledgerChange) writeText(w *textWriter) {
	switch c.Change {
	case "frozen":
		fmt.Fprintf(w, "frozen: %s %s (%s)\n", c.Scope, untilText(c.Until), c.Reason)
	case "unfrozen":
		fmt.Fprintf(w, "unfrozen: %s\n", c.Scope)
	case "incident-start":
		if c.Scope != "" {
			fmt.Fprintf(w, "incident mode on for the hosts of %s: no automatic action on them until 'fleetq incident stop'\n", c.Scope)
			return
		}
		fmt.Fprintln(w, "incident mode on: no automatic action until 'fleetq incident stop'")
	case "incident-stop":
		fmt.Fprintln(w, "incident mode off")
	}
}

func untilText(t time.Time) string {
	if t.IsZero() {
		return "until unfrozen"
	}
	return "until " + stampShort(t)
}

func stampShort(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func quoteExpr(e string) string { return "'" + e + "'" }

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

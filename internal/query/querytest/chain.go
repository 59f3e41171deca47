package querytest

import (
	"fmt"

	"github.com/fleetq/fleetq/internal/query"
)

// ChainSets is how many sets ChainFleet defines (s0 … s9); Chain cycles
// through them.
const ChainSets = 10

// ChainFleet is one pass of hosts host0000 … with sets s0 … s9, set si
// holding every host whose number is not a multiple of i+2, so every
// operator of a chain changes the running set.
func ChainFleet(hosts int) *Fleet {
	f := NewFleet()
	p := f.NewPass()
	for i := 0; i < hosts; i++ {
		h := fmt.Sprintf("host%04d", i)
		p.AddHosts(h)
		for s := 0; s < ChainSets; s++ {
			if i%(s+2) != 0 {
				p.AddSet(fmt.Sprintf("s%d", s), h)
			}
		}
	}
	return f
}

// Chain is the flat chain `all + s0 - s1 & s2 ^ s3 + s4 …` of n terms, as
// the parser lowers it: a left-deep tree of depth n-1. It is built
// directly so it can be longer than query.MaxTokens allows a text to be.
func Chain(n int) *query.Statement {
	ops := []byte{'+', '-', '&', '^'}
	var expr query.Node = &query.SetRef{Name: "all"}
	for i := 1; i < n; i++ {
		r := &query.SetRef{Name: fmt.Sprintf("s%d", (i-1)%ChainSets)}
		expr = &query.Binary{Op: ops[(i-1)%len(ops)], L: expr, R: r}
	}
	return &query.Statement{Pipeline: &query.Pipeline{Expr: expr}}
}

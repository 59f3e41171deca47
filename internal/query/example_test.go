package query_test

import (
	"fmt"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

// A statement is parsed, checked against a pass and evaluated; here the
// pass is an in-memory fleet (querytest), in fleetq a bbolt file.
func Example() {
	f := querytest.NewFleet()
	f.NewPass().AddHosts("dn1", "dn2", "web1").AddSet("dead", "dn2").
		SetString("role", map[string]string{"dn1": "hadoop", "dn2": "hadoop", "web1": "web"})
	env := &query.Env{Snap: f.Snapshot()}
	st, err := query.Parse(`role = "hadoop" - dead`)
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := query.Run(env, st) // Run checks first
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Bind == "", f.Names(r.Hosts))
	// Output: true [dn1]
}

// Check fails closed on a name the pass does not have, with a position
// and a suggestion.
func ExampleCheck() {
	f := querytest.NewFleet()
	f.NewPass().AddHosts("h1").AddSet("responsive", "h1")
	st, _ := query.Parse("all - responsiv")
	err := query.Check(&query.Env{Snap: f.Snapshot()}, st)
	fmt.Println(err)
	// Output: 1:7: unknown name: no set "responsiv" in pass 1 (did you mean responsive?)
}

// Inspect walks an expression depth-first, as go/ast.Inspect does.
func ExampleInspect() {
	n, _ := query.ParseExpr(`(a - b) and not c@-1`)
	query.Inspect(n, func(n query.Node) bool {
		if ref, ok := n.(*query.SetRef); ok {
			fmt.Print(ref.Name, " ")
		}
		return true
	})
	fmt.Println()
	// Output: a b c
}

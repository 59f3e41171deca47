package nodeset_test

import (
	"fmt"

	"github.com/fleetq/fleetq/internal/nodeset"
)

func ExampleExpand() {
	names, err := nodeset.Expand("dn[01-03,07].smf1")
	fmt.Println(names, err)
	// Output: [dn01.smf1 dn02.smf1 dn03.smf1 dn07.smf1] <nil>
}

func ExampleFold() {
	fmt.Println(nodeset.Fold([]string{"dn03.smf1", "dn01.smf1", "dn02.smf1", "web1"}))
	// Output: dn[01-03].smf1,web1
}

func ExampleMatch() {
	fmt.Println(nodeset.Match("dn*.smf1", "dn0001.smf1"), nodeset.Match("dn?.smf1", "dn10.smf1"))
	// Output: true false
}

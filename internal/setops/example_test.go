package setops_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/setops"
)

// The four set operators of the language; the inputs are not changed.
func Example() {
	web := roaring.BitmapOf(1, 2, 3, 4)
	dead := roaring.BitmapOf(3, 9)
	fmt.Println(setops.Union(web, dead))
	fmt.Println(setops.Difference(web, dead))
	fmt.Println(setops.Intersection(web, dead))
	fmt.Println(setops.SymDiff(web, dead))
	fmt.Println(web, dead)
	// Output:
	// {1,2,3,4,9}
	// {1,2,4}
	// {3}
	// {1,2,4,9}
	// {1,2,3,4} {3,9}
}

// Spread keeps at most n hosts of each group (a rack), drawn from a
// seeded source: the same seed, the same hosts.
func ExampleSpread() {
	racks := map[uint32]uint32{1: 0, 2: 0, 3: 0, 4: 1, 5: 1}
	rack := func(id uint32) (uint32, bool) { g, ok := racks[id]; return g, ok }
	hosts := roaring.BitmapOf(1, 2, 3, 4, 5)
	a := setops.Spread(hosts, 1, rack, rand.New(rand.NewPCG(7, 7)))
	b := setops.Spread(hosts, 1, rack, rand.New(rand.NewPCG(7, 7)))
	fmt.Println(a.GetCardinality(), a.Equals(b))
	// Output: 2 true
}

// PercentCount is how many hosts `sample 5%` keeps: rounded up.
func ExamplePercentCount() {
	fmt.Println(setops.PercentCount(1000, 5), setops.PercentCount(7, 10))
	// Output: 50 1
}

package drift

import (
	"context"
	"fmt"
	"testing"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

// BenchmarkCompute: 200,000 hosts on three kernels, one observer that
// agrees but for 1% (the report's cost is the groups' joins plus the
// drifted hosts, not a walk of every host).
func BenchmarkCompute(b *testing.B) {
	const n = 200000
	kernels := []string{"5.15.0-91-generic", "5.15.0-105-generic", "6.8.0-45-generic"}
	declared, observed := map[string]string{}, map[string]string{}
	for i := range n {
		h := fmt.Sprintf("h%07d", i)
		declared[h] = kernels[i%3]
		observed[h] = kernels[i%3]
		if i%100 == 7 {
			observed[h] = kernels[(i+1)%3]
		}
	}
	f := querytest.NewFleet()
	f.NewPass().SetString("kernel", declared).SetString("node_uname.release", observed)
	p, err := policy.Parse([]byte("[[archetype]]\nname = \"all\"\nany = { pct = 5 }\n[drift]\nkernel = [\"node_uname.release\"]\n" +
		"[[drift.rule]]\nname = \"prev\"\ndeclared = \"5.15.0-105-generic\"\nobserved = \"5.15.0-91-generic\"\nclass = \"safe\"\n"))
	if err != nil {
		b.Fatal(err)
	}
	snap := f.Snapshot()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		rep, err := Compute(context.Background(), snap, &p.Drift, nil)
		if err != nil || rep.Attrs[0].Drifted.GetCardinality() != n/100 {
			b.Fatal(err, rep.Attrs[0].Drifted.GetCardinality())
		}
	}
}

package query_test

import (
	"context"
	"testing"
	"time"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

// smallFleet is two passes with sets, every attribute type and a metric.
func smallFleet() *querytest.Fleet {
	f := querytest.NewFleet()
	p := f.NewPass().AddHosts("h1", "h2", "h3", "dn0001.smf1")
	p.AddSet("dead", "h1").AddSet("dead-reboot", "h2")
	p.SetString("role", map[string]string{"h1": "web", "h2": "db"})
	p = f.NewPass().AddHosts("h1", "h2", "h3", "h4", "dn0001.smf1", "dn0002.smf1")
	p.AddSet("dead", "h1", "h3").AddSet("a", "h2", "h4").AddSet("b", "h1", "h4")
	p.SetString("role", map[string]string{"h1": "web", "h2": "db", "h4": "web"})
	p.SetString("rack", map[string]string{"h1": "r1", "h2": "r2", "h3": "r1"})
	p.SetString("kernel", map[string]string{"h1": "5", "h2": "6"})
	p.SetString("observed_kernel", map[string]string{"h1": "5", "h2": "5"})
	p.SetNumber("node_load1", map[string]float64{"h1": 1, "h2": 30})
	p.SetBool("hadoop_exclude", map[string]bool{"h1": true, "h2": false})
	p.SetTime("boot", map[string]time.Time{"h1": querytest.Base})
	p.SetSampled("up", map[string]querytest.Sample{"h1": {V: 1, At: querytest.Base}, "h2": {V: 0, At: p.Created()}})
	return f
}

// FuzzRun: no statement panics when run against a small fleet.
func FuzzRun(f *testing.F) {
	for _, in := range query.ParseTestInputs() {
		f.Add(in, uint64(1))
	}
	for _, in := range []string{
		`all - hadoop_exclude & (up == 1 and age(up) < 10m) | spread rack 1 | split 2`,
		`dead - dead@-1 | show role,rack`,
		`"h[1-4],dn*" | stratify role,rack 1`,
		`kernel != observed_kernel | by role`,
		`x = all | sample 50% stable`,
		`(not role in (web, db)) | where boot < 2026-11-21 | count`,
		`all - "dn[0001-0100]*"`,
		`all - "dn000[1-2]*" | where "h?"`,
		`"h[1-4],nope*"`,
		`"H[1-3]" & "h*" - "dn0001.smf1"@-1`,
		`"*[1-1024]"`,
	} {
		f.Add(in, uint64(7))
	}
	fleet := smallFleet()
	f.Fuzz(func(t *testing.T, in string, seed uint64) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		env := &query.Env{Ctx: ctx, Snap: fleet.Snapshot(), Seed: seed}
		st, err := query.Parse(in)
		if err != nil {
			return
		}
		_, _ = query.Run(env, st)
		_, _, _ = query.Explain(env, st)
	})
}

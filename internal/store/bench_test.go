package store_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// Benchmarks at fleet scale against a real bbolt file: BENCH_HOSTS hosts
// (default 1,000,000), built once per process. make bench runs them.

func benchHosts() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_HOSTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// benchFleet is a deterministic inventory: clusters, racks, roles, a
// lifecycle, a unique ip, a load metric and the bool columns of the
// classic query.
func benchFleet(n int, seed uint64) *store.SourceData {
	r := rand.New(rand.NewPCG(seed, 1))
	src := &store.SourceData{Kind: "inventory", Name: "inventory", Path: "bench.csv", Hash: "bench", ReadAt: time.Unix(1795132800, 0)}
	src.Hosts = make([]string, n)
	cols := map[string]*store.Column{}
	for _, c := range []struct {
		name string
		t    fleet.Type
	}{{"cluster", fleet.String}, {"rack", fleet.String}, {"role", fleet.String}, {"lifecycle", fleet.String},
		{"ip", fleet.String}, {"node_load1", fleet.Number}, {"hadoop_exclude", fleet.Bool}, {"puppet_ok", fleet.Bool}, {"responsive", fleet.Bool}} {
		cols[c.name] = store.NewColumn(c.name, c.t, n)
		src.Attrs = append(src.Attrs, cols[c.name])
	}
	roles := []string{"hadoop-worker", "web", "k8s-node", "kafka-broker", "db"}
	life := []string{"active", "active", "active", "active", "active", "active", "active", "active", "active", "dead", "repair"}
	for i := 0; i < n; i++ {
		src.Hosts[i] = fmt.Sprintf("h%07d.dc%d", i, i%5)
		set := func(name string, f func(c *store.Column)) { c := cols[name]; f(c); c.Has[i] = true }
		set("cluster", func(c *store.Column) { c.Str[i] = "cluster-" + strconv.Itoa(i/400) })
		set("rack", func(c *store.Column) { c.Str[i] = "rack-" + strconv.Itoa(i/40) })
		set("role", func(c *store.Column) { c.Str[i] = roles[(i/400)%len(roles)] })
		set("lifecycle", func(c *store.Column) { c.Str[i] = life[r.IntN(len(life))] })
		set("ip", func(c *store.Column) { c.Str[i] = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255) })
		set("node_load1", func(c *store.Column) { c.Num[i] = r.Float64() * 40 })
		set("hadoop_exclude", func(c *store.Column) { c.Bool[i] = r.IntN(100) < 3 })
		set("puppet_ok", func(c *store.Column) { c.Bool[i] = r.IntN(100) < 92 })
		set("responsive", func(c *store.Column) { c.Bool[i] = r.IntN(100) < 95 })
	}
	src.Records = n
	return src
}

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

// benchDB returns a database with two passes of benchHosts hosts (the
// second with ~1% of lifecycles changed).
func benchDB(b *testing.B) string {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fleetq-bench-")
		if err != nil {
			benchErr = err
			return
		}
		benchPath = filepath.Join(dir, "bench.db")
		db, err := store.Open(benchPath, store.Options{Create: true})
		if err != nil {
			benchErr = err
			return
		}
		defer db.Close()
		for i, seed := range []uint64{1, 1} {
			src := benchFleet(benchHosts(), seed)
			if i == 1 {
				churn(src)
			}
			if _, benchErr = db.CreatePass(store.NewPass{Created: time.Unix(1795132800+int64(i)*3600, 0), Sources: []*store.SourceData{src}}); benchErr != nil {
				return
			}
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

// churn changes the lifecycle of 1% of hosts.
func churn(src *store.SourceData) {
	for _, c := range src.Attrs {
		if c.Name == "lifecycle" {
			for i := 0; i < len(c.Str); i += 100 {
				c.Str[i] = "dead"
			}
		}
	}
}

// benchQuery parses and evaluates text on the newest pass, in a fresh read
// transaction each time, as one fleetq query process does.
func benchQuery(b *testing.B, text string) {
	benchQueryPass(b, text, 0)
}

// benchQueryPass is benchQuery on pass id (0: the newest).
func benchQueryPass(b *testing.B, text string, id int64) {
	path := openBenchPath(b)
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := db.View(func(tx *store.Tx) error {
			snap, err := tx.Snapshot(id)
			if err != nil {
				return err
			}
			env := &query.Env{Snap: snap, Seed: 42}
			st, err := query.Parse(text)
			if err != nil {
				return err
			}
			_, err = query.Run(env, st)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseEvalSample(b *testing.B) {
	benchQuery(b, "all - hadoop_exclude & responsive & puppet_ok | sample 5")
}

// BenchmarkOldPassCount is the count of the flagship query on pass
// BENCH_PASS (default 1) of BENCH_DB: on make bench's growth database,
// the oldest pass of a long history, whose blobs are rebuilt from deltas.
func BenchmarkOldPassCount(b *testing.B) {
	id, err := strconv.ParseInt(os.Getenv("BENCH_PASS"), 10, 64)
	if err != nil {
		id = 1
	}
	benchQueryPass(b, "all - hadoop_exclude & responsive & puppet_ok | count", id)
}

func BenchmarkParseEvalCount(b *testing.B) {
	benchQuery(b, "all - hadoop_exclude & responsive & puppet_ok | count")
}

func BenchmarkPredicateIndexLookup(b *testing.B) {
	benchQuery(b, `role = "hadoop-worker" & lifecycle in (dead, repair) | count`)
}

func BenchmarkPredicateNumberScan(b *testing.B) { benchQuery(b, "node_load1 > 20 | count") }

func BenchmarkPredicateColumnRegex(b *testing.B) { benchQuery(b, `ip ~ "^10\.1\." | count`) }

func BenchmarkTimeTravel(b *testing.B) {
	benchQuery(b, `(lifecycle = "dead") - (lifecycle = "dead")@-1 | count`)
}

func BenchmarkSpreadPerRack(b *testing.B) {
	benchQuery(b, "all - hadoop_exclude | spread rack 2 | count")
}

func BenchmarkByCluster(b *testing.B) { benchQuery(b, "responsive | by cluster") }

func BenchmarkPrintAllNames(b *testing.B) {
	path := benchDB(b)
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = db.View(func(tx *store.Tx) error {
			p, err := tx.Pass(0)
			if err != nil {
				return err
			}
			n := 0
			err = tx.Hosts().EachName(p.All(), func(name []byte) error { n += len(name) + 1; return nil })
			b.SetBytes(int64(n))
			return err
		})
	}
}

func BenchmarkDiff(b *testing.B) {
	path := benchDB(b)
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := db.View(func(tx *store.Tx) error {
			_, err := tx.Diff(1, 2, store.DiffOptions{})
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreatePass(b *testing.B) {
	src := benchFleet(benchHosts(), 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "ingest.db")
		db, err := store.Open(path, store.Options{Create: true})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := db.CreatePass(store.NewPass{Created: time.Unix(1795132800, 0), Sources: []*store.SourceData{src}}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
}

package source_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/ingest/sourcetest"
	"github.com/fleetq/fleetq/internal/store"
)

func TestBuilder(t *testing.T) {
	b := source.NewBuilder("prom", "metrics")
	a := b.Host(" Web1 ", "10.0.0.1", "WEB1", "")
	b.SetSample(a, "up", 1, 2000)
	b.SetSample(a, "up", 0, 1000) // older: ignored
	c := b.Host("db1")
	assert.Equal(t, a, b.Host("web1", "10.0.0.1", "web1.example.com"), "the same host again")
	b.SetString(c, "role", "db")
	b.SetBool(a, "ok", true)
	b.SetTime(c, "born", 1700000000)
	b.SetNumber(c, "load", 0.5)
	b.Host("late") // grows every column
	b.AddToSet("canary", c)
	b.AddToSet("canary", a)
	b.AddToSet("canary", c)
	b.DeclareSet("none")
	b.Records(4)
	b.Warn("note")
	assert.Equal(t, 3, b.Len())
	assert.Equal(t, fleet.Number, b.ColumnType("up"))
	assert.Equal(t, fleet.Type(0), b.ColumnType("nope"))
	src := mustFinish(t, b)
	sourcetest.Invariants(t, src)
	assert.Equal(t, "hosts web1 db1 late\nup number: web1=1\nrole string: db1=\"db\"\nok bool: web1=true\n"+
		"born time: db1=1700000000\nload number: db1=0.5\nset canary: web1 db1\nset none: \n", sourcetest.Dump(src))
	assert.Equal(t, [][]string{{"10.0.0.1", "web1.example.com"}}, src.Alt, "alt names normalised, the key itself and blanks dropped")
	assert.Equal(t, []int64{2000, 0, 0}, src.Attrs[0].TS)
	assert.Equal(t, 4, src.Records)
	assert.Equal(t, []string{"note"}, src.Warnings)

	full := source.NewBuilder("inventory", "inventory")
	full.SetString(full.Host("a"), "role", "x")
	assert.Nil(t, mustFinish(t, full).Attrs[0].Has, "a column every host has drops Has")
}

// mustFinish is b.Finish for a builder given only good host names.
func mustFinish(t *testing.T, b *source.Builder) *store.SourceData {
	t.Helper()
	src, err := b.Finish("test", nil)
	require.NoError(t, err)
	return src
}

// TestBuilderRefusesBadHostKeys: the Builder is where every ingester's
// names become keys, so a name that is no host key fails Finish, naming
// the first such name as the source wrote it.
func TestBuilderRefusesBadHostKeys(t *testing.T) {
	b := source.NewBuilder("hosts", "x")
	b.SetString(b.Host("ok1"), "role", "web")
	b.SetString(b.Host("Web 01"), "role", "web") // the parser can go on
	b.Host("c,d")
	src, err := b.Finish("test", nil)
	assert.Nil(t, src)
	var he *source.HostError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, "Web 01", he.Name)
	assert.ErrorIs(t, err, hostkey.ErrChar)
	assert.EqualError(t, err, `test: host "web 01": contains a blank (`+hostkey.Allowed+")")
}

// Host finds repeats whether or not the keys come in byte order (a sorted
// dump keeps no index until the first key out of order), against a map.
func TestBuilderHostOrderReference(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for round := range 200 {
		n := 1 + rng.IntN(300)
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("h%04d", rng.IntN(2*n))
		}
		if rng.IntN(2) == 0 { // sorted, then maybe a tail out of order
			slices.Sort(keys)
			for i := max(0, n-rng.IntN(3)); i < n; i++ {
				keys[i] = fmt.Sprintf("h%04d", rng.IntN(2*n))
			}
		}
		b := source.NewBuilderSized("inventory", "inventory", rng.IntN(n+1))
		ref := map[string]int{}
		for _, k := range keys {
			want, ok := ref[k]
			if !ok {
				want = len(ref)
				ref[k] = want
			}
			require.Equal(t, want, b.Host(k), "round %d key %s", round, k)
		}
		require.Equal(t, len(ref), b.Len(), "round %d", round)
	}
}

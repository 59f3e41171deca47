package store

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// codedOf is c in the coded form, its dictionary in a random order with
// repeated entries, entries no host uses, and random codes under absent
// hosts: what a parser may give.
func codedOf(rng *rand.Rand, c *Column) *Column {
	out := NewCodedColumn(c.Name, len(c.Str))
	copy(out.Has, c.Has)
	for i, v := range c.Str {
		switch {
		case !c.Has[i]:
			out.Codes[i] = uint32(rng.IntN(len(out.Dict) + 1))
			out.Dict = append(out.Dict, "unused")
		case rng.IntN(3) == 0 && len(out.Dict) > 0 && out.Dict[len(out.Dict)-1] == v:
			out.Codes[i] = uint32(len(out.Dict) - 1)
		default:
			out.Codes[i] = uint32(len(out.Dict))
			out.Dict = append(out.Dict, v)
		}
	}
	rng.Shuffle(len(out.Dict), func(a, b int) { out.Dict[a], out.Dict[b] = out.Dict[b], out.Dict[a] })
	// Re-point the codes after the shuffle: each present host to any one
	// of the entries that hold its value, so equal entries are merged.
	at := map[string][]uint32{}
	for k, v := range out.Dict {
		at[v] = append(at[v], uint32(k))
	}
	for i, v := range c.Str {
		if c.Has[i] {
			out.Codes[i] = at[v][rng.IntN(len(at[v]))]
		}
	}
	return out
}

// A coded String column encodes to the very bytes of its plain form.
func TestCodedColumnEncodesAsPlain(t *testing.T) {
	seed := *dictSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -store.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for round := range 20 {
		rc := randomColumn(rng)
		want := rc.encode(t)
		coded := codedOf(rng, rc.col)
		require.NoError(t, codesInDict(coded))
		got, err := encodeColumn(coded, rc.ids, idOrder(rc.ids))
		require.NoError(t, err)
		require.Equal(t, want, got, "round %d: %d hosts", round, len(rc.ids))
		for i := range rc.col.Str {
			if rc.col.Has[i] {
				require.Equal(t, rc.col.Str[i], coded.StrAt(i))
			}
		}
	}
}

// A code past the dictionary is refused before the transaction, not a panic.
func TestCodedColumnBadCode(t *testing.T) {
	c := NewCodedColumn("x", 2)
	c.Dict = []string{"a"}
	c.Has[0], c.Has[1], c.Codes[1] = true, true, 1
	require.ErrorContains(t, alignedData(&SourceData{Hosts: []string{"a", "b"}, Attrs: []*Column{c}}), "code 1 of a dictionary of 1")
	c.Has[1] = false // an absent host's code is ignored
	require.NoError(t, alignedData(&SourceData{Hosts: []string{"a", "b"}, Attrs: []*Column{c}}))
}

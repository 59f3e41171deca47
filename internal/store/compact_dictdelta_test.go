package store

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// churnColumn is rc with about share of its present hosts given new
// values (unique ones, as a replaced host's serial), a few hosts dropped
// and a few without a value given one.
func churnColumn(rng *rand.Rand, rc refColumn, share float64) refColumn {
	out := refColumn{col: NewColumn("x", rc.col.Type, len(rc.ids)), ids: rc.ids, ref: map[uint32]string{}, maxID: rc.maxID}
	fresh := randomStrings(rng, len(rc.ids)+1)
	for i, id := range rc.ids {
		v, has := rc.col.Str[i], rc.col.Has[i]
		switch x := rng.Float64(); {
		case x < share:
			v, has = "new-"+fresh[i], true
		case x < share*1.1:
			has = false
		}
		if has {
			out.col.Str[i], out.col.Has[i] = v, true
			out.ref[id] = v
		}
	}
	return out
}

// TestDictDeltaReference makes value-space deltas between random string
// columns and their churned versions, and checks that every version of a
// chain rebuilds exactly, with byte deltas mixed in, against the encoded
// columns themselves; and that cutting or flipping a delta is an error.
func TestDictDeltaReference(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	made := 0
	for round := 0; round < 8; round++ {
		rc := randomColumn(rng)
		// Deltas are of stored values: chunked ones start with a frame.
		shift := uint8(minChunkShift + rng.IntN(8))
		stored := func(b []byte) []byte { _, v := frameBlob(b, shift); return v }
		versions := [][]byte{stored(rc.encode(t))}
		for range 1 + rng.IntN(5) {
			rc = churnColumn(rng, rc, []float64{0.001, 0.01, 0.1}[rng.IntN(3)])
			versions = append(versions, stored(rc.encode(t)))
		}
		// chain[i] rebuilds versions[i] from versions[i+1]; the newest is whole.
		var chain [][]byte
		for i := 0; i+1 < len(versions); i++ {
			base, target := versions[i+1], versions[i]
			d := makeDictDelta(base, target, len(target))
			if d == nil || rng.IntN(3) == 0 {
				d = makeDelta(base, target, len(target)+64)
			} else {
				made++
				got, err := applyDelta(base, d)
				require.NoError(t, err, "round %d", round)
				require.True(t, bytes.Equal(got, target), "round %d: one value-space delta", round)
			}
			require.NotNil(t, d)
			chain = append(chain, d)
		}
		newest := versions[len(versions)-1]
		for i := range chain {
			got, err := applyChain(newest, chain[i:])
			require.NoError(t, err, "round %d version %d", round, i)
			require.True(t, bytes.Equal(got, versions[i]), "round %d version %d", round, i)
		}
		for _, d := range chain {
			if !isDictDelta(d) {
				continue
			}
			for range 20 {
				bad := append([]byte(nil), d...)
				if rng.IntN(2) == 0 {
					bad = bad[:rng.IntN(len(bad))]
				} else {
					bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
				}
				// No panic, and any error is ErrCorrupt; bytes rebuilt
				// wrong are caught by the blob's hash (rebuildDelta).
				if _, err := applyChain(newest, [][]byte{bad}); err != nil {
					require.True(t, errors.Is(err, ErrCorrupt), "%v", err)
				}
			}
		}
	}
	require.Positive(t, made, "no value-space delta was made")
}

// TestDictDeltaValuesRoundTrip checks fromValues(toValues(b)) == b for
// random dictionary blobs, and that a value space with a value missing
// from the dictionary is an error.
func TestDictDeltaValuesRoundTrip(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 4))
	for round := 0; round < 20; round++ {
		b := randomColumn(rng).encode(t)
		if rng.IntN(2) == 0 {
			_, b = frameBlob(b, uint8(minChunkShift+rng.IntN(4)))
		}
		tv, err := toValues(b)
		_, data, _, _, uerr := unframe(b)
		if uerr != nil || data[0] != encDict {
			require.Error(t, err)
			continue
		}
		if p, perr := splitDict(data); perr != nil || p.width == 0 {
			require.Error(t, err)
			continue
		}
		require.NoError(t, err)
		back, err := fromValues(tv)
		require.NoError(t, err)
		require.True(t, bytes.Equal(back, b), "round %d", round)
	}
}

package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
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

// TestDictDeltaReference makes code-space deltas between random string
// columns and their churned versions, and checks that every version of a
// chain rebuilds exactly, with byte deltas mixed in, against the encoded
// columns themselves; and that cutting or flipping a delta is an error.
func TestDictDeltaReference(t *testing.T) {
	seed := uint64(rand.Int64())
	if s := os.Getenv("FLEETQ_DICTDELTA_SEED"); s != "" { // replay a failure
		n, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
		seed = n
	}
	t.Logf("seed %d (FLEETQ_DICTDELTA_SEED replays it)", seed)
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
				require.True(t, bytes.Equal(got, target), "round %d: one code-space delta", round)
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
	require.Positive(t, made, "no code-space delta was made")
}

// TestDictDeltaTranslation checks the merge of two random sorted
// dictionaries against a map of the target's values.
func TestDictDeltaTranslation(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 4))
	for round := 0; round < 50; round++ {
		all := randomStrings(rng, 1+rng.IntN(300))
		pick := func() strDict {
			var vs []string
			for _, v := range all {
				if rng.IntN(3) > 0 {
					vs = append(vs, v)
				}
			}
			slices.Sort(vs)
			vs = slices.Compact(vs)
			d := strDict{}
			for _, v := range vs {
				d.spans = append(d.spans, uint32(len(d.all)), uint32(len(d.all)+len(v)))
				d.all += v
			}
			return d
		}
		base, target := pick(), pick()
		idx := map[string]uint32{}
		for k := range target.len() {
			idx[target.at(uint32(k))] = uint32(k)
		}
		tr := translation(base, target)
		require.Len(t, tr, base.len())
		for k := range base.len() {
			want, ok := idx[base.at(uint32(k))]
			if !ok {
				want = noCode
			}
			require.Equal(t, want, tr[k], "round %d code %d", round, k)
		}
	}
}

// TestDictDeltaExceptions checks that exceptions set the codes they name
// and that a position out of order or past the hosts, a code beyond the
// dictionary, a cut list or bytes after it are ErrCorrupt.
func TestDictDeltaExceptions(t *testing.T) {
	enc := func(xs ...uint64) []byte {
		var b []byte
		for _, x := range xs {
			b = binary.AppendUvarint(b, x)
		}
		return b
	}
	codes := make([]uint32, 5)
	require.NoError(t, applyExceptions(codes, enc(2, 1, 7, 3, 9), 10))
	require.Equal(t, []uint32{0, 7, 0, 0, 9}, codes)
	for name, exc := range map[string][]byte{
		"repeated position": enc(2, 0, 1, 0, 2),
		"past the hosts":    enc(1, 5, 1),
		"gap past hosts":    enc(2, 3, 1, 2, 1),
		"code too big":      enc(1, 0, 10),
		"cut":               enc(2, 0, 1),
		"trailing":          enc(1, 0, 1, 0),
		"count too big":     enc(6, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
	} {
		err := applyExceptions(make([]uint32, 5), exc, 10)
		require.ErrorIs(t, err, ErrCorrupt, name)
	}
}

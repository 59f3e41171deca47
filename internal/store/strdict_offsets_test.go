package store

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
)

// legacyDict is encDict as fleetq wrote it before dictOffsets: the same
// layout without the size and offsets, whatever the number of values.
func legacyDict(c *Column, es []entry) []byte {
	values, codes := internStrings(c, es)
	return encodeDict(values, codes, es, false)
}

// framed is data framed in 1 KiB chunks, as fleetq stores a blob, for
// reads in place.
func framed(t *testing.T, data []byte) *blob {
	t.Helper()
	key, value := frameBlob(data, minChunkShift)
	b, ok := parseFrame(key, value, true)
	require.True(t, ok)
	return b
}

// inPlace reads host id from b as fleetq host does.
func inPlace(t *testing.T, b *blob, id uint32) (fleet.Value, bool, error) {
	t.Helper()
	v, has, known, err := blobHostValue(b, id)
	require.True(t, known)
	return v, has, err
}

// TestDictOffsetsReference: random string columns written with offsets
// (and in the older layout without) read, whole and one host in place,
// exactly what the naive reference holds.
func TestDictOffsetsReference(t *testing.T) {
	rng := blobSeed(t)
	for round := range 12 {
		rc := randomColumn(rng)
		es := presentEntries(rc.col, rc.ids, idOrder(rc.ids))
		values := rc.sortedValues()
		data := rc.encode(t)
		require.Equal(t, len(values) > dictGroup, data[1]&dictOffsets != 0, "round %d: %d values", round, len(values))
		for _, blob := range [][]byte{data, legacyDict(rc.col, es)} {
			a, err := decodeAttr(blob)
			require.NoError(t, err, "round %d", round)
			checkAgainstRef(t, rng, a, rc)
			fb := framed(t, blob)
			for range 400 {
				id := uint32(rng.IntN(int(rc.maxID) + 2))
				v, ok, err := inPlace(t, fb, id)
				want, has := rc.ref[id]
				require.NoError(t, err, "round %d host %d", round, id)
				if ok != has || ok && v.Str != want {
					t.Fatalf("round %d host %d: in place %q %v, want %q %v", round, id, v.Str, ok, want, has)
				}
			}
		}
	}
}

// offsetLayout finds, in a blob written with offsets, where the size
// starts and ends and where the offsets start.
func offsetLayout(t *testing.T, data []byte) (sizeAt, tableAt int, n uint64) {
	t.Helper()
	require.NotZero(t, data[1]&dictOffsets)
	pos := 2
	l, k := binary.Uvarint(data[pos:])
	pos += k + int(l)
	n, k = binary.Uvarint(data[pos:])
	pos += k
	sizeAt = pos
	_, k = binary.Uvarint(data[pos:])
	return sizeAt, pos + k, n
}

// craftedDict is a column of distinct values per host (as serial or ip)
// and its reference, for the damage cases.
func craftedDict(rng *rand.Rand) (refColumn, []byte) {
	for {
		rc := randomColumn(rng)
		if len(rc.sortedValues()) > 3*dictGroup {
			b, err := encodeColumn(rc.col, rc.ids, idOrder(rc.ids))
			if err != nil {
				panic(err)
			}
			return rc, b
		}
	}
}

// TestDictOffsetsDamage: an offset or a size that is not where the writer
// put it (as a forger who recomputed the blob's hash could write it) is
// ErrCorrupt for the whole decode and for every in-place read that uses
// it, and never a wrong value for any read. So is every truncation.
func TestDictOffsetsDamage(t *testing.T) {
	rng := blobSeed(t)
	for round := range 4 {
		rc, data := craftedDict(rng)
		sizeAt, tableAt, n := offsetLayout(t, data)
		_, err := decodeAttr(data)
		require.NoError(t, err)
		code := map[string]uint64{}
		for k, v := range rc.sortedValues() {
			code[v] = uint64(k)
		}
		groups := dictGroups(n)
		for range 16 {
			g := uint64(rng.IntN(int(groups)))
			bad := append([]byte(nil), data...)
			at := tableAt + 4*int(g)
			old := binary.LittleEndian.Uint32(bad[at:])
			shift := []uint32{1, ^uint32(0), uint32(1 + rng.IntN(40)), rng.Uint32()}[rng.IntN(4)]
			binary.LittleEndian.PutUint32(bad[at:], old+shift)
			_, err := decodeAttr(bad)
			require.ErrorIs(t, err, ErrCorrupt, "round %d: offset %d moved by %d", round, g, int32(shift))
			checkCraftedReads(t, rc, bad, func(k uint64) bool { return k/dictGroup == g || k/dictGroup+1 == g }, code,
				"round %d: offset %d moved by %d", round, g, int32(shift))
		}
		for _, delta := range []int64{-1, 1, -int64(1 + rng.IntN(30)), int64(1 + rng.IntN(30))} {
			size, k := binary.Uvarint(data[sizeAt:])
			bad := binary.AppendUvarint(append([]byte(nil), data[:sizeAt]...), uint64(int64(size)+delta))
			bad = append(bad, data[sizeAt+k:]...)
			_, err := decodeAttr(bad)
			require.ErrorIs(t, err, ErrCorrupt, "round %d: size moved by %d", round, delta)
			checkCraftedReads(t, rc, bad, func(uint64) bool { return true }, code, "round %d: size moved by %d", round, delta)
		}
		checkForgedGroups(t, rng, rc, data, tableAt, n, code, round)
		checkPaddedValues(t, rng, rc, data, sizeAt, tableAt, n, code, round)
		for cut := 0; cut < len(data); cut += 1 + len(data)/300 {
			_, err := decodeAttr(data[:cut])
			require.ErrorIs(t, err, ErrCorrupt, "cut at %d of %d", cut, len(data))
		}
	}
}

// checkCraftedReads reads every host of a crafted blob in place: a host
// whose code must meets the damage is ErrCorrupt; any other is ErrCorrupt
// or exactly the reference's value, never another.
func checkCraftedReads(t *testing.T, rc refColumn, bad []byte, must func(code uint64) bool, code map[string]uint64, msg string, args ...any) {
	t.Helper()
	fb := framed(t, bad)
	for i, id := range rc.ids {
		want, has := rc.ref[id]
		if !(has && must(code[want])) && i%(1+len(rc.ids)/1000) != 0 {
			continue // every host the damage must fail, and 1,000 others
		}
		v, ok, err := inPlace(t, fb, id)
		if err != nil {
			require.True(t, errors.Is(err, ErrCorrupt), append([]any{msg + ": host %d: %v"}, append(args, id, err)...)...)
			continue
		}
		if has && must(code[want]) {
			t.Fatalf(msg+": host %d (code %d) read %q, want ErrCorrupt", append(args, id, code[want], v.Str)...)
		}
		if ok != has || v.Str != want {
			t.Fatalf(msg+": host %d read %q %v, want %q %v", append(args, id, v.Str, ok, want, has)...)
		}
	}
}

// valueStart is where value k of data starts among its values.
func valueStart(data []byte, tableAt int, n, k uint64) uint64 {
	pos := uint64(tableAt) + 4*dictGroups(n)
	start := pos
	for range k {
		l, w := binary.Uvarint(data[pos:])
		pos += uint64(w) + l
	}
	return pos - start
}

// checkForgedGroups moves offsets g and g+1 each to the next value, so
// group g alone still walks 64 increasing values from one offset to the
// next, one value late: only the group before finds it.
func checkForgedGroups(t *testing.T, rng *rand.Rand, rc refColumn, data []byte, tableAt int, n uint64, code map[string]uint64, round int) {
	t.Helper()
	groups := dictGroups(n)
	g := 1 + uint64(rng.IntN(int(groups)-2))
	bad := append([]byte(nil), data...)
	for _, h := range []uint64{g, g + 1} {
		binary.LittleEndian.PutUint32(bad[tableAt+4*int(h):], uint32(valueStart(data, tableAt, n, h*dictGroup+1)))
	}
	_, err := decodeAttr(bad)
	require.ErrorIs(t, err, ErrCorrupt, "round %d: offsets %d, %d forged", round, g, g+1)
	checkCraftedReads(t, rc, bad, func(k uint64) bool { return k/dictGroup+1 >= g && k/dictGroup <= g+1 }, code,
		"round %d: offsets %d, %d forged", round, g, g+1)
}

// checkPaddedValues inserts a byte after the last value and counts it in
// the size: the codes are where the size says, every offset is right, and
// only the walk of the last group finds the byte.
func checkPaddedValues(t *testing.T, rng *rand.Rand, rc refColumn, data []byte, sizeAt, tableAt int, n uint64, code map[string]uint64, round int) {
	t.Helper()
	size, k := binary.Uvarint(data[sizeAt:])
	end := tableAt + int(4*dictGroups(n)+size)
	bad := binary.AppendUvarint(append([]byte(nil), data[:sizeAt]...), size+1)
	bad = append(bad, data[sizeAt+k:end]...)
	bad = append(bad, 0)
	bad = append(bad, data[end:]...)
	_, err := decodeAttr(bad)
	require.ErrorIs(t, err, ErrCorrupt, "round %d: values padded", round)
	checkCraftedReads(t, rc, bad, func(uint64) bool { return true }, code, "round %d: values padded", round)
}

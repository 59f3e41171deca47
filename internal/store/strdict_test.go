package store

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
)

var dictSeed = flag.Uint64("store.seed", 0, "seed for TestDictReference (0: from the clock, printed)")

// refColumn is a random string column and its naive reference: the value
// of every present host by global id.
type refColumn struct {
	col   *Column
	ids   []uint32 // global id of each source host, not in order
	ref   map[uint32]string
	maxID uint32
}

// randomColumn draws a column of 1..60000 hosts with 1..50000 distinct
// values (log-uniform, so both sides of maxIndexValues are common) and a
// random share of hosts without a value.
func randomColumn(rng *rand.Rand) refColumn {
	n := 1 + rng.IntN(60000)
	card := 1 + int(math.Exp(rng.Float64()*math.Log(50000)))
	pool := randomStrings(rng, card)
	ids := rng.Perm(n + rng.IntN(1000))[:n]
	rc := refColumn{col: NewColumn("x", fleet.String, n), ref: map[uint32]string{}}
	presentShare := []float64{0, 0.05, 0.5, 0.9, 1}[rng.IntN(5)]
	for i := range n {
		id := uint32(ids[i])
		rc.ids = append(rc.ids, id)
		rc.maxID = max(rc.maxID, id)
		if rng.Float64() < presentShare {
			v := pool[rng.IntN(len(pool))]
			rc.col.Str[i], rc.col.Has[i] = v, true
			rc.ref[id] = v
		}
	}
	return rc
}

// randomStrings returns n distinct strings of 0..12 bytes, with the
// empty string, NUL bytes and multi-byte runes among them.
func randomStrings(rng *rand.Rand, n int) []string {
	const alphabet = "ab-Z09.\x00é"
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		b := make([]byte, rng.IntN(13))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		if s := string(b); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func (rc refColumn) encode(t *testing.T) []byte {
	es := presentEntries(rc.col, rc.ids, idOrder(rc.ids))
	b, err := encodeColumn(rc.col, rc.ids, idOrder(rc.ids))
	require.NoError(t, err)
	require.Len(t, es, len(rc.ref))
	return b
}

// sortedValues are the distinct values of the reference, in byte order.
func (rc refColumn) sortedValues() []string {
	seen := map[string]bool{}
	for _, v := range rc.ref {
		seen[v] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

func (rc refColumn) hostsWhere(keep func(string) bool) *roaring.Bitmap {
	out := roaring.New()
	for id, v := range rc.ref {
		if keep(v) {
			out.Add(id)
		}
	}
	return out
}

// TestDictReference encodes random string columns and compares every
// method of the decoded attribute, dictionary and older encodings alike,
// with the naive reference.
func TestDictReference(t *testing.T) {
	seed := *dictSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -store.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for round := range 25 {
		rc := randomColumn(rng)
		data := rc.encode(t)
		a, err := decodeAttr(data)
		require.NoError(t, err, "round %d", round)
		values := rc.sortedValues()
		wantIndex := len(values) <= maxIndexValues
		_, isIndex := a.(dictIndex)
		assert.Equal(t, wantIndex, isIndex, "round %d: %d values", round, len(values))
		checkAgainstRef(t, rng, a, rc)
		checkCodedAgainstRef(t, rng, a.(fleet.Coded), rc, values)
		require.NoError(t, checkAttrBody(a))
		legacy := legacyColumn
		if wantIndex {
			legacy = legacyIndex // older fleetq kept an index only up to maxIndexValues
		}
		{
			old, err := decodeAttr(legacy(rc.col, presentEntries(rc.col, rc.ids, idOrder(rc.ids))))
			require.NoError(t, err)
			checkAgainstRef(t, rng, old, rc)
		}
		if t.Failed() {
			t.Fatalf("round %d failed: %d hosts, %d values", round, len(rc.ids), len(values))
		}
	}
}

// checkAgainstRef compares the fleet.Attr methods with the reference.
func checkAgainstRef(t *testing.T, rng *rand.Rand, a fleet.Attr, rc refColumn) {
	t.Helper()
	assert.Equal(t, fleet.String, a.Type())
	assert.False(t, a.Sampled())
	assert.True(t, a.FilterSampleTime(func(int64) bool { return true }).IsEmpty())
	assert.True(t, a.Present().Equals(rc.hostsWhere(func(string) bool { return true })), "present")
	_, slow := a.(*indexAttr) // a value lookup walks every value: sample ids
	for id := uint32(0); id <= rc.maxID+1; id++ {
		if slow && rng.IntN(20) != 0 {
			continue
		}
		v, ok := a.Value(id)
		want, has := rc.ref[id]
		if ok != has || ok && (v.Type != fleet.String || v.Str != want) {
			t.Errorf("Value(%d) = %v, %v; want %q, %v", id, v, ok, want, has)
			return
		}
	}
	values := rc.sortedValues()
	byValue := map[string][]uint32{}
	for id, v := range rc.ref {
		byValue[v] = append(byValue[v], id)
	}
	gs := a.Groups()
	require.Len(t, gs, len(values), "groups")
	for i, g := range gs {
		assert.Equal(t, values[i], g.Value.Str)
		if !g.Hosts.Equals(roaring.BitmapOf(byValue[values[i]]...)) {
			t.Errorf("group %q: hosts differ", values[i])
			return
		}
	}
	keep := randomKeep(rng)
	got := a.Filter(func(v fleet.Value) bool { return keep(v.Str) })
	assert.True(t, got.Equals(rc.hostsWhere(keep)), "filter")
	counts := map[string]uint64{}
	for _, c := range valueCounts(a) {
		counts[c.Value.Str] += c.Hosts
	}
	want := map[string]uint64{}
	for _, v := range rc.ref {
		want[v]++
	}
	assert.Equal(t, want, counts, "valueCounts")
}

// randomKeep is a predicate keeping none, all, or a pseudo-random part of
// the values.
func randomKeep(rng *rand.Rand) func(string) bool {
	switch salt := rng.Uint64(); salt % 4 {
	case 0:
		return func(string) bool { return false }
	case 1:
		return func(string) bool { return true }
	default:
		return func(v string) bool {
			h := salt
			for i := range len(v) {
				h = (h ^ uint64(v[i])) * 1099511628211
			}
			return h%3 == 0
		}
	}
}

// checkCodedAgainstRef compares the fleet.Coded methods with the reference.
func checkCodedAgainstRef(t *testing.T, rng *rand.Rand, a fleet.Coded, rc refColumn, values []string) {
	t.Helper()
	dict := make([]string, a.DictLen())
	for k := range dict {
		dict[k] = a.DictValue(uint32(k))
	}
	assert.True(t, slices.Equal(values, dict), "dictionary")
	if l, ok := a.(fleet.ValueLister); ok {
		assert.True(t, slices.Equal(values, l.Values()), "values")
	}
	code := map[string]uint32{}
	for i, v := range values {
		code[v] = uint32(i)
	}
	for _, share := range []float64{0, 0.001, 0.05, 0.5, 1} {
		hosts := roaring.New()
		for id := uint32(0); id <= rc.maxID+3; id++ {
			if rng.Float64() < share {
				hosts.Add(id)
			}
		}
		var want []uint32
		for _, id := range hosts.ToArray() {
			if v, ok := rc.ref[id]; ok {
				want = append(want, code[v])
			} else {
				want = append(want, fleet.NoCode)
			}
		}
		got := a.Codes(hosts)
		assert.Equal(t, len(want), len(got), "codes of %.3f", share)
		assert.True(t, slices.Equal(want, got), "codes of %.3f", share)
	}
	keep := make([]bool, len(values))
	for i := range keep {
		keep[i] = rng.IntN(2) == 0
	}
	assert.True(t, a.HostsWith(keep).Equals(rc.hostsWhere(func(v string) bool { return keep[code[v]] })), "hosts with")
}

// dictBlob builds an encDict blob by hand for the damage cases.
func dictBlob(flags byte, present *roaring.Bitmap, dict []string, width int, codes []uint32, extra []byte) []byte {
	b := appendBitmap([]byte{encDict, flags}, present)
	b = binary.AppendUvarint(b, uint64(len(dict)))
	for _, v := range dict {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	b = append(b, byte(width))
	for _, k := range codes {
		b = appendCode(b, k, width)
	}
	return append(b, extra...)
}

// TestDictDamage: every broken length, code or order is ErrCorrupt, and
// so is every truncation of a good blob.
func TestDictDamage(t *testing.T) {
	p := roaring.BitmapOf(1, 5, 9)
	good := dictBlob(0, p, []string{"a", "b"}, 1, []uint32{0, 1, 1}, nil)
	_, err := decodeAttr(good)
	require.NoError(t, err)
	for name, blob := range map[string][]byte{
		"code beyond dictionary": dictBlob(0, p, []string{"a", "b"}, 1, []uint32{0, 2, 1}, nil),
		"no values":              dictBlob(0, p, nil, 0, nil, nil),
		"unsorted":               dictBlob(0, p, []string{"b", "a"}, 1, []uint32{0, 1, 1}, nil),
		"duplicate value":        dictBlob(0, p, []string{"a", "a"}, 1, []uint32{0, 1, 1}, nil),
		"wrong width":            dictBlob(0, p, []string{"a", "b"}, 2, []uint32{0, 1, 1}, nil),
		"trailing bytes":         dictBlob(0, p, []string{"a", "b"}, 1, []uint32{0, 1, 1}, []byte{0}),
		"unknown flags":          dictBlob(4, p, []string{"a", "b"}, 1, []uint32{0, 1, 1}, nil),
		"bitmap count":           dictBlob(1, p, []string{"a", "b"}, 1, []uint32{0, 1, 1}, appendBitmap(appendBitmap(nil, roaring.BitmapOf(1, 5)), roaring.BitmapOf(5, 9))),
		"code beyond, 2 bytes":   dictBlob(0, roaring.BitmapOf(1, 2), names(300), 2, []uint32{299, 300}, nil),
		"code beyond, 3 bytes":   dictBlob(0, roaring.BitmapOf(1, 2), names(70000), 3, []uint32{70000, 1}, nil),
		"missing bitmaps":        dictBlob(1, p, []string{"a", "b"}, 1, []uint32{0, 1, 1}, nil),
		"huge dictionary":        append(appendBitmap([]byte{encDict, 0}, p), 0xff, 0xff, 0xff, 0x0f),
	} {
		_, err := decodeAttr(blob)
		assert.True(t, errors.Is(err, ErrCorrupt), "%s: %v", name, err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		rc := randomColumn(rng)
		data := rc.encode(t)
		for cut := 0; cut < len(data); cut += 1 + len(data)/500 {
			_, err := decodeAttr(data[:cut])
			assert.True(t, errors.Is(err, ErrCorrupt), "cut at %d of %d: %v", cut, len(data), err)
		}
	}
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("v%06d", i)
	}
	return out
}

// TestDictCheckFindsWrongBitmap: a stored bitmap holding the right number
// of hosts but the wrong ones is caught by the check, not by decoding.
func TestDictCheckFindsWrongBitmap(t *testing.T) {
	p := roaring.BitmapOf(1, 5, 9)
	blob := dictBlob(1, p, []string{"a", "b"}, 1, []uint32{0, 1, 1},
		appendBitmap(appendBitmap(nil, roaring.BitmapOf(5)), roaring.BitmapOf(1, 9)))
	a, err := decodeAttr(blob)
	require.NoError(t, err)
	assert.ErrorContains(t, checkAttrBody(a), "does not match the codes")
}

// legacyIndex and legacyColumn are the string encodings of older fleetq
// (encIndex, encColumn), kept to check that their blobs still read.
func legacyIndex(c *Column, es []entry) []byte {
	byValue := map[string]*roaring.Bitmap{}
	for _, e := range es {
		v := c.Str[e.row]
		if byValue[v] == nil {
			byValue[v] = roaring.New()
		}
		byValue[v].Add(e.id)
	}
	values := slices.Collect(maps.Keys(byValue))
	sort.Strings(values)
	b := binary.AppendUvarint([]byte{encIndex}, uint64(len(values)))
	for _, v := range values {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
		b = appendBitmap(b, byValue[v])
	}
	return b
}

func legacyColumn(c *Column, es []entry) []byte {
	b := appendBitmap([]byte{encColumn}, presence(es))
	for _, e := range es {
		v := c.Str[e.row]
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

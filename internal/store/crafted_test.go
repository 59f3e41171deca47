// Tests found by review: crafted blobs and records (whose hashes or
// checksums a forger recomputed) are damage, never a panic or a wrong answer.

package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
)

// long dictionary values (some longer than a 1 KiB chunk, lengths with
// multi-byte varints) and the wider code widths, read in place vs decoded.
func TestDictLongValuesInPlace(t *testing.T) {
	r := blobSeed(t)
	for _, card := range []int{1, 2, 300, 70_000} {
		n := max(card, 3000)
		ids := make([]uint32, n)
		for i, id := range r.Perm(2 * n)[:n] {
			ids[i] = uint32(id)
		}
		order := idOrder(ids)
		col := NewColumn("s", fleet.String, n)
		for i := 0; i < n; i++ {
			if r.IntN(10) == 0 {
				continue
			}
			col.Has[i] = true
			v := i % card
			pad := 0
			if card < 1000 {
				pad = r.IntN(3000)
			}
			col.Str[i] = fmt.Sprintf("v%07d", v) + strings.Repeat("x", pad)
		}
		if card < 1000 { // same value must have the same string
			for i := 0; i < n; i++ {
				if col.Has[i] {
					col.Str[i] = fmt.Sprintf("v%07d", i%card) + strings.Repeat("x", (i%card)*37%3000)
				}
			}
		}
		data, err := encodeColumn(col, ids, order)
		require.NoError(t, err)
		require.Equal(t, byte(encDict), data[0])
		key, value := frameBlob(data, minChunkShift)
		ref, err := decodeAttr(data)
		require.NoError(t, err)
		b, ok := parseFrame(key, value, true)
		require.True(t, ok)
		for i := 0; i < 3000; i++ {
			id := uint32(r.IntN(2*n + 3))
			want, wok := ref.Value(id)
			got, gok, known, err := blobHostValue(b, id)
			if err != nil || !known || wok != gok || want != got {
				t.Fatalf("card %d host %d: in place %q %v %v %v, decoded %q %v", card, id, got.Str, gok, known, err, want.Str, wok)
			}
		}
	}
}

// a bool blob whose first bitmap's length prefix is 2^64-10: the whole
// decode says ErrCorrupt; the in-place read's r.off += n wraps around.
func TestCraftedInPlaceBoolLengthWraps(t *testing.T) {
	tr, fa := roaring.BitmapOf(1, 2, 3), roaring.BitmapOf(7, 8)
	var bt, bf bytes.Buffer
	_, _ = tr.WriteTo(&bt)
	_, _ = fa.WriteTo(&bf)
	data := []byte{encBool}
	data = binary.AppendUvarint(data, ^uint64(0)-9) // 10-byte varint: off wraps to 1
	data = append(data, bt.Bytes()...)
	data = binary.AppendUvarint(data, uint64(bf.Len()))
	data = append(data, bf.Bytes()...)
	_, err := decodeAttr(data)
	require.ErrorIs(t, err, ErrCorrupt, "whole decode")
	key, value := frameBlob(data, blobChunkShift)
	b, ok := parseFrame(key, value, true)
	require.True(t, ok)
	val, ok, known, err := blobHostValue(b, 7)
	require.ErrorIs(t, err, ErrCorrupt, "in place: got %v %v known=%v", val, ok, known)
}

// TestCraftedDeniedSetRefused: an audit entry's denied set is checked by
// a CRC only, so a crafted bitmap must not pass the assigned-ids check.
func TestCraftedDeniedSetRefused(t *testing.T) {
	b := binary.LittleEndian.AppendUint32(nil, 12346)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint32(b, 16)
	for _, v := range []uint16{5, 3, 3} {
		b = binary.LittleEndian.AppendUint16(b, v)
	}
	_, err := readBitmap(b)
	require.ErrorIs(t, err, ErrCorrupt, "an unsorted array container is refused")
	// a denied set whose real max id (5) is past a 4-name dictionary
	_, err = denialGroups([]DeniedSet{{Rule: "r", Hosts: b}}, 4)
	require.ErrorIs(t, err, ErrCorrupt, "ids 5 >= 4 names accepted")
}

// random mutations of attribute encodings (as a forger with a valid hash
// could write them): decode, in-place read and every method must not panic.
func TestMutatedAttrsNeverPanic(t *testing.T) {
	r := blobSeed(t)
	const n = 3000
	ids := make([]uint32, n)
	for i, id := range r.Perm(2 * n)[:n] {
		ids[i] = uint32(id)
	}
	order := idOrder(ids)
	cols := hostValueColumns(r, n)
	for iter := 0; iter < 3000; iter++ {
		col := cols[iter%len(cols)]
		data, err := encodeColumn(col, ids, order)
		require.NoError(t, err)
		data = append([]byte(nil), data...)
		for k := 0; k <= r.IntN(3) && len(data) > 1; k++ {
			switch r.IntN(3) {
			case 0:
				data[r.IntN(len(data))] ^= byte(1 + r.IntN(255))
			case 1:
				data = data[:1+r.IntN(len(data)-1)]
			case 2:
				i := 1 + r.IntN(len(data)-1)
				data = append(data[:i], append([]byte{byte(r.Uint32())}, data[i:]...)...)
			}
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("iter %d col %s: panic %v", iter, col.Name, p)
				}
			}()
			b := &blob{data: data}
			for j := 0; j < 20; j++ {
				_, _, _, _ = blobHostValue(b, uint32(r.IntN(2*n)))
			}
			a, err := decodeAttr(data)
			if err != nil {
				return
			}
			for j := 0; j < 20; j++ {
				a.Value(uint32(r.IntN(2 * n)))
			}
			a.Groups()
			a.Filter(func(fleet.Value) bool { return r.IntN(2) == 0 })
			if d, ok := asDict(a); ok {
				d.Codes(roaring.BitmapOf(1, 5, 77, 900))
				d.Codes(a.Present())
				d.countCodes()
			}
			_ = checkAttrBody(a)
		}()
	}
}

// A name length above 2^63 must not wrap to a negative int and slice out
// of range: the chunk readers stop at it (the chunk's hash was forged).
func TestHugeNameLengthStopsTheChunkReaders(t *testing.T) {
	chunk := binary.AppendUvarint(nil, 3)
	chunk = append(chunk, "abc"...)
	chunk = binary.AppendUvarint(chunk, 1<<63+5)
	chunk = append(chunk, "xyz"...)
	require.Equal(t, []string{"abc"}, decodeChunk(chunk))
	require.False(t, legacyChunk(chunk))
}

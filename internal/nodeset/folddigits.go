package nodeset

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// A ref stands for a set of digit strings (one numeric field of an item):
//
//   - a small code, value<<6 | length, for one run of fewer than 64 digits
//     whose value is below 10^16: small codes compare as compareDigits
//     orders their strings, and are equal exactly when the strings are;
//   - a huge code, hugeBit | id, for any other run, its string kept in the
//     digitTable;
//   - setBit | id, for a set of two or more codes in the setTable.
const (
	hugeBit = 1 << 63
	setBit  = 1 << 62

	smallDigits = 16 // significant digits a small code holds
	smallLen    = 64 // runs at least this long are huge
	maxUint64   = math.MaxUint64
)

// digitTable holds the strings of the huge codes.
type digitTable struct {
	ids  map[string]uint64
	strs []string
}

// smallCode is the small code of a run of digits, if it has one.
func smallCode(d []byte) (uint64, bool) {
	if len(d) > smallDigits {
		return smallCodeLong(d)
	}
	var v uint64
	for _, c := range d {
		v = v*10 + uint64(c-'0')
	}
	return v<<6 | uint64(len(d)), true
}

// smallCodeLong is smallCode of a run longer than smallDigits: small
// only with enough leading zeros.
func smallCodeLong(d []byte) (uint64, bool) {
	if len(d) >= smallLen {
		return 0, false
	}
	z := 0
	for z < len(d) && d[z] == '0' {
		z++
	}
	if len(d)-z > smallDigits {
		return 0, false
	}
	var v uint64
	for _, c := range d[z:] {
		v = v*10 + uint64(c-'0')
	}
	return v<<6 | uint64(len(d)), true
}

// code is the code of a run of digits.
func (t *digitTable) code(d []byte) uint64 {
	if c, ok := smallCode(d); ok {
		return c
	}
	if id, ok := t.ids[string(d)]; ok {
		return hugeBit | id
	}
	if t.ids == nil {
		t.ids = map[string]uint64{}
	}
	id := uint64(len(t.strs))
	t.ids[string(d)] = id
	t.strs = append(t.strs, string(d))
	return hugeBit | id
}

// digits is a code's value (ok false when it does not fit in a uint64)
// and its string's length.
func (t *digitTable) digits(code uint64) (v uint64, ok bool, n int) {
	if code&hugeBit == 0 {
		return code >> 6, true, int(code & (smallLen - 1))
	}
	s := t.strs[code&^hugeBit]
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil, len(s)
}

// appendDigits writes a code's string.
func (t *digitTable) appendDigits(b []byte, code uint64) []byte {
	if code&hugeBit != 0 {
		return append(b, t.strs[code&^hugeBit]...)
	}
	v, n := code>>6, int(code&(smallLen-1))
	for range n - numDigits(v) {
		b = append(b, '0')
	}
	return strconv.AppendUint(b, v, 10)
}

func (t *digitTable) str(code uint64) string { return string(t.appendDigits(nil, code)) }

// compare orders codes as compareDigits orders their strings.
func (t *digitTable) compare(a, b uint64) int {
	if (a|b)&hugeBit == 0 {
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	}
	return compareDigits(t.str(a), t.str(b))
}

// numDigits is the length of v in decimal (1 for 0).
func numDigits(v uint64) int {
	n := 1
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// compareDigits orders digit strings by value, then shorter (less padded)
// first.
func compareDigits(a, b string) int {
	ta, tb := strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if c := len(ta) - len(tb); c != 0 {
		return c
	}
	if c := strings.Compare(ta, tb); c != 0 {
		return c
	}
	return len(a) - len(b)
}

// setTable interns sets of two or more codes, sorted and without repeats,
// so that equal sets have one ref.
type setTable struct {
	sets [][]uint64
	head map[uint64]uint32 // hash → the last set with it, +1
	next []uint32          // set i → the previous set with its hash, +1
}

// ref is the ref of codes (sorted, no repeats, at least one), which ref
// copies if it keeps them.
func (t *setTable) ref(codes []uint64) uint64 { return t.intern(codes, false) }

// own is ref for codes the table may keep as they are.
func (t *setTable) own(codes []uint64) uint64 { return t.intern(codes, true) }

func (t *setTable) intern(codes []uint64, owned bool) uint64 {
	if len(codes) == 1 {
		return codes[0]
	}
	h := hashCodes(codes)
	for id := t.head[h]; id != 0; id = t.next[id-1] {
		if slices.Equal(t.sets[id-1], codes) {
			return setBit | uint64(id-1)
		}
	}
	if t.head == nil {
		t.head = map[uint64]uint32{}
	}
	if !owned {
		codes = slices.Clone(codes)
	}
	id := uint32(len(t.sets))
	t.sets = append(t.sets, codes)
	t.next = append(t.next, t.head[h])
	t.head[h] = id + 1
	return setBit | uint64(id)
}

// get is the codes of a set ref.
func (t *setTable) get(ref uint64) []uint64 { return t.sets[uint32(ref&^setBit)] }

// size is how many codes ref stands for.
func (t *setTable) size(ref uint64) int {
	if ref&setBit == 0 {
		return 1
	}
	return len(t.get(ref))
}

// appendMembers appends the codes ref stands for.
func (t *setTable) appendMembers(buf []uint64, ref uint64) []uint64 {
	if ref&setBit == 0 {
		return append(buf, ref)
	}
	return append(buf, t.get(ref)...)
}

// hashCodes is an FNV-1a style hash of codes, word by word.
func hashCodes(codes []uint64) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range codes {
		h ^= c
		h *= 1099511628211
		h ^= h >> 29
	}
	return h
}

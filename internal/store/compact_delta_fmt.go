package store

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
)

// The delta format (docs/storage.md, "Old versions"). A delta starts with
// a zero byte, which the legacy format never does (its first byte starts
// the target's length, and no delta rebuilds an empty blob), then a format
// byte:
//
//	0x00 0x01 uvarint(target length) body
//	0x00 0x02 uvarint(target length) uvarint(body length) deflate(body)
//
// body is uvarint(length of ops), ops, then the literal bytes. ops is a
// list of steps, each uvarint(k<<1|x) for the next k literal bytes, then
// uvarint(n) and, when n > 0, varint(r): copy n bytes from base at p+r,
// where p is the base position after the previous copy (0 at first) plus
// k when x is set. x marks a literal that replaces base bytes in place (the
// copy after it goes on at the same base position): its bytes are stored
// XORed with the base bytes at p, so a changed bit is a byte with one bit
// set, which deflate packs in a few bits. The step with n = 0 is the last.
//
// Nearly every copy goes on where the previous one left off, so r is a
// byte, and the format stays generic: it knows nothing of what the blob
// encodes.
const (
	deltaRaw     = 0x01
	deltaDeflate = 0x02
)

// encodeDelta writes ops (matchOps) in the current format, deflated when
// that is smaller.
func encodeDelta(base, target []byte, ops []copyOp) []byte {
	var code, lits []byte
	p := 0
	for _, op := range ops {
		k := len(op.lit)
		x := op.n > 0 && op.off == p+k && p+k <= len(base)
		if x {
			code = binary.AppendUvarint(code, uint64(k)<<1|1)
			for i, c := range op.lit {
				lits = append(lits, c^base[p+i])
			}
			p += k
		} else {
			code = binary.AppendUvarint(code, uint64(k)<<1)
			lits = append(lits, op.lit...)
		}
		code = binary.AppendUvarint(code, uint64(op.n))
		if op.n > 0 {
			code = binary.AppendVarint(code, int64(op.off-p))
			p = op.off + op.n
		}
	}
	body := binary.AppendUvarint(make([]byte, 0, 10+len(code)+len(lits)), uint64(len(code)))
	body = append(append(body, code...), lits...)
	head := binary.AppendUvarint([]byte{0, deltaRaw}, uint64(len(target)))
	raw := append(head, body...)
	if z := deflateBody(body); z != nil {
		d := binary.AppendUvarint(binary.AppendUvarint([]byte{0, deltaDeflate}, uint64(len(target))), uint64(len(body)))
		if d = append(d, z...); len(d) < len(raw) {
			return d
		}
	}
	return raw
}

func deflateBody(body []byte) []byte {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return nil
	}
	if _, err := w.Write(body); err != nil {
		return nil
	}
	if err := w.Close(); err != nil {
		return nil
	}
	return buf.Bytes()
}

// applyDelta rebuilds the target of d from base.
func applyDelta(base, d []byte) ([]byte, error) {
	return applyDeltaTo(nil, base, d, nil)
}

// applyDeltaTo rebuilds the target of d from base into dst's storage,
// which must not overlap base; scratch, when not nil, holds a deflated
// body between calls.
func applyDeltaTo(dst, base, d []byte, scratch *[]byte) ([]byte, error) {
	if len(d) == 0 || d[0] != 0 {
		return applyLegacyDelta(dst, base, d)
	}
	if len(d) < 2 {
		return nil, fmt.Errorf("%w: delta header", ErrCorrupt)
	}
	size, n := binary.Uvarint(d[2:])
	if n <= 0 {
		return nil, fmt.Errorf("%w: delta header", ErrCorrupt)
	}
	body := d[2+n:]
	switch d[1] {
	case deltaDict:
		return applyDictDelta(base, d, scratch)
	case deltaRaw:
	case deltaDeflate:
		var err error
		if body, err = inflateBody(body, scratch); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: unknown delta format %d", ErrCorrupt, d[1])
	}
	return applyBody(dst, base, body, size)
}

// maxBody bounds a deflated body's stated length: it holds at most a
// literal byte and a step per target byte.
const maxBody = 1 << 30

var inflaters sync.Pool

func inflateBody(z []byte, scratch *[]byte) ([]byte, error) {
	want, n := binary.Uvarint(z)
	if n <= 0 || want > maxBody || want > uint64(len(z))*1032 {
		return nil, fmt.Errorf("%w: deflated delta header", ErrCorrupt)
	}
	src := bytes.NewReader(z[n:])
	var fr io.ReadCloser
	if v, ok := inflaters.Get().(io.ReadCloser); ok {
		fr = v
		_ = fr.(flate.Resetter).Reset(src, nil)
	} else {
		fr = flate.NewReader(src)
	}
	defer inflaters.Put(fr)
	var buf []byte
	if scratch != nil {
		buf = *scratch
	}
	if uint64(cap(buf)) < want+1 {
		buf = make([]byte, want+1)
	}
	buf = buf[:want+1]
	got, err := io.ReadFull(fr, buf)
	if scratch != nil {
		*scratch = buf
	}
	if err != io.ErrUnexpectedEOF || uint64(got) != want {
		return nil, fmt.Errorf("%w: deflated delta holds %d bytes, expected %d", ErrCorrupt, got, want)
	}
	return buf[:want], nil
}

// applyBody runs the steps of body against base.
func applyBody(dst, base, body []byte, size uint64) ([]byte, error) {
	nc, n := binary.Uvarint(body)
	if n <= 0 || nc > uint64(len(body)-n) {
		return nil, fmt.Errorf("%w: delta steps", ErrCorrupt)
	}
	code, lits := body[n:n+int(nc)], body[n+int(nc):]
	out := dst[:0]
	if uint64(cap(out)) < size && size <= uint64(len(base)+len(lits)) {
		out = make([]byte, 0, size)
	}
	p := 0
	for {
		kx, ok := nextUvarint(&code)
		k := kx >> 1
		if !ok || k > uint64(len(lits)) || uint64(len(out))+k > size {
			return nil, fmt.Errorf("%w: delta literal", ErrCorrupt)
		}
		if kx&1 == 1 {
			if k > uint64(len(base)-p) {
				return nil, fmt.Errorf("%w: delta replaces past its base", ErrCorrupt)
			}
			start := len(out)
			out = append(out, lits[:k]...)
			xorInto(out[start:], base[p:p+int(k)])
			p += int(k)
		} else {
			out = append(out, lits[:k]...)
		}
		lits = lits[k:]
		cn, ok := nextUvarint(&code)
		if !ok {
			return nil, fmt.Errorf("%w: delta copy", ErrCorrupt)
		}
		if cn == 0 {
			break
		}
		r, m := binary.Varint(code)
		if m <= 0 {
			return nil, fmt.Errorf("%w: delta copy", ErrCorrupt)
		}
		code = code[m:]
		off := int64(p) + r
		if off < 0 || off > int64(len(base)) || cn > uint64(int64(len(base))-off) || uint64(len(out))+cn > size {
			return nil, fmt.Errorf("%w: delta copies past its base", ErrCorrupt)
		}
		out = append(out, base[off:off+int64(cn)]...)
		p = int(off) + int(cn)
	}
	if len(code) != 0 || len(lits) != 0 || uint64(len(out)) != size {
		return nil, fmt.Errorf("%w: delta rebuilds %d bytes, expected %d", ErrCorrupt, len(out), size)
	}
	return out, nil
}

func nextUvarint(b *[]byte) (uint64, bool) {
	v, n := binary.Uvarint(*b)
	if n <= 0 {
		return 0, false
	}
	*b = (*b)[n:]
	return v, true
}

func xorInto(dst, src []byte) {
	for i := range dst {
		dst[i] ^= src[i]
	}
}

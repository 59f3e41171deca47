package main

import (
	"io"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Output safety. Attribute values, set names, labels, reasons and
// requester names come from input, and input can be hostile: an ESC
// sequence retitles or clears a terminal, a bidi override reorders what
// is shown, a zero-width character hides a difference. Nothing that is
// not printable reaches a terminal raw:
//
//   - every command's stdout and stderr go through a safeWriter (set up
//     once, in run), which passes printable UTF-8, newline and tab, and
//     escapes everything else;
//   - table cells are escaped by safeText in writeTable, which also
//     escapes newline and tab, so that a value cannot forge a row.
//
// The escapes: a control byte or a byte that is not UTF-8 as \xHH (\x1b,
// \x07, \x00, \xff); DEL and every other rune that is not printable
// (unicode.IsPrint: C1 controls, zero-width, bidi and other format
// characters, line and paragraph separators, non-ASCII spaces) as \uHHHH,
// a UTF-16 pair above U+FFFF. A raw such rune in JSON output can only sit
// inside a string, where \uHHHH is the same character, so the filter
// leaves JSON valid and exact; encoding/json already writes control
// characters as \u00HH and a byte that is not UTF-8 as U+FFFD. Text and
// CSV show the escaped form: use --format json for exact values.

// safeText is s with everything not printable escaped, newline and tab
// included: the form of one cell or one line of text.
func safeText(s string) string {
	if isPlain(s, false) {
		return s
	}
	return string(appendSafe(nil, []byte(s), false))
}

// isPlain reports whether s is printable ASCII (and, when lines is set,
// newlines and tabs), which needs no escape: the fast path.
func isPlain[T string | []byte](s T, lines bool) bool {
	return plainPrefix(s, lines) == len(s)
}

func plainPrefix[T string | []byte](s T, lines bool) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x7f || c < ' ' && !(lines && (c == '\n' || c == '\t')) {
			return i
		}
	}
	return len(s)
}

// appendSafe appends p to dst with every non-printable byte or rune
// escaped; newline and tab stay raw when lines is set.
func appendSafe(dst, p []byte, lines bool) []byte {
	for len(p) > 0 {
		n := plainPrefix(p, lines)
		dst, p = append(dst, p[:n]...), p[n:]
		if len(p) == 0 {
			break
		}
		r, size := utf8.DecodeRune(p)
		dst = appendEscaped(dst, r, p[0], size)
		p = p[size:]
	}
	return dst
}

// appendEscaped appends rune r (the first size bytes of the input, whose
// first byte is b) raw when printable, else escaped.
func appendEscaped(dst []byte, r rune, b byte, size int) []byte {
	switch {
	case r == utf8.RuneError && size <= 1, r < ' ':
		return append(append(dst, `\x`...), hex2(b)...)
	case r != 0x7f && unicode.IsPrint(r):
		return utf8.AppendRune(dst, r)
	case r > 0xffff:
		r1, r2 := utf16.EncodeRune(r)
		return appendU(appendU(dst, r1), r2)
	}
	return appendU(dst, r)
}

func appendU(dst []byte, r rune) []byte {
	h := strconv.FormatInt(int64(r), 16)
	dst = append(dst, `\u`...)
	for i := len(h); i < 4; i++ {
		dst = append(dst, '0')
	}
	return append(dst, h...)
}

func hex2(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&0xf]})
}

// safeWriter escapes what is written to w as appendSafe does, keeping
// newlines and tabs. A rune split between two writes is held back until
// the next write, or Flush.
type safeWriter struct {
	w    io.Writer
	pend []byte // the start of an incomplete UTF-8 sequence
	buf  []byte
}

func newSafeWriter(w io.Writer) *safeWriter { return &safeWriter{w: w} }

// Write writes p escaped; it reports len(p) when all of it was written.
func (s *safeWriter) Write(p []byte) (int, error) {
	in := p
	if len(s.pend) > 0 {
		in = append(s.pend, p...)
		s.pend = nil
	}
	if isPlain(in, true) {
		return s.write(in, len(p))
	}
	keep := incompleteTail(in)
	s.pend = append([]byte(nil), in[len(in)-keep:]...)
	s.buf = appendSafe(s.buf[:0], in[:len(in)-keep], true)
	return s.write(s.buf, len(p))
}

func (s *safeWriter) write(b []byte, n int) (int, error) {
	if _, err := s.w.Write(b); err != nil {
		return 0, err
	}
	return n, nil
}

// Flush writes a held-back incomplete sequence, escaped.
func (s *safeWriter) Flush() error {
	if len(s.pend) == 0 {
		return nil
	}
	b := appendSafe(nil, s.pend, true)
	s.pend = nil
	_, err := s.w.Write(b)
	return err
}

// Unwrap is the writer underneath, for terminal checks and for the few
// writers whose escapes are fleetq's own (colour, the progress line).
func (s *safeWriter) Unwrap() io.Writer { return s.w }

// incompleteTail is how many bytes at the end of p start a UTF-8
// sequence that p does not complete (0 to 3).
func incompleteTail(p []byte) int {
	for n := 1; n <= 3 && n <= len(p); n++ {
		c := p[len(p)-n]
		if c < 0x80 {
			return 0
		}
		if utf8.RuneStart(c) {
			if utf8.FullRune(p[len(p)-n:]) {
				return 0
			}
			return n
		}
	}
	return 0
}

// rawWriter is w without its safeWriter, for output fleetq escapes itself.
func rawWriter(w io.Writer) io.Writer {
	if s, ok := w.(*safeWriter); ok {
		return s.w
	}
	return w
}

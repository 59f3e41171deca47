package main

import (
	"io"
	"os"
	"strings"
)

// ANSI styles; see paint.
const (
	ansiRed   = "\x1b[31m"
	ansiBold  = "\x1b[1m"
	ansiReset = "\x1b[0m"
)

// isTerminal reports whether v is an *os.File open on a terminal.
func isTerminal(v any) bool {
	switch w := v.(type) {
	case *safeWriter:
		v = w.Unwrap()
	case *ctxReader:
		v = w.file()
	}
	f, ok := v.(*os.File)
	return ok && isTerminalFile(f)
}

// colorOn reports whether output to w may be coloured: w is a terminal,
// and neither --no-color nor $NO_COLOR (https://no-color.org) says no.
func (a *app) colorOn(w io.Writer) bool {
	return !a.noColor && os.Getenv("NO_COLOR") == "" && isTerminal(w)
}

// paint is s escaped (safeText), wrapped in an ANSI style when output to
// w may be coloured: write it to rawWriter(w).
func (a *app) paint(w io.Writer, style, s string) string {
	s = safeText(s)
	if !a.colorOn(w) {
		return s
	}
	return style + s + ansiReset
}

// writeRows prints a table in the app's format: CSV for --format csv,
// else aligned columns with the header in bold on a terminal. Only the
// REPL's bindings table uses it; commands render through output.go.
func (a *app) writeRows(w io.Writer, header []string, rows [][]string) error {
	if a.format == "csv" {
		cw := newCSVWriter(w)
		cw.Write(csvHeader(header))
		cw.WriteAll(rows)
		return cw.Error()
	}
	var b strings.Builder
	writeTable(&b, header, rows)
	text := b.String()
	if a.colorOn(w) {
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			text = ansiBold + text[:i] + ansiReset + text[i:]
		}
		w = rawWriter(w) // the cells are escaped by writeTable
	}
	_, err := io.WriteString(w, text)
	return err
}

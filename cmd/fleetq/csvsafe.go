package main

import (
	"encoding/csv"
	"io"
	"regexp"
	"sync"
)

// CSV output is opened in spreadsheets, which run a cell that begins with
// '=', '+', '-' or '@' as a formula (=HYPERLINK(…), =cmd|' /C calc'!A0),
// and some also after a leading TAB or CR. As OWASP recommends ("CSV
// Injection"), such a cell is written with a single quote in front, which
// a spreadsheet shows as text; encoding/csv quotes it when it holds a
// comma, a quote or a line break. Plain numbers are exempt, so that
// negative values stay numbers: -3, -0.5, -1.5e+10 (a '-', digits, an
// optional fraction and exponent), never -1+2 or -Inf.

// newCSVWriter is the one CSV writer of fleetq's output, every cell
// passed through csvCell. Its error is sticky, as bufio's is: a renderer
// writes its records, and whoever flushes checks Error once.
func newCSVWriter(w io.Writer) *csvWriter { return &csvWriter{Writer: csv.NewWriter(w)} }

type csvWriter struct {
	*csv.Writer
	err error
}

// Write writes one record, its cells made safe for spreadsheets; after an
// error it writes nothing.
func (c *csvWriter) Write(record []string) {
	if c.err == nil {
		c.err = c.Writer.Write(csvCells(record))
	}
}

// WriteAll writes records, as Write does each.
func (c *csvWriter) WriteAll(records [][]string) {
	for _, r := range records {
		c.Write(r)
	}
}

// Error flushes and returns the first error of a write or the flush.
func (c *csvWriter) Error() error {
	c.Flush()
	if c.err != nil {
		return c.err
	}
	return c.Writer.Error()
}

// csvCells is record with csvCell applied, record itself when no cell
// changes.
func csvCells(record []string) []string {
	for i, s := range record {
		if csvCell(s) != s {
			out := append([]string(nil), record...)
			for j := i; j < len(out); j++ {
				out[j] = csvCell(out[j])
			}
			return out
		}
	}
	return record
}

// plainNumber is a number a spreadsheet reads as one, formula or not.
var plainNumber = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^-[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`) })

// csvCell is s with a quote in front when a spreadsheet would read it as
// a formula.
func csvCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '@', '\t', '\r':
		return "'" + s
	case '-':
		if !plainNumber().MatchString(s) {
			return "'" + s
		}
	}
	return s
}

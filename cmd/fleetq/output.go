package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// Every command computes a result, a plain value, and prints it through
// the one renderer its type has for the format asked (--format): the
// methods below, one per format, usually beside the result type in the
// command's file. A command declares its result type with prints, and so
// the formats it supports; any other format is a usage error before the
// command runs (kubectl's "unable to match a printer"), never a silent
// fallback to text. The JSON of a result is the one docs/json.md pins, and
// the one an HTTP API serves.

// The output formats of --format.
const (
	formatText   = "text"
	formatJSON   = "json"
	formatCSV    = "csv"
	formatFolded = "folded" // text with host lists folded (dn[01-03].smf1)
)

// outputFormats are every --format value, in the order help lists them.
var outputFormats = []string{formatText, formatJSON, formatCSV, formatFolded}

// textResult is a result that prints as text. Every result is one.
type textResult interface{ writeText(w *textWriter) }

// jsonResult is a result that has a JSON form: the value to encode.
type jsonResult interface{ jsonValue() any }

// jsonStreamer is a result that writes its JSON itself, byte for byte as
// writeJSON writes its jsonValue, without building it in memory first (a
// query's host set of millions of names).
type jsonStreamer interface{ streamJSON(w *textWriter) error }

// csvResult is a result that prints as CSV: a header row, then records.
type csvResult interface{ writeCSV(cw *csvWriter) }

// foldedResult is a result whose text holds host lists, printed folded.
type foldedResult interface{ writeFolded(w *textWriter) }

// formatsOf lists the formats result has a renderer for.
func formatsOf(result any) []string {
	var fs []string
	if _, ok := result.(textResult); ok {
		fs = append(fs, formatText)
	}
	if _, ok := result.(jsonResult); ok {
		fs = append(fs, formatJSON)
	}
	if _, ok := result.(csvResult); ok {
		fs = append(fs, formatCSV)
	}
	if _, ok := result.(foldedResult); ok {
		fs = append(fs, formatFolded)
	}
	return fs
}

// formatsAnnotation holds, on a command, the formats its result supports.
const formatsAnnotation = "fleetq:formats"

// prints declares that cmd prints results of result's type (a nil pointer
// of it will do): the formats cmd supports are the ones that type renders.
func prints(cmd *cobra.Command, result any) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[formatsAnnotation] = strings.Join(formatsOf(result), ",")
	return cmd
}

// commandFormats is what cmd declared with prints; a command that
// declared nothing prints text only (help, completion scripts, the REPL).
func commandFormats(cmd *cobra.Command) []string {
	if fs, ok := cmd.Annotations[formatsAnnotation]; ok {
		return strings.Split(fs, ",")
	}
	return []string{formatText}
}

// checkFormat refuses a format cmd has no renderer for, naming the
// command and the formats it has.
func checkFormat(cmd *cobra.Command, format string) error {
	return refuseFormat(strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" "), commandFormats(cmd), format)
}

// checkFormatOf refuses a format result has no renderer for, for what
// runs without a command of its own (the REPL's :schema, :explain, …).
func checkFormatOf(name string, result any, format string) error {
	return refuseFormat(name, formatsOf(result), format)
}

func refuseFormat(name string, fs []string, format string) error {
	if slices.Contains(fs, format) {
		return nil
	}
	hint := ""
	if format == formatFolded {
		hint = "; folded is for host sets"
	}
	return &usageError{fmt.Sprintf("%s: --format %s is not supported (use %s%s)", name, format, orList(fs), hint)}
}

// orList is "a", "a or b", "a, b or c".
func orList(ss []string) string {
	if len(ss) < 2 {
		return strings.Join(ss, "")
	}
	return strings.Join(ss[:len(ss)-1], ", ") + " or " + ss[len(ss)-1]
}

// print renders result in the app's format on stdout.
func (a *app) print(result any) error {
	if err := checkFormatOf(strings.TrimPrefix(a.command, "fleetq "), result, a.format); err != nil {
		return err
	}
	w, flush := a.out()
	tw := &textWriter{Writer: w, compact: a.compactJSON}
	if a.colorOn(a.stdout) {
		tw.raw = rawWriter(a.stdout)
	}
	if err := renderAs(tw, a.format, result); err != nil {
		return err
	}
	return flush()
}

// textWriter is where a text renderer writes: buffered stdout, and the
// terminal underneath when output may be coloured (no --no-color or
// $NO_COLOR), for the escapes that are fleetq's own.
type textWriter struct {
	*bufio.Writer
	raw io.Writer
	// compact prints writeJSON's JSON without indentation (app.compactJSON).
	compact bool
}

// table prints aligned columns (writeTable), the header in bold when the
// output may be coloured.
func (w *textWriter) table(header []string, rows [][]string) {
	if w.raw == nil {
		writeTable(w, header, rows)
		return
	}
	var b strings.Builder
	writeTable(&b, header, rows)
	text := b.String()
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = ansiBold + text[:i] + ansiReset + text[i:]
	}
	_ = w.Flush()
	_, _ = io.WriteString(w.raw, text) // the cells are escaped by writeTable
}

// renderAs renders result in format to w: the one place that picks a
// renderer. A format the result has no renderer for was refused by
// checkFormat; reaching here with one is a bug in the command's prints.
func renderAs(w *textWriter, format string, result any) error {
	switch r := result.(type) {
	case jsonResult:
		if format == formatJSON {
			if s, ok := result.(jsonStreamer); ok {
				return s.streamJSON(w)
			}
			return writeJSON(w, r.jsonValue())
		}
	}
	switch format {
	case formatText:
		if r, ok := result.(textResult); ok {
			r.writeText(w)
			return nil
		}
	case formatCSV:
		if r, ok := result.(csvResult); ok {
			cw := newCSVWriter(w.Writer)
			r.writeCSV(cw)
			return cw.Error()
		}
	case formatFolded:
		if r, ok := result.(foldedResult); ok {
			r.writeFolded(w)
			return nil
		}
	}
	return fmt.Errorf("%T has no %s renderer", result, format)
}

// csvHeader is a text table's header as CSV column names: lower case.
func csvHeader(header []string) []string {
	out := make([]string, len(header))
	for i, h := range header {
		out[i] = strings.ToLower(h)
	}
	return out
}

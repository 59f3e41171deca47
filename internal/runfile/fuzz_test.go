package runfile

import (
	"errors"
	"strings"
	"testing"

	"github.com/fleetq/fleetq/internal/query"
)

// FuzzParse: no file panics the parser; every error is a *query.DefError,
// and one carrying a *query.Error has a column inside its line, so the
// caret points at the line.
func FuzzParse(f *testing.F) {
	for _, seed := range strings.Split(trends, "\n") {
		f.Add(seed)
	}
	for _, seed := range []string{checks, "assert rising((a, b), 3)", "assert count(\"x)\") < count(y)", "watch a up 9", "assert not stuck(x, 1) x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		file, err := Parse("f.fq", "dead = all\n"+text)
		if err != nil {
			var de *query.DefError
			if !errors.As(err, &de) {
				t.Fatalf("%q: error %T is not *query.DefError", text, err)
			}
			var qe *query.Error
			if errors.As(err, &qe) && (qe.Pos.Col < 1 || qe.Pos.Col > len(qe.Input)+1) {
				t.Fatalf("%q: column %d outside %q", text, qe.Pos.Col, qe.Input)
			}
			return
		}
		for _, l := range file.Lines {
			if a := l.Assert; a != nil && a.Trend == nil && a.Left.Expr == nil {
				t.Fatalf("%q: assert without a left count", text)
			}
			if a := l.Assert; a != nil && a.Trend != nil && (a.Trend.Steps < 1 || a.Trend.Steps > MaxSteps) {
				t.Fatalf("%q: steps %d", text, a.Trend.Steps)
			}
		}
	})
}

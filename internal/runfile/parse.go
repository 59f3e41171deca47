package runfile

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/fleetq/fleetq/internal/query"
)

// Line is one statement of a query file; exactly one of Stmt, Save and
// Assert is set.
type Line struct {
	No     int    // 1-based line number in the file
	Text   string // the line, trimmed
	Stmt   *query.Statement
	Save   string
	Assert *Assertion
}

// Assertion is `assert count(Expr) Op N`.
type Assertion struct {
	Expr query.Node
	Op   string // < <= > >= == != (or =, read as ==)
	N    uint64
}

// File is a parsed query file.
type File struct {
	Path  string
	Lines []Line
}

var (
	assertRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^assert\s+count\((.*)\)\s*(<=|>=|==|!=|<|>|=)\s*(\d+)\s*$`)
	})
	saveRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^save\s+([A-Za-z_][A-Za-z0-9_.\-]*)\s*$`) })
)

// Parse parses the text of the query file at path. Blank lines and #
// comments are skipped; a line that does not parse is a *query.DefError
// naming path and the line.
func Parse(path, text string) (*File, error) {
	f := &File{Path: path}
	for i, raw := range strings.Split(text, "\n") {
		s := strings.TrimSpace(raw)
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		l, err := parseLine(s, i+1)
		if err != nil {
			return nil, &query.DefError{File: path, Line: i + 1, Err: err}
		}
		f.Lines = append(f.Lines, l)
	}
	return f, nil
}

func parseLine(s string, no int) (Line, error) {
	l := Line{No: no, Text: s}
	if m := saveRE().FindStringSubmatch(s); m != nil {
		l.Save = m[1]
		return l, nil
	}
	if m := assertRE().FindStringSubmatch(s); m != nil {
		e, err := query.ParseExpr(m[1])
		if err != nil {
			return l, err
		}
		n, _ := strconv.ParseUint(m[3], 10, 64)
		l.Assert = &Assertion{Expr: e, Op: m[2], N: n}
		return l, nil
	}
	if strings.HasPrefix(s, "assert") {
		return l, errAssertSyntax
	}
	st, err := query.Parse(s)
	l.Stmt = st
	return l, err
}

// Saves reports whether f has a save line, so the caller evaluates it in
// a write transaction and stores what it saves there.
func (f *File) Saves() bool {
	for _, l := range f.Lines {
		if l.Save != "" {
			return true
		}
	}
	return false
}

// names are the bindings and sets l uses.
func (l *Line) names() []string {
	switch {
	case l.Save != "":
		return []string{l.Save}
	case l.Assert != nil:
		return query.Names(&query.Statement{Pipeline: &query.Pipeline{Expr: l.Assert.Expr}})
	case l.Stmt != nil:
		return query.Names(l.Stmt)
	}
	return nil
}

// binds is the name l binds or saves, if any.
func (l *Line) binds() string {
	if l.Stmt != nil && l.Stmt.Bind != "" {
		return l.Stmt.Bind
	}
	return l.Save
}

// holds reports whether count n satisfies the assertion.
func (a *Assertion) holds(n uint64) bool {
	switch a.Op {
	case "<":
		return n < a.N
	case "<=":
		return n <= a.N
	case ">":
		return n > a.N
	case ">=":
		return n >= a.N
	case "!=":
		return n != a.N
	}
	return n == a.N
}

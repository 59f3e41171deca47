package query

import (
	"errors"
	"fmt"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
)

// Definition is one `NAME = expression` line of a definitions file.
type Definition struct {
	Name string
	Line int
	Stmt *Statement
}

// DefError is a mistake in a definitions file: FILE:LINE:COL: message.
type DefError struct {
	File string
	Line int
	Err  error
}

func (e *DefError) Error() string {
	var qe *Error
	if errors.As(e.Err, &qe) {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, qe.Pos.Col, qe.Msg)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *DefError) Unwrap() error { return e.Err }

// ParseDefinitions reads a definitions file: one `NAME = expression` per
// line, blank lines and # comments skipped. Later lines may use earlier
// names. Definitions end in host sets: count, by, show and split are
// refused.
func ParseDefinitions(file, text string) ([]Definition, error) {
	var defs []Definition
	seen := map[string]int{}
	for i, line := range strings.Split(text, "\n") {
		s := strings.TrimSpace(line)
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		st, err := parseNoAttrs(s)
		if err != nil {
			return nil, &DefError{file, i + 1, err}
		}
		if st.Bind == "" {
			return nil, &DefError{file, i + 1, errAt(Pos{Line: 1, Col: 1}, s, "expected NAME = expression")}
		}
		if prev, dup := seen[st.Bind]; dup {
			return nil, &DefError{file, i + 1, fmt.Errorf("%s is already defined on line %d", st.Bind, prev)}
		}
		for _, stg := range st.Pipeline.Stages {
			if isTerminal(stg) {
				return nil, &DefError{file, i + 1, errAt(stg.Position(), s, "a definition must end in a host set, not %q", stg.String())}
			}
		}
		seen[st.Bind] = i + 1
		defs = append(defs, Definition{Name: st.Bind, Line: i + 1, Stmt: st})
	}
	return defs, nil
}

// EvalDefinitions evaluates definitions in order in env's current pass;
// each result is visible to later definitions. It returns the sets by
// name. A definition named like an attribute, or one that fails, is an
// error naming its line.
func EvalDefinitions(env *Env, file string, defs []Definition) (map[string]*roaring.Bitmap, error) {
	out := make(map[string]*roaring.Bitmap, len(defs))
	if env.Bindings == nil {
		env.Bindings = map[string]*roaring.Bitmap{}
	}
	cur := env.Snap.Current()
	for _, d := range defs {
		if hasAttr(cur, d.Name) {
			return nil, &DefError{file, d.Line, fmt.Errorf("%s is an attribute of pass %d; a definition needs another name", d.Name, cur.ID())}
		}
		r, err := Run(env, d.Stmt)
		if err != nil {
			return nil, &DefError{file, d.Line, err}
		}
		out[d.Name] = r.Hosts
	}
	return out, nil
}

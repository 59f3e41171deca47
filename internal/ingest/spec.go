package ingest

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/fleetq/fleetq/internal/ingest/source"
)

// Spec is one source argument: KIND:PATH, KIND:NAME=PATH (a host list
// named NAME), or a bare PATH whose kind is detected from its content.
type Spec struct {
	Kind string // "" to detect
	Name string // set name for host lists; "" for the default
	Path string // "-" for standard input
}

// kindWord is what a mistyped kind looks like (`hfds:` in hfds:report.txt):
// a path's directory part has a slash or a dot, a kind has neither.
var kindWord = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9_]*$`) })

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ParseSpec parses a source argument. A KIND: prefix that is not a kind is
// an error, unless the whole argument names an existing file.
func ParseSpec(arg string) (Spec, error) {
	if i := strings.IndexByte(arg, ':'); i > 0 {
		if _, ok := kindByName(arg[:i]); ok {
			s := Spec{Kind: arg[:i], Path: arg[i+1:]}
			if j := strings.IndexByte(s.Path, '='); j > 0 && source.ValidName(s.Path[:j]) {
				s.Name, s.Path = s.Path[:j], s.Path[j+1:]
			}
			if s.Path == "" {
				return s, fmt.Errorf("%s: no path after the kind (expected KIND:PATH)", arg)
			}
			return s, nil
		}
		if kindWord().MatchString(arg[:i]) && !exists(arg) {
			return Spec{}, fmt.Errorf("%s: unknown source kind %q (expected KIND:PATH with a kind of %s)", arg, arg[:i], strings.Join(KindNames(), ", "))
		}
	}
	if arg == "-" {
		return Spec{}, errors.New("-: standard input needs a kind (expected KIND:-, e.g. inventory:-)")
	}
	return Spec{Path: arg}, nil
}

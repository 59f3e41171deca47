package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/fleetq/fleetq/internal/auth"
)

// Op is one operation of the API: an HTTP method and path, the fleetq
// command it runs, the role it needs, and its parameters.
type Op struct {
	ID      string // operationId in the OpenAPI document
	Method  string
	Path    string // a net/http pattern path: /v1/hosts/{name}
	Summary string
	// Command is the command path: ["query"], ["week", "show"]. A part
	// "{verb}" is the value of the parameter called verb, one of Verbs.
	Command []string
	// Fixed are arguments that always follow the command ("status" of
	// GET /v1/incident), before the positional parameters.
	Fixed []string
	Role  auth.Role
	// Write operations take the database's write lock (one at a time);
	// the others read beside each other.
	Write  bool
	Params []Param
}

// Param is one parameter: where it comes from in the request and what it
// becomes on the command line.
type Param struct {
	Name string
	In   string // "path", "query" (GET) or "body" (POST, a JSON object)
	Type string // "string", "boolean", "integer", "array" (of strings)
	// Flag is the command's flag it sets ("reason" → --reason); empty for
	// a positional argument, which goes after "--" in Params order.
	Flag     string
	Required bool
	Doc      string
	// Role is what setting it needs beyond the operation's role (force
	// needs an operator); 0 for nothing more.
	Role auth.Role
	// Enum restricts a string to these values.
	Enum []string
}

// Verbs are the action verbs a {verb} may be.
var Verbs = []string{"drain", "undrain", "reboot", "rekick", "burnin", "firmware"}

// positional says whether p is an argument rather than a flag.
func (p Param) positional() bool { return p.Flag == "" }

// Ops is the API. The CLI's --server client finds a command's operation
// here by its command path (ForCommand).
var Ops []Op

func register(ops ...Op) { Ops = append(Ops, ops...) }

// ForCommand is the operation that runs the command at path (the
// command path without "fleetq": ["drain"], ["audit"]) with args, for the
// CLI's --server client: an operation with Fixed arguments matches only
// when args start with them.
func ForCommand(path, args []string) (Op, bool) {
	for _, op := range Ops {
		if commandMatches(op.Command, path) && len(args) >= len(op.Fixed) && slices.Equal(op.Fixed, args[:len(op.Fixed)]) {
			return op, true
		}
	}
	return Op{}, false
}

func commandMatches(pattern, path []string) bool {
	if len(pattern) != len(path) {
		return false
	}
	for i, part := range pattern {
		if part == "{verb}" {
			if !slices.Contains(Verbs, path[i]) {
				return false
			}
			continue
		}
		if part != path[i] {
			return false
		}
	}
	return true
}

// Param is op's parameter called name.
func (op Op) Param(name string) (Param, bool) {
	i := slices.IndexFunc(op.Params, func(p Param) bool { return p.Name == name })
	if i < 0 {
		return Param{}, false
	}
	return op.Params[i], true
}

// ParamForFlag is op's parameter that sets --flag.
func (op Op) ParamForFlag(flag string) (Param, bool) {
	i := slices.IndexFunc(op.Params, func(p Param) bool { return p.Flag == flag })
	if i < 0 {
		return Param{}, false
	}
	return op.Params[i], true
}

// pattern is the net/http ServeMux pattern of op.
func (op Op) pattern() string { return op.Method + " " + op.Path }

// bodyIn is where op's non-path parameters come from.
func (op Op) bodyIn() string {
	if op.Method == http.MethodGet {
		return "query"
	}
	return "body"
}

// checkOps is the table's own consistency, checked when a server is
// built: a mistake in it is a programming error, found by every test.
func checkOps(ops []Op) error {
	seen := map[string]bool{}
	for _, op := range ops {
		if seen[op.pattern()] || seen[op.ID] {
			return fmt.Errorf("api: %s (%s) registered twice", op.pattern(), op.ID)
		}
		seen[op.pattern()], seen[op.ID] = true, true
		if op.Role < auth.Viewer || len(op.Command) == 0 || op.ID == "" {
			return fmt.Errorf("api: %s %s: id, role and command are required", op.Method, op.Path)
		}
		for _, p := range op.Params {
			want := op.bodyIn()
			if strings.Contains(op.Path, "{"+p.Name+"}") {
				want = "path"
			}
			if p.In != want {
				return fmt.Errorf("api: %s: parameter %s is in %s, expected %s", op.ID, p.Name, p.In, want)
			}
		}
	}
	return nil
}

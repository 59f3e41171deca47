package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/fleetq/fleetq/internal/auth"
)

// Formats are the output formats a request may ask for with ?format=;
// the command refuses the ones it has no renderer for (400 usage).
var Formats = []string{"json", "text", "csv", "folded"}

// CLIEnvelope is the media type the CLI's --server client accepts: the
// command's stdout, stderr and exit status in one JSON object, so the
// client prints exactly what the command would have printed locally.
const CLIEnvelope = "application/vnd.fleetq.cli+json"

// Envelope is the body of a CLIEnvelope response.
type Envelope struct {
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	ExitCode int    `json:"exit_code"`
}

// opHandler serves op: parameters to a command line, the executor, the
// result as the response.
func (s *Server) opHandler(op Op) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principalOf(r)
		if !p.Role.Allows(op.Role) {
			s.refuse(w, r, op, errorf(KindForbidden, fmt.Sprintf("%s needs the %s role; %s is %s", op.ID, op.Role, p.Name, p.Role)))
			return
		}
		call, aerr := buildCall(op, p, r)
		if aerr != nil {
			s.refuse(w, r, op, aerr)
			return
		}
		call.Remote = r.RemoteAddr
		res := s.exec(r, call)
		writeResult(w, r, call.Format, res)
	}
}

// exec runs call, holding the server's lock of the database: write
// operations one at a time, reads beside each other. Across processes
// the database's own file lock does the same.
func (s *Server) exec(r *http.Request, call Call) Result {
	if call.Op.Write {
		s.dbMu.Lock()
		defer s.dbMu.Unlock()
	} else {
		s.dbMu.RLock()
		defer s.dbMu.RUnlock()
	}
	res := s.cfg.Executor.Exec(r.Context(), call)
	if s.cfg.Observe != nil {
		s.cfg.Observe(call, res)
	}
	return res
}

func writeResult(w http.ResponseWriter, r *http.Request, format string, res Result) {
	status := http.StatusOK
	if res.Err != nil {
		status = res.Err.Status()
	}
	w.Header().Set("Fleetq-Exit-Code", strconv.Itoa(res.Code))
	if wantsEnvelope(r) {
		writeJSON(w, status, Envelope{Stdout: string(res.Stdout), Stderr: string(res.Stderr), ExitCode: res.Code})
		return
	}
	if res.Err != nil {
		e := *res.Err
		if format == "json" && json.Valid(res.Stdout) && len(bytes.TrimSpace(res.Stdout)) > 0 {
			e.Result = bytes.TrimSpace(res.Stdout)
		}
		writeError(w, &e)
		return
	}
	w.Header().Set("Content-Type", contentType(format))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(res.Stdout) //nolint:errcheck // the client went away
}

func wantsEnvelope(r *http.Request) bool {
	return slices.Contains(strings.Split(r.Header.Get("Accept"), ","), CLIEnvelope)
}

func contentType(format string) string {
	switch format {
	case "json":
		return "application/json"
	case "csv":
		return "text/csv; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

// buildCall reads op's parameters from r and makes the command line.
func buildCall(op Op, p auth.Principal, r *http.Request) (Call, *Error) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	if !slices.Contains(Formats, format) {
		return Call{}, errorf(KindBadRequest, fmt.Sprintf("format %q: expected one of %s", format, strings.Join(Formats, ", ")))
	}
	vals, aerr := readParams(op, r)
	if aerr != nil {
		return Call{}, aerr
	}
	command := slices.Clone(op.Command)
	var flags, positional []string
	positional = append(positional, op.Fixed...)
	for _, prm := range op.Params {
		v, ok := vals[prm.Name]
		if !ok {
			if prm.Required {
				return Call{}, errorf(KindBadRequest, fmt.Sprintf("%s: parameter %q is required (%s)", op.ID, prm.Name, prm.Doc))
			}
			continue
		}
		if aerr := checkValue(op, prm, p, v); aerr != nil {
			return Call{}, aerr
		}
		if i := slices.Index(command, "{"+prm.Name+"}"); i >= 0 {
			command[i] = v.str
			continue
		}
		switch {
		case prm.positional():
			positional = append(positional, v.list()...)
		case prm.Type == "boolean":
			flags = append(flags, fmt.Sprintf("--%s=%t", prm.Flag, v.b))
		default:
			for _, s := range v.list() {
				flags = append(flags, "--"+prm.Flag+"="+s)
			}
		}
	}
	if op.Write && slices.Contains(flags, "--commit=true") {
		flags = append(flags, "--yes") // the API call is the confirmation
	}
	op.Command = command
	args := append(append(flags, "--"), positional...)
	return Call{Op: op, Principal: p, Args: args, Format: format}, nil
}

// checkValue applies what a parameter needs beyond its type: its enum,
// the role setting it needs, and that an automation principal never
// forces.
func checkValue(op Op, prm Param, p auth.Principal, v value) *Error {
	if len(prm.Enum) > 0 && !slices.Contains(prm.Enum, v.str) {
		return errorf(KindBadRequest, fmt.Sprintf("%s: %s %q: expected one of %s", op.ID, prm.Name, v.str, strings.Join(prm.Enum, ", ")))
	}
	if prm.Type == "boolean" && !v.b {
		return nil // false asks for nothing
	}
	if prm.Role != 0 && !p.Role.Allows(prm.Role) {
		return errorf(KindForbidden, fmt.Sprintf("%s with %s needs the %s role; %s is %s", op.ID, prm.Name, prm.Role, p.Name, p.Role))
	}
	if prm.Name == "force" && !p.MayForce() {
		return errorf(KindForbidden, fmt.Sprintf("%s is an automation principal: only a human operator forces, with a reason", p.Name))
	}
	return nil
}

// value is one parameter's value, as its type reads it.
type value struct {
	str  string
	b    bool
	strs []string
	arr  bool
}

func (v value) list() []string {
	if v.arr {
		return v.strs
	}
	return []string{v.str}
}

// readParams reads op's parameters: path values, then the query string
// (GET) or a JSON object body (POST). An unknown name is an error, as an
// unknown flag is on the command line.
func readParams(op Op, r *http.Request) (map[string]value, *Error) {
	vals := map[string]value{}
	for _, prm := range op.Params {
		if prm.In == "path" {
			vals[prm.Name] = value{str: r.PathValue(prm.Name)}
		}
	}
	if op.bodyIn() == "query" {
		return vals, readQuery(op, r, vals)
	}
	return vals, readBody(op, r, vals)
}

func readQuery(op Op, r *http.Request, vals map[string]value) *Error {
	for name, vs := range r.URL.Query() {
		if name == "format" {
			continue
		}
		prm, ok := op.Param(name)
		if !ok || prm.In != "query" {
			return errorf(KindBadRequest, fmt.Sprintf("%s: unknown parameter %q (expected %s)", op.ID, name, paramNames(op)))
		}
		v, err := fromStrings(prm, vs)
		if err != nil {
			return errorf(KindBadRequest, fmt.Sprintf("%s: %s: %v", op.ID, name, err))
		}
		vals[name] = v
	}
	return nil
}

func fromStrings(prm Param, vs []string) (value, error) {
	switch prm.Type {
	case "array":
		var out []string
		for _, v := range vs {
			out = append(out, strings.Split(v, ",")...)
		}
		return value{strs: out, arr: true}, nil
	case "boolean":
		b, err := strconv.ParseBool(vs[len(vs)-1])
		return value{b: b}, err
	case "integer":
		if _, err := strconv.ParseInt(vs[len(vs)-1], 10, 64); err != nil {
			return value{}, fmt.Errorf("expected an integer")
		}
	}
	return value{str: vs[len(vs)-1]}, nil
}

func readBody(op Op, r *http.Request, vals map[string]value) *Error {
	var body map[string]json.RawMessage
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(KindTooLarge, fmt.Sprintf("request body over the server's limit of %d bytes (fleetq serve --body-limit)", mbe.Limit))
		}
		if errors.Is(err, http.ErrBodyReadAfterClose) || err.Error() == "EOF" {
			body = map[string]json.RawMessage{}
		} else {
			return errorf(KindBadRequest, fmt.Sprintf("%s: the body must be one JSON object: %v", op.ID, err))
		}
	}
	for name, raw := range body {
		prm, ok := op.Param(name)
		if !ok || prm.In != "body" {
			return errorf(KindBadRequest, fmt.Sprintf("%s: unknown parameter %q (expected %s)", op.ID, name, paramNames(op)))
		}
		v, err := fromJSON(prm, raw)
		if err != nil {
			return errorf(KindBadRequest, fmt.Sprintf("%s: %s: %v", op.ID, name, err))
		}
		vals[name] = v
	}
	return nil
}

func fromJSON(prm Param, raw json.RawMessage) (value, error) {
	switch prm.Type {
	case "array":
		var ss []string
		if err := json.Unmarshal(raw, &ss); err != nil {
			return value{}, fmt.Errorf("expected an array of strings")
		}
		return value{strs: ss, arr: true}, nil
	case "boolean":
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return value{}, fmt.Errorf("expected true or false")
		}
		return value{b: b}, nil
	case "integer":
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return value{}, fmt.Errorf("expected an integer")
		}
		if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
			if _, err := strconv.ParseUint(n.String(), 10, 64); err != nil {
				return value{}, fmt.Errorf("expected an integer")
			}
		}
		return value{str: n.String()}, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return value{}, fmt.Errorf("expected a string")
	}
	return value{str: s}, nil
}

func paramNames(op Op) string {
	var names []string
	for _, p := range op.Params {
		if p.In != "path" {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

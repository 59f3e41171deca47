package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

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
		writeResult(w, r, call.Format, s.exec(r, call))
	}
}

// exec runs call, holding the server's lock of the database: write
// operations one at a time, reads beside each other. Across processes
// the database's own file lock does the same.
func (s *Server) exec(r *http.Request, call Call) Result {
	if call.Op.Write {
		release, wait, aerr := s.lockWrite(r.Context())
		if aerr != nil {
			return Result{Stderr: []byte("fleetq: " + aerr.Message + "\n"), Code: exitCodeOf(aerr.Kind), Err: aerr}
		}
		defer release()
		call.LockWait = wait
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
		return Call{}, errorf(KindBadRequest, fmt.Sprintf("format %s: expected one of %s", quoteInput(format), strings.Join(Formats, ", ")))
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
		return errorf(KindBadRequest, fmt.Sprintf("%s: %s %s: expected one of %s", op.ID, prm.Name, quoteInput(v.str), strings.Join(prm.Enum, ", ")))
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
			return errorf(KindBadRequest, fmt.Sprintf("%s: unknown parameter %s (expected %s)", op.ID, quoteInput(name), paramNames(op)))
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
	if len(vs) > 1 && prm.Type != "array" {
		// Which one counts differs between parsers (a proxy may check the first).
		return value{}, fmt.Errorf("given %d times: expected one value", len(vs))
	}
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
	body, err := decodeObject(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(KindTooLarge, fmt.Sprintf("request body over the server's limit of %d bytes (fleetq serve --body-limit)", mbe.Limit))
		}
		return errorf(KindBadRequest, fmt.Sprintf("%s: the body must be one JSON object: %v", op.ID, err))
	}
	for name, raw := range body {
		prm, ok := op.Param(name)
		if !ok || prm.In != "body" {
			return errorf(KindBadRequest, fmt.Sprintf("%s: unknown parameter %s (expected %s)", op.ID, quoteInput(name), paramNames(op)))
		}
		v, err := fromJSON(prm, raw)
		if err != nil {
			return errorf(KindBadRequest, fmt.Sprintf("%s: %s: %v", op.ID, name, err))
		}
		vals[name] = v
	}
	return nil
}

// decodeObject reads a body that is one JSON object (or nothing, or
// null: no parameters) and nothing after it, each name at most once: a
// second value of a name, or a value after the object, would be read by
// one parser and not by another (a proxy that checks the first force).
func decodeObject(rd io.Reader) (map[string]json.RawMessage, error) {
	body := map[string]json.RawMessage{}
	dec := json.NewDecoder(rd)
	dec.UseNumber()
	tok, err := dec.Token()
	switch {
	case err == io.EOF:
		return body, nil
	case err != nil:
		return nil, err
	case tok == nil:
		return body, endOfBody(dec)
	case tok != json.Delim('{'):
		return nil, fmt.Errorf("found %v, expected an object {...}", tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string) // a name: the decoder accepts nothing else here
		if _, dup := body[name]; dup {
			return nil, fmt.Errorf("the name %s is given twice", quoteInput(name))
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		body[name] = raw
	}
	if _, err := dec.Token(); err != nil { // the closing }
		return nil, err
	}
	return body, endOfBody(dec)
}

// endOfBody says whether dec has read the whole body.
func endOfBody(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return err
		}
		return errors.New("there is more after the object")
	}
	return nil
}

// maxEcho bounds how much of a caller's input an error message repeats:
// enough to recognise it, not a megabyte into the log and the audit.
const maxEcho = 256

// clip is s cut to maxEcho bytes (on a character's start), with "…"
// when it was longer.
func clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// quoteInput is s quoted as Go quotes it (control characters and
// invalid UTF-8 escaped), cut to maxEcho bytes with "…" when longer.
func quoteInput(s string) string {
	if c := clip(s); c != s {
		return strconv.Quote(strings.TrimSuffix(c, "…")) + "…"
	}
	return strconv.Quote(s)
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

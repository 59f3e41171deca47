package server

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/fleetq/fleetq/internal/auth"
)

// OpenAPIPath is where the server serves its OpenAPI 3 document.
const OpenAPIPath = "/v1/openapi.json"

// OpenAPI mounts GET /v1/openapi.json, the OpenAPI 3 document of Ops
// (version is the server's). It is served without authentication: it is
// documentation, the same for every caller, and holds no data of the
// fleet.
func OpenAPI(version string) func(*Mux) {
	doc := Document(version)
	return func(m *Mux) {
		m.HandlePublic("GET "+OpenAPIPath, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, doc)
		}))
	}
}

// obj is one JSON object of the document.
type obj = map[string]any

// Document is the OpenAPI 3.0 document of Ops: every operation with its
// parameters (types, enums, required), the format parameter, the request
// body of a POST, the error schema with every kind, the bearer scheme,
// and the role each operation needs as x-fleetq-role.
func Document(version string) obj {
	paths := obj{}
	for _, op := range Ops {
		item, _ := paths[op.Path].(obj)
		if item == nil {
			item = obj{}
			paths[op.Path] = item
		}
		item[strings.ToLower(op.Method)] = operation(op)
	}
	public := func(id, summary string, status int) obj {
		return obj{"operationId": id, "summary": summary, "security": []any{}, "x-fleetq-role": "none",
			"responses": obj{strconv.Itoa(status): obj{"description": http.StatusText(status),
				"content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}}}
	}
	paths[OpenAPIPath] = obj{"get": public("openapi", "This document (no authentication)", http.StatusOK)}
	paths["/healthz"] = obj{"get": public("healthz", "Liveness: 200 while the process serves (no authentication)", http.StatusOK)}
	ready := public("readyz", "Readiness: 200 when the database can be opened, 503 while it cannot or the server stops (no authentication)", http.StatusOK)
	ready["responses"].(obj)["503"] = obj{"description": "not ready", "content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}
	paths["/readyz"] = obj{"get": ready}
	for path, item := range mountedDocs {
		paths[path] = item
	}
	return obj{
		"openapi": "3.0.3",
		"info": obj{"title": "fleetq", "version": version,
			"description": "The fleet's arbiter: which hosts are safe to act on now. Every operation runs the fleetq command its summary names, with the token's name as the requester, and answers with what that command prints with --format (default json). See docs/serve.md."},
		"paths":    paths,
		"security": []any{obj{"bearer": []any{}}},
		"components": obj{
			"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer",
				"description": "a token of fleetq token create; its role decides what it may do (x-fleetq-role of each operation)"}},
			"schemas": obj{"Error": errorSchema(), "Envelope": envelopeSchema()},
		},
	}
}

func operation(op Op) obj {
	params := []any{obj{"name": "format", "in": "query", "required": false,
		"description": "the output format of the command's answer", "schema": obj{"type": "string", "enum": Formats, "default": "json"}}}
	var props = obj{}
	var required []string
	for _, p := range op.Params {
		if p.In == "body" {
			s := schema(p)
			props[p.Name] = s
			if p.Required {
				required = append(required, p.Name)
			}
			continue
		}
		params = append(params, obj{"name": p.Name, "in": p.In, "required": p.Required || p.In == "path",
			"description": paramDoc(p), "schema": schema(p)})
	}
	o := obj{"operationId": op.ID, "summary": op.Summary, "x-fleetq-role": op.Role.String(),
		"x-fleetq-command": strings.Join(append(slices.Clone(op.Command), op.Fixed...), " "),
		"parameters":       params, "responses": responses(op)}
	if op.bodyIn() == "body" && len(props) > 0 {
		body := obj{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			body["required"] = required
		}
		o["requestBody"] = obj{"required": len(required) > 0, "content": obj{"application/json": obj{"schema": body}}}
	}
	return o
}

func paramDoc(p Param) string {
	if p.Flag == "" {
		return p.Doc
	}
	return p.Doc + " (--" + p.Flag + ")"
}

func schema(p Param) obj {
	s := obj{"description": paramDoc(p)}
	switch p.Type {
	case "array":
		s["type"], s["items"] = "array", obj{"type": "string"}
	case "integer":
		s["type"], s["format"] = "integer", "int64"
	default:
		s["type"] = p.Type
	}
	if len(p.Enum) > 0 {
		s["enum"] = p.Enum
	}
	if p.Role != 0 {
		s["x-fleetq-role"] = p.Role.String()
	}
	return s
}

// errorStatuses are the error statuses op may answer with: every
// request may be refused (400, 401, 403, 429), fail in its command (422)
// or meet a locked database or a stopping server (503); a body may be too
// large; a write may be refused as a plan (409).
func errorStatuses(op Op) []int {
	st := []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity,
		http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable}
	if op.Method != http.MethodGet {
		st = append(st, http.StatusRequestEntityTooLarge)
	}
	if op.Write {
		st = append(st, http.StatusConflict)
	}
	slices.Sort(st)
	return st
}

func responses(op Op) obj {
	ok := obj{"description": "what the command prints with ?format= (the CLI envelope when Accept is " + CLIEnvelope + ")",
		"content": obj{
			"application/json": obj{"schema": obj{"description": "the command's --format json result (docs/json.md)"}},
			"text/plain":       obj{"schema": obj{"type": "string"}},
			"text/csv":         obj{"schema": obj{"type": "string"}},
			CLIEnvelope:        obj{"schema": obj{"$ref": "#/components/schemas/Envelope"}},
		}}
	r := obj{"200": ok}
	for _, st := range errorStatuses(op) {
		var kinds []string
		for _, k := range errorKinds() {
			if Statuses[k] == st {
				kinds = append(kinds, k)
			}
		}
		r[strconv.Itoa(st)] = obj{"description": http.StatusText(st) + ": kind " + strings.Join(kinds, ", "),
			"content": obj{
				"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Error"}},
				CLIEnvelope:        obj{"schema": obj{"$ref": "#/components/schemas/Envelope"}},
			}}
	}
	return r
}

// errorKinds are every error kind, in the order of their statuses.
func errorKinds() []string {
	kinds := make([]string, 0, len(Statuses))
	for k := range Statuses {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int {
		if Statuses[a] != Statuses[b] {
			return Statuses[a] - Statuses[b]
		}
		return strings.Compare(a, b)
	})
	return kinds
}

func errorSchema() obj {
	return obj{"type": "object", "required": []string{"kind", "message"}, "properties": obj{
		"kind":     obj{"type": "string", "enum": errorKinds(), "description": "stable: switch on it, not on the message"},
		"message":  obj{"type": "string"},
		"position": obj{"type": "integer", "description": "kind expression: the 1-based column of the mistake"},
		"caret":    obj{"type": "string", "description": "kind expression: the expression and a caret under the mistake, as the CLI prints them"},
		"result":   obj{"description": "with format json: what the command printed before it failed (a refused plan, kept leases)"},
	}}
}

func envelopeSchema() obj {
	return obj{"type": "object", "required": []string{"stdout", "stderr", "exit_code"}, "properties": obj{
		"stdout":    obj{"type": "string"},
		"stderr":    obj{"type": "string"},
		"exit_code": obj{"type": "integer", "description": "the exit status the command has on the command line"},
	}, "description": "what the command printed and its exit status, for the CLI's --server client"}
}

// mountedDocs are the document's entries for what a Mount serves under
// /v1 beside the table's operations (path → method → operation), so the
// document lists every /v1 endpoint.
var mountedDocs = map[string]obj{}

// MountedPaths is how many operations mountedDocs holds (for the test
// that calls every documented operation).
func MountedPaths() int {
	n := 0
	for _, item := range mountedDocs {
		n += len(item)
	}
	return n
}

// documentMounted adds a Mount's endpoint to the document: a viewer's
// GET with params, answering JSON or an error.
func documentMounted(path, id, summary string, params []Param) {
	var ps []any
	for _, p := range params {
		ps = append(ps, obj{"name": p.Name, "in": p.In, "required": p.Required || p.In == "path",
			"description": paramDoc(p), "schema": schema(p)})
	}
	resp := obj{"200": obj{"description": summary, "content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}}
	for _, st := range errorStatuses(Op{Method: http.MethodGet}) {
		resp[strconv.Itoa(st)] = obj{"description": http.StatusText(st),
			"content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Error"}}}}
	}
	mountedDocs[path] = obj{"get": obj{"operationId": id, "summary": summary, "x-fleetq-role": auth.Viewer.String(),
		"parameters": ps, "responses": resp}}
}

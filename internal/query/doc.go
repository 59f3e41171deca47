// Package query is fleetq's language: set expressions over the hosts of a
// pass, with pipeline stages. docs/language.md is the reference an
// operator reads; this is how the package is laid out.
//
// A statement goes through four steps, each in its own file:
//
//   - grammar.go: the participle grammar, one struct per production, with
//     the production in its comment. The parsers are built once.
//   - lower.go: Parse turns the grammar's tree into the AST of ast.go
//     (plain data, sealed Node and Stage interfaces), so grammar shapes
//     never reach the evaluator. Names are left unresolved: a statement
//     that starts `NAME =` keeps both of its readings, a binding and a
//     predicate.
//   - check.go: Check resolves every name and type against a pass with
//     positions, before anything runs; Resolve, its first step, picks the
//     reading of `NAME =` (a predicate when NAME is an attribute).
//   - eval.go and stages.go: Run checks, then evaluates with one small
//     method per node kind; Explain and Why trace the same evaluation and
//     walk its tree once (explaintree.go).
//
// The language reads the store only through the interfaces of
// internal/fleet (fleet.Snapshot, fleet.Pass, fleet.Attr), as promql reads
// through storage.Queryable: querytest implements them in memory for the
// tests. A read of a pass can fail; such a failure is an *Error wrapping
// ErrStorage at the name being read, never an unknown name.
//
// Errors are *Error values with a position that render as `1:8: …`, and
// with Detail as a caret under the input. Inspect and Children walk an
// expression as go/ast.Inspect does; print.go gives every node its
// canonical String, which Parse reads back as the same tree.
package query

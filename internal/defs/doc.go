// Package defs owns definitions: the NAME = expression lines of a
// definitions file, evaluated against a pass when it is sealed and stored
// as sets of that pass, so every set a decision was made from can be
// listed for that pass afterwards.
//
// A definitions file comes from a file given to one ingest (--defs), from
// the database (fleetq defs set keeps one there), or, for fleetq check,
// from the transcript of the pass it sealed. Sealer is the hook
// store.NewPass runs inside the pass's write transaction; Compare
// re-evaluates definitions on a sealed pass against what it stored; Check
// evaluates each definition on its own, for a health check that reports
// every failure and not only the first.
//
// The package parses and evaluates with internal/query and reads and
// writes through internal/store; the store knows nothing of it (nor of
// the language). It never prints: it returns definitions, sets and
// comparisons for the command to render.
package defs

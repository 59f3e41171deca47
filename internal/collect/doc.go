// Package collect reads a fleet's sources from the systems that hold
// them, for fleetq collect: a sources file (fleetq.sources.toml, Load)
// names each source, its kind and where it comes from — a file, a
// command (argv, no shell) or an HTTP URL — and Run reads every source
// concurrently, each within its timeout and all within one deadline, and
// parses it with package ingest under the same limits as fleetq ingest.
//
// A source that cannot be read (a non-zero exit, a timeout, an HTTP
// error status, output that does not parse) is a Failure with its reason
// and the tail of its command's stderr, never a partial snapshot; the
// command decides what a failure means for the pass (it carries the
// previous snapshot forward). Nothing here opens the database.
//
// Kind-aware conveniences: a prom source with queries asks the
// Prometheus HTTP API (/api/v1/query) itself, one source per query; a
// netbox source read from a URL follows the API's next links.
package collect

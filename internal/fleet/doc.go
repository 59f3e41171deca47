// Package fleet is the data contract between the language and the
// storage: host ids, typed values, and the read interfaces of a pass and
// of a snapshot. internal/query evaluates against these interfaces and
// internal/store implements them over bbolt; neither knows the other, as
// Prometheus keeps storage and model/labels below promql and tsdb, and
// restic keeps internal/restic below its repository. The package imports
// nothing of fleetq.
//
// A host is a uint32 id in the snapshot's host dictionary (Hosts); a set
// of hosts is a roaring bitmap of ids. An attribute (Attr) gives some hosts
// one typed Value each.
//
// Every read can fail. A Pass returns an error with every named read
// (Set, Attr) rather than carrying a sticky Err() as pebble's iterators
// and promql's SeriesSet do: a pass is not a stream, a query reads a few
// names from it in any order, and the caller that asked for a name is the
// one that can say which name in which statement was being read. So a
// damaged blob is an error at the read that met it, never "not found"
// (an unknown-name message with a suggestion) or an empty set. ok false
// with a nil error means the name does not exist. All, the pass's host
// set, is read when the pass is opened, so it cannot fail afterwards.
package fleet

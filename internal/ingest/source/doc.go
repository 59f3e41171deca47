// Package source is what every source kind below package ingest shares:
// the Builder that turns what a parser read into a store.SourceData (host
// keys by package hostkey, the one rule), the errors a parser returns
// (`FILE:LINE: what was wrong`), the readers of text and JSON that keep
// line numbers, the typing of scalar values, and the one sniffing rule:
// every kind's Looks is asked about the same Head of the input.
//
// The kind packages (hdfs, yarn, k8s, prom, netbox, ansible, inventory,
// hosts) import this package and never each other; package ingest, above
// them all, dispatches by kind.
package source

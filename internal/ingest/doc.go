// Package ingest reads what fleet tools print into store.SourceData. It
// is the dispatcher by kind: ParseSpec reads a source argument, Read reads
// the file or standard input within Limits, detects the kind of a bare
// path by the one sniffing rule (package source), hands the bytes to the
// kind's parser, and checks the bounds only the whole source shows.
// MapHosts puts control-plane and metric names onto inventory keys.
//
// Each kind is a package below this one (hdfs, yarn, k8s, prom, netbox,
// ansible, inventory, hosts); what they share is package source. Kinds
// import source and never each other or this package. Parsing never
// touches the database; a pass is written only after every source parsed
// cleanly.
package ingest

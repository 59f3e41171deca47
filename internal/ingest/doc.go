// Package ingest reads what fleet tools print into store.SourceData: one
// parser per source kind, content sniffing for bare paths, and the host
// mapping rules that put control-plane and metric names onto inventory
// keys. Parsing never touches the database; a pass is written only after
// every source parsed cleanly.
package ingest

// Package store keeps fleetq's passes in one bbolt file.
//
// Layout (buckets):
//
//	meta    schema version, host-dictionary size, the host fence (each
//	        dictionary chunk's range of names, fence.go)
//	hosts   the host dictionary: host ids are dense uint32s assigned in
//	        append order; names are packed 1024 to a chunk, keyed by the
//	        chunk number, so a name is one Get and a decode away
//	blobs   content-addressed values (sha256 → bytes): host-set bitmaps
//	        (roaring), encoded attributes and source manifests. A blob that
//	        did not change between passes is stored once and shared. One
//	        over 32 KiB is stored in chunks with a hash each (blob.go), so a
//	        one-host read verifies only the chunks it reads (hostvalue.go).
//	passes  pass id (big-endian) → PassInfo as JSON
//
// Records (pass records, definitions, the ledger's values, audit entries)
// end with a CRC-32C trailer (record.go), blob bytes are verified against
// their hash before they are used, and a writer checks every page of the file before bbolt
// maps it for writing (pagewalk.go): docs/storage.md lists what is checked
// when.
//
// A pass lists its source snapshots; each snapshot points at a manifest
// blob naming the bitmaps and attribute blobs it holds. Carrying a source
// forward copies one small record, never the data. Every pass is written
// in one Update transaction after all parsing is done, so a failed or
// killed ingest leaves no partial pass behind (bbolt commits atomically).
//
// Readers open the file read-only with a lock timeout and hold it only
// while they read; everything they hand out (bitmaps, attribute views) is
// valid only inside the transaction that produced it.
package store

package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"

	bolt "go.etcd.io/bbolt"
)

// Records (pass records, stored definitions, ledger values) are JSON with
// an 8-byte trailer: a NUL and "c32", which no JSON text contains, then a
// crc32c of the record's key and JSON, so a flipped key is caught too. A flipped bit anywhere in a record fails the
// checksum, and a flipped trailer leaves bytes no JSON decoder accepts. A
// record without the trailer was written before it existed and is read as
// it is.
var recordMark = []byte("\x00c32")

const recordTrailer = 8

// sealRecord appends the checksum trailer to the JSON stored under key.
func sealRecord(key, data []byte) []byte {
	out := append(append(make([]byte, 0, len(data)+recordTrailer), data...), recordMark...)
	return binary.BigEndian.AppendUint32(out, recordSum(key, data))
}

func recordSum(key, data []byte) uint32 {
	return crc32.Update(crc32.Checksum(key, castagnoli), castagnoli, data)
}

// openRecord returns a stored record's JSON, or ErrCorrupt when its
// checksum does not match. The bytes are valid until the transaction ends.
func openRecord(key, v []byte) ([]byte, error) {
	data, sum, sealed := splitRecord(v)
	if sealed && recordSum(key, data) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	return data, nil
}

// splitRecord is a stored record's JSON and checksum; sealed is false for
// a record written before the trailer existed (data is v, whole).
func splitRecord(v []byte) (data []byte, sum uint32, sealed bool) {
	n := len(v) - recordTrailer
	if n < 0 || !bytes.Equal(v[n:n+len(recordMark)], recordMark) {
		return v, 0, false
	}
	return v[:n], binary.BigEndian.Uint32(v[n+len(recordMark):]), true
}

// encodeRecord is the stored form of v: its JSON, sealed.
func encodeRecord(key []byte, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return sealRecord(key, data), nil
}

// decodeRecord verifies a stored record and decodes it into v. The error
// wraps ErrCorrupt and names neither the record nor its key: callers do.
func decodeRecord(key, v []byte, into any) error {
	data, err := openRecord(key, v)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return nil
}

// recordBuckets hold only sealed JSON records, one per key (pass records
// are checked with their pass).
var recordBuckets = [][]byte{bucketLeases, bucketLastOp, bucketStarts, bucketFreezes, bucketRollouts, bucketWeeks}

// records checks every record's checksum and JSON: those of the record
// buckets, the stored definitions and the incident.
func (c *checker) records() error {
	for _, name := range recordBuckets {
		b := c.btx.Bucket(name)
		if b == nil {
			continue
		}
		err := b.ForEach(func(k, v []byte) error { return checkRecord(k, v, "%s %x", name, k) })
		if err != nil {
			return err
		}
	}
	if b := c.btx.Bucket(bucketLedger); b != nil {
		if _, err := ledgerVersion(b); err != nil {
			return fmt.Errorf("ledger version: %w", err)
		}
		if err := knownKeys(b, "ledger", ledgerKeys); err != nil {
			return err
		}
	}
	if b := c.btx.Bucket(bucketAudit); b != nil {
		if err := checkAuditSequence(b); err != nil {
			return err
		}
		if err := b.ForEach(func(k, v []byte) error { return c.auditRecord(k, v) }); err != nil {
			return err
		}
	}
	for _, r := range []struct{ bucket, key []byte }{{bucketMeta, keyDefinitions}, {bucketLedger, keyIncident}} {
		if b := c.btx.Bucket(r.bucket); b != nil && b.Get(r.key) != nil {
			if err := checkRecord(r.key, b.Get(r.key), "%s %s", r.bucket, r.key); err != nil {
				return err
			}
		}
	}
	return nil
}

// auditRecord checks an audit entry's checksum and JSON, and its denied
// sets (ledger_denied.go) against the dictionary.
func (c *checker) auditRecord(k, v []byte) error {
	var e struct {
		DeniedSets []DeniedSet `json:"denied_sets"`
	}
	if err := decodeRecord(k, v, &e); err != nil {
		return fmt.Errorf("audit entry %d: %w", be64(k), err)
	}
	if _, err := denialGroups(e.DeniedSets, c.n); err != nil {
		return fmt.Errorf("audit entry %d: %w", be64(k), err)
	}
	return nil
}

func checkRecord(k, v []byte, format string, args ...any) error {
	var raw json.RawMessage
	if err := decodeRecord(k, v, &raw); err != nil {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
	}
	return nil
}

// Counters are 8 big-endian bytes and a crc32c of them; 8 bytes alone
// were written before the checksum.
func sealCounter(v uint64) []byte {
	b := u64(v)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func openCounter(v []byte) (uint64, error) {
	switch {
	case v == nil:
		return 0, nil
	case len(v) == 8:
		return be64(v), nil
	case len(v) == 12 && crc32.Checksum(v[:8], castagnoli) == binary.BigEndian.Uint32(v[8:]):
		return be64(v[:8]), nil
	}
	return 0, fmt.Errorf("%w: counter of %d bytes fails its checksum", ErrCorrupt, len(v))
}

// metaKeys are every key the meta bucket may hold.
var (
	metaKeys   = map[string]bool{string(keyVersion): true, string(keyNHosts): true, string(keyDefinitions): true, string(keyHostFence): true}
	ledgerKeys = map[string]bool{string(keyLedgerVersion): true, string(keyIncident): true, string(keyAuditHead): true}
)

// checkMetaKeys refuses a meta bucket holding a key fleetq never writes:
// a damaged key, whose record would otherwise read as absent.
func checkMetaKeys(btx *bolt.Tx) error { return knownKeys(btx.Bucket(bucketMeta), "meta", metaKeys) }

func knownKeys(b *bolt.Bucket, name string, known map[string]bool) error {
	return b.ForEach(func(k, _ []byte) error {
		if !known[string(k)] {
			return fmt.Errorf("%w: %s bucket holds an unknown key %q (damaged)", ErrCorrupt, name, excerptKey(k))
		}
		return nil
	})
}

func excerptKey(k []byte) string {
	if len(k) > 40 {
		return string(k[:40]) + "…"
	}
	return string(k)
}

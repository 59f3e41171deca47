package store

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// LastAuditExcept is the id of the newest audit entry whose kind is not
// skip, 0 when there is none. It reads back from the end past at most
// limit entries of kind skip, and returns the id it stopped at when they
// are more: a bounded read, for a state stamp that a burst of entries of
// one kind (fleetq serve's refusal batches) should not move.
func (t *Tx) LastAuditExcept(skip string, limit int) (int64, error) {
	b := t.btx.Bucket(bucketAudit)
	if b == nil {
		return 0, nil
	}
	c := b.Cursor()
	k, v := c.Last()
	for ; k != nil; k, v = c.Prev() {
		if len(k) != 8 {
			return 0, fmt.Errorf("audit log: %w: a key of %d bytes", ErrCorrupt, len(k))
		}
		kind, err := recordKind(k, v)
		if err != nil {
			return 0, fmt.Errorf("audit entry %d: %w", be64(k), err)
		}
		if kind != skip || limit <= 0 {
			return int64(be64(k)), nil
		}
		limit--
	}
	return 0, nil
}

// recordKind is the "kind" of a sealed audit record, its checksum
// verified, read without decoding the rest: an entry's kind comes before
// its host lists, which a decision over a big fleet makes megabytes long.
func recordKind(key, v []byte) (string, error) {
	data, err := openRecord(key, v)
	if err != nil {
		return "", err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", fmt.Errorf("%w: not a JSON object", ErrCorrupt)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if t == "kind" {
			var kind string
			if err := dec.Decode(&kind); err != nil {
				return "", fmt.Errorf("%w: kind: %v", ErrCorrupt, err)
			}
			return kind, nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
	}
	return "", nil
}

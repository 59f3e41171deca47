package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The audit log is a hash chain. An entry's canonical bytes are the JSON
// stored under its key (sealed with a record checksum since the chain's
// second version, which is not part of them: the checksum finds damage
// on every read, the chain finds edits on verify); each entry's Prev is the hex SHA-256 of
// the canonical bytes of the entry before it (for entry 1, of no bytes),
// and the ledger bucket's audit_head is the hash of the last entry. So
// editing an entry breaks the Prev of the next one (or the head, for the
// last), and removing or reordering one breaks the chain at the gap.
//
// Entries written before the chain existed have no Prev: VerifyAudit
// reports them as unchained and checks the chain from the first entry
// that has one (which hashes the last unchained entry, so the boundary
// is covered). An entry without Prev after a chained one is a break.

var keyAuditHead = []byte("audit_head")

// AuditCheck is the result of verifying the audit log's hash chain.
type AuditCheck struct {
	Entries int `json:"entries"`
	Chained int `json:"chained"`
	// FirstUnchained..LastUnchained are the entries written by an older
	// fleetq, before the chain (0 when there are none).
	FirstUnchained int64          `json:"first_unchained,omitempty"`
	LastUnchained  int64          `json:"last_unchained,omitempty"`
	Problems       []AuditProblem `json:"problems"`
}

// AuditProblem is one break of the chain, at the entry where it shows.
type AuditProblem struct {
	ID      int64  `json:"id"`
	Problem string `json:"problem"`
}

func (p AuditProblem) String() string { return fmt.Sprintf("audit entry %d: %s", p.ID, p.Problem) }

// OK reports whether the chain holds.
func (c *AuditCheck) OK() bool { return len(c.Problems) == 0 }

// hashMismatch is how a chain break reads.
const hashMismatch = "hash mismatch (edited or removed entry before it)"

// VerifyAudit walks the audit log and checks every link of its chain, its
// sequence and its head. It reads raw bytes, so an entry that no longer
// parses is a problem reported, not an error.
func (t *Tx) VerifyAudit() (*AuditCheck, error) {
	r := &AuditCheck{Problems: []AuditProblem{}}
	b := t.btx.Bucket(bucketAudit)
	if b == nil {
		return r, nil
	}
	var prev []byte
	var prevID int64
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		id := int64(be64(k))
		r.Entries++
		data, err := openRecord(k, v)
		if err != nil {
			r.problem(id, "its checksum does not match (damaged, or edited by hand)")
			data = entryJSON(v)
		}
		r.link(id, prevID, prev, data)
		prev, prevID = data, id
	}
	r.end(prevID, prev, int64(b.Sequence()), t.auditHead())
	return r, nil
}

// link checks one entry against the one stored before it.
func (r *AuditCheck) link(id, prevID int64, prev, data []byte) {
	var e struct {
		ID   int64  `json:"id"`
		Prev string `json:"prev"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		r.problem(id, "not valid JSON (edited): "+err.Error())
		return
	}
	if e.ID != id {
		r.problem(id, fmt.Sprintf("its id field says %d (edited or reordered)", e.ID))
	}
	switch {
	case e.Prev == "" && r.Chained == 0:
		if r.FirstUnchained == 0 {
			r.FirstUnchained = id
		}
		r.LastUnchained = id
	case e.Prev == "":
		r.problem(id, hashMismatch+": it has no prev hash, after chained entries")
	case prevID != id-1:
		r.Chained++
		r.problem(id, fmt.Sprintf("%s: entries %d–%d are missing", hashMismatch, prevID+1, id-1))
	default:
		r.Chained++
		if e.Prev != chainHash(prev) {
			r.problem(id, hashMismatch)
		}
	}
}

// end checks that no entry was removed from the end of the log and that
// the last one is the one the head hash names.
func (r *AuditCheck) end(lastID int64, last []byte, seq int64, head string) {
	if seq > lastID {
		r.problem(lastID+1, fmt.Sprintf("missing: the log was written up to entry %d (removed from its end)", seq))
	}
	switch {
	case head == "" && r.Chained > 0:
		r.problem(lastID, "the log's head hash is missing (edited)")
	case head != "" && head != chainHash(last):
		r.problem(lastID, "hash mismatch with the log's head (the last entry was edited or removed)")
	}
}

func (r *AuditCheck) problem(id int64, what string) {
	r.Problems = append(r.Problems, AuditProblem{ID: id, Problem: what})
}

// chainHash is the hex SHA-256 of an entry's canonical (stored) bytes.
func chainHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// lastEntry is the canonical bytes of the log's last entry (nil if none),
// or ErrCorrupt when its checksum does not match: nothing is chained to a
// damaged entry.
func lastEntry(b *bolt.Bucket) ([]byte, error) {
	k, v := b.Cursor().Last()
	if k == nil {
		return nil, nil
	}
	data, err := openRecord(k, v)
	if err != nil {
		return nil, fmt.Errorf("audit entry %d: %w", be64(k), err)
	}
	return data, nil
}

// entryJSON is a stored entry without its checksum trailer, checked or not.
func entryJSON(v []byte) []byte {
	data, _, _ := splitRecord(v)
	return data
}

func (t *Tx) setAuditHead(last []byte) error {
	b, err := t.bucket(bucketLedger)
	if err != nil {
		return err
	}
	return b.Put(keyAuditHead, []byte(chainHash(last)))
}

func (t *Tx) auditHead() string {
	if b := t.btx.Bucket(bucketLedger); b != nil {
		return string(b.Get(keyAuditHead))
	}
	return ""
}

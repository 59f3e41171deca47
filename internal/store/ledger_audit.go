package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// AuditEntry is one record of the append-only audit log: every decision,
// committed or not, forced or not, and every freeze, incident and release.
type AuditEntry struct {
	ID            int64     `json:"id"`
	Time          time.Time `json:"time"`
	Requester     string    `json:"requester"`
	Kind          string    `json:"kind"` // decision, apply, release, freeze, unfreeze, incident
	Verb          string    `json:"verb,omitempty"`
	Expr          string    `json:"expr,omitempty"`
	Reason        string    `json:"reason,omitempty"`
	Pass          int64     `json:"pass,omitempty"`
	PolicyHash    string    `json:"policy_hash,omitempty"`
	Seed          uint64    `json:"seed,omitempty"`
	LedgerVersion uint64    `json:"ledger_version"`
	Committed     bool      `json:"committed"`
	Forced        bool      `json:"forced,omitempty"`
	Token         string    `json:"token,omitempty"`
	Approved      []string  `json:"approved"`
	Denied        []Denied  `json:"denied"`
	// Refused is why a request was refused as a whole (over max_request).
	Refused string `json:"refused,omitempty"`
	// Decision is the full decision (per-cluster arithmetic) and Inputs
	// the ledger state it read, so `fleetq audit replay` can recompute it.
	Decision json.RawMessage `json:"decision,omitempty"`
	Inputs   json.RawMessage `json:"inputs,omitempty"`
}

// Denied is one host a decision refused and the rule that refused it.
type Denied struct {
	Host   string `json:"host"`
	Rule   string `json:"rule"`
	Detail string `json:"detail,omitempty"`
}

// AppendAudit appends e with the next sequence number as its id.
func (t *Tx) AppendAudit(e *AuditEntry) (int64, error) {
	b, err := t.bucket(bucketAudit)
	if err != nil {
		return 0, err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	e.ID = int64(seq)
	return e.ID, putJSONKey(b, u64(seq), e)
}

// UpdateAudit rewrites entry e.ID (to add the token a plan was given).
func (t *Tx) UpdateAudit(e *AuditEntry) error {
	b, err := t.bucket(bucketAudit)
	if err != nil {
		return err
	}
	if b.Get(u64(uint64(e.ID))) == nil {
		return fmt.Errorf("audit entry %d: %w", e.ID, ErrNoAudit)
	}
	return putJSONKey(b, u64(uint64(e.ID)), e)
}

// Audit returns entry id.
func (t *Tx) Audit(id int64) (*AuditEntry, error) {
	b := t.btx.Bucket(bucketAudit)
	if b == nil || id < 1 || b.Get(u64(uint64(id))) == nil {
		return nil, fmt.Errorf("audit entry %d: %w", id, ErrNoAudit)
	}
	var e AuditEntry
	if err := json.Unmarshal(b.Get(u64(uint64(id))), &e); err != nil {
		return nil, fmt.Errorf("%w: audit %d: %v", ErrCorrupt, id, err)
	}
	return &e, nil
}

// AuditLog lists the entries at or after since, oldest first.
func (t *Tx) AuditLog(since time.Time) ([]AuditEntry, error) {
	var out []AuditEntry
	err := eachJSON(t.btx, bucketAudit, func(_ []byte, e *AuditEntry) {
		if !e.Time.Before(since) {
			out = append(out, *e)
		}
	})
	return out, err
}

// PutPolicyText keeps a policy's text under its hash (once).
func (t *Tx) PutPolicyText(hash string, text []byte) error {
	b, err := t.bucket(bucketPolicies)
	if err != nil || b.Get([]byte(hash)) != nil {
		return err
	}
	return b.Put([]byte(hash), text)
}

// PolicyText returns the text of a policy a decision recorded.
func (t *Tx) PolicyText(hash string) ([]byte, bool) {
	b := t.btx.Bucket(bucketPolicies)
	if b == nil {
		return nil, false
	}
	v := b.Get([]byte(hash))
	if v == nil {
		return nil, false
	}
	return append([]byte(nil), v...), true
}

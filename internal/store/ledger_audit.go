package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// AuditEntry is one record of the append-only audit log: every decision,
// committed or not, forced or not, every apply (granted or refused),
// release, lease expiry, freeze and incident change. Entries are never
// rewritten: each holds the hash of the one before it (Prev), which
// VerifyAudit checks.
type AuditEntry struct {
	ID            int64     `json:"id"`
	Prev          string    `json:"prev,omitempty"` // sha256 of the previous entry's stored bytes (see VerifyAudit)
	Time          time.Time `json:"time"`
	Requester     string    `json:"requester"`
	Kind          string    `json:"kind"` // one of AuditKinds
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
	// Duration is a decision's requested lease length (--duration), as
	// Go writes durations (2h0m0s); "" when none was asked for.
	Duration string   `json:"duration,omitempty"`
	Approved []string `json:"approved"`
	Denied   []Denied `json:"denied"`
	// DeniedSets is how a decision stores its denied hosts (and its
	// decision record's denied list) since the compact form
	// (ledger_denied.go); reading the entry expands them into Denied and
	// the record, and clears this field.
	DeniedSets []DeniedSet `json:"denied_sets,omitempty"`
	// Refused is why a request was refused as a whole (over max_request),
	// or why an apply refused its token.
	Refused string `json:"refused,omitempty"`
	// Plan is the dry run an apply named; AppliedBy, on an apply refused
	// as already applied, is the apply entry that committed that plan.
	Plan      int64 `json:"plan,omitempty"`
	AppliedBy int64 `json:"applied_by,omitempty"`
	// Planned is, on an apply of a subset of its plan (apply --hosts),
	// every host the plan approved; Approved is then the hosts started.
	Planned []string `json:"planned,omitempty"`
	// Hosts is what a release did to each host it was asked about.
	Hosts []AuditHost `json:"hosts,omitempty"`
	// Lease is the lease a lease-expired entry records.
	Lease *Lease `json:"lease,omitempty"`
	// Refusal is what a refused entry counts: requests fleetq serve
	// refused before any command ran.
	Refusal *AuditRefusal `json:"refusal,omitempty"`
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

// AuditHost is one host of a release entry: released, kept or forced.
type AuditHost struct {
	Host   string `json:"host"`
	Verb   string `json:"verb,omitempty"`
	Result string `json:"result"` // released, forced, kept, no-lease
	Detail string `json:"detail,omitempty"`
}

// AuditRefusal is a refused entry's count of requests of one principal
// (or, unauthenticated, one client address) to one operation refused
// for one reason, between First and Last: fleetq serve writes at most
// about one batch of these a second, however many requests it refuses.
type AuditRefusal struct {
	Op     string    `json:"op"`               // the operation (its id), or the route
	Kind   string    `json:"kind"`             // the API error kind: unauthenticated, forbidden, too_large, rate_limited, bad_request
	Remote string    `json:"remote,omitempty"` // the client's address (the last one seen)
	Count  int       `json:"count"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
	// Message is the last refusal's message, as the client got it.
	Message string `json:"message"`
}

// NextAuditID is the id the next AppendAudit of this transaction will
// give, so an entry can carry what is derived from its own id (a plan
// token) before it is appended: entries are never rewritten.
func (t *Tx) NextAuditID() int64 {
	b := t.btx.Bucket(bucketAudit)
	if b == nil {
		return 1
	}
	if err := checkAuditSequence(b); err != nil {
		t.fail(err)
	}
	return int64(b.Sequence()) + 1
}

// checkAuditSequence: the log's counter (kept by bbolt in the bucket's
// header, outside any checksum) is the id of its last entry, as every
// append leaves it; anything else is a damaged counter or a hand-edited
// log, and appending after it would number entries wrongly.
func checkAuditSequence(b *bolt.Bucket) error {
	k, _ := b.Cursor().Last()
	last := uint64(0)
	if len(k) == 8 {
		last = be64(k)
	}
	if b.Sequence() != last {
		return fmt.Errorf("audit log: %w: its counter says %d, its last entry is %d (damaged, or an entry was removed by hand; fleetq audit verify)", ErrCorrupt, b.Sequence(), last)
	}
	return nil
}

// AppendAudit appends e with the next sequence number as its id and the
// hash of the previous entry as its Prev, and moves the log's head hash
// to it. An e.ID set beforehand (from NextAuditID) must be that number.
func (t *Tx) AppendAudit(e *AuditEntry) (int64, error) {
	b, err := t.bucket(bucketAudit)
	if err != nil {
		return 0, err
	}
	if err := checkAuditSequence(b); err != nil {
		return 0, err
	}
	if e.ID != 0 && e.ID != t.NextAuditID() {
		return 0, fmt.Errorf("audit entry %d: expected id %d (appended out of order)", e.ID, t.NextAuditID())
	}
	last, err := lastEntry(b)
	if err != nil {
		return 0, err
	}
	e.Prev = chainHash(last)
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	e.ID = int64(seq)
	data, err := json.Marshal(e)
	if err != nil {
		return 0, err
	}
	if err := b.Put(u64(seq), sealRecord(u64(seq), data)); err != nil {
		return 0, err
	}
	return e.ID, t.setAuditHead(data)
}

// Audit returns entry id.
func (t *Tx) Audit(id int64) (*AuditEntry, error) {
	b := t.btx.Bucket(bucketAudit)
	if b == nil || id < 1 || b.Get(u64(uint64(id))) == nil {
		return nil, fmt.Errorf("audit entry %d: %w", id, ErrNoAudit)
	}
	var e AuditEntry
	if err := t.decodeAudit(u64(uint64(id)), b.Get(u64(uint64(id))), &e); err != nil {
		return nil, fmt.Errorf("audit entry %d: %w", id, err)
	}
	return &e, nil
}

// decodeAudit verifies and decodes a stored entry, its denied sets
// expanded.
func (t *Tx) decodeAudit(k, v []byte, e *AuditEntry) error {
	if err := decodeRecord(k, v, e); err != nil {
		return err
	}
	return t.expandDenied(e)
}

// AuditSince lists the entries with an id greater than after, oldest first.
func (t *Tx) AuditSince(after int64) ([]AuditEntry, error) {
	b := t.btx.Bucket(bucketAudit)
	if b == nil {
		return nil, nil
	}
	var out []AuditEntry
	c := b.Cursor()
	for k, v := c.Seek(u64(uint64(after + 1))); k != nil; k, v = c.Next() {
		var e AuditEntry
		if err := t.decodeAudit(k, v, &e); err != nil {
			return nil, fmt.Errorf("audit entry %d: %w", be64(k), err)
		}
		out = append(out, e)
	}
	return out, nil
}

// AuditLog lists the entries at or after since, oldest first.
func (t *Tx) AuditLog(since time.Time) ([]AuditEntry, error) {
	all, err := t.AuditSince(0)
	out := all[:0]
	for _, e := range all {
		if !e.Time.Before(since) {
			out = append(out, e)
		}
	}
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

// Audit entry kinds.
const (
	KindDecision      = "decision"       // a verb's dry run (or a request refused as a whole)
	KindCommit        = "commit"         // a verb run with --commit
	KindApply         = "apply"          // fleetq apply TOKEN: granted, or Refused (stale, already applied, bad token)
	KindRelease       = "release"        // fleetq release: Hosts says released, forced or kept
	KindLeaseExpired  = "lease-expired"  // a lease seen expired by a writing command
	KindFreeze        = "freeze"         // fleetq freeze
	KindUnfreeze      = "unfreeze"       // fleetq unfreeze
	KindIncidentStart = "incident-start" // fleetq incident start
	KindIncidentStop  = "incident-stop"  // fleetq incident stop
	KindRollout       = "rollout"        // fleetq plan rollout
	KindWeek          = "week"           // fleetq plan week
	KindWeekCancel    = "week-cancel"    // fleetq week cancel
	KindRefused       = "refused"        // requests fleetq serve refused before a command ran (Refusal counts them)
	// KindCancel is fleetq cancel: a plan withdrawn (Plan, Token), or
	// leases ended whose hosts were never taken down (Approved, Hosts).
	KindCancel = "cancel"
)

// AuditKinds lists every kind, in the order the docs give them.
var AuditKinds = []string{KindDecision, KindCommit, KindApply, KindRelease, KindLeaseExpired,
	KindFreeze, KindUnfreeze, KindIncidentStart, KindIncidentStop, KindRollout, KindWeek, KindWeekCancel, KindRefused, KindCancel}

// KindOf is an entry's kind; a committed decision written by an older
// fleetq (kind decision, committed) reads as a commit.
func (e *AuditEntry) KindOf() string {
	if e.Kind == KindDecision && e.Committed {
		return KindCommit
	}
	return e.Kind
}

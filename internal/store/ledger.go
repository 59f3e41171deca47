package store

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The action ledger: what fleetq has approved and who holds which host.
// Its buckets are created by the first write that needs them (inside that
// write's transaction), so a database that never ran an action has none
// and read-only openers treat a missing bucket as empty.
//
//	ledger    version (bumped by every lease, release, freeze or incident
//	          change: plan tokens refuse to apply across one), incident
//	leases    host → Lease (one per host across all verbs)
//	lastop    host → when its last lease ended (cooldowns)
//	starts    start time (big-endian unix ns) + host → Start (rate limits)
//	freezes   cluster name or "all" → Freeze
//	audit     sequence → AuditEntry, append-only
//	policies  policy hash → policy text, so a decision can be replayed
//	rollouts  id → Rollout (ledger_rollout.go)
var (
	bucketLedger   = []byte("ledger")
	bucketLeases   = []byte("leases")
	bucketLastOp   = []byte("lastop")
	bucketStarts   = []byte("starts")
	bucketFreezes  = []byte("freezes")
	bucketAudit    = []byte("audit")
	bucketPolicies = []byte("policies")

	keyLedgerVersion = []byte("version")
	keyIncident      = []byte("incident")
)

// Lease is one host held by one operation.
type Lease struct {
	Host      string    `json:"host"`
	Verb      string    `json:"verb"`
	Cluster   string    `json:"cluster,omitempty"`
	Requester string    `json:"requester"`
	Reason    string    `json:"reason"`
	Start     time.Time `json:"start"`
	Expiry    time.Time `json:"expiry"`
	Audit     int64     `json:"audit"` // the decision that granted it
	Forced    bool      `json:"forced,omitempty"`
	// Requested is the --duration the lease was asked for with, as Go
	// writes durations ("" when the verb's lease applied).
	Requested string `json:"requested,omitempty"`
	// Expired is the lease-expired audit entry that recorded its expiry
	// (0 until a writing command has seen it expired).
	Expired int64 `json:"expired,omitempty"`
}

// Active reports whether the lease still holds at now.
func (l Lease) Active(now time.Time) bool { return now.Before(l.Expiry) }

// Freeze is a change moratorium on one cluster, on all ("all"), or on
// the hosts of an expression (Expr set; Scope is then its canonical
// text), evaluated again on every later decision's pass.
type Freeze struct {
	Scope     string    `json:"scope"`
	Expr      string    `json:"expr,omitempty"`
	Reason    string    `json:"reason"`
	Requester string    `json:"requester"`
	Start     time.Time `json:"start"`
	Until     time.Time `json:"until,omitzero"` // zero: until unfrozen
}

// Active reports whether the freeze holds at now.
func (f Freeze) Active(now time.Time) bool { return f.Until.IsZero() || now.Before(f.Until) }

// Incident is fleet-wide incident mode: nothing automatic happens.
type Incident struct {
	Reason    string    `json:"reason"`
	Requester string    `json:"requester"`
	Start     time.Time `json:"start"`
	// Expr, when set, scopes the incident to the hosts of a set
	// expression, evaluated on every decision's pass (like a freeze by
	// expression); "" is the whole fleet. Older ledgers have none.
	Expr string `json:"expr,omitempty"`
}

// Start records one lease start, for rate limits per cluster and verb.
type Start struct {
	Host    string    `json:"host"`
	Verb    string    `json:"verb"`
	Cluster string    `json:"cluster"`
	At      time.Time `json:"at"`
}

// Ledger is the ledger as one decision reads it.
type Ledger struct {
	Version  uint64               `json:"version"`
	Leases   []Lease              `json:"leases"`             // by host
	Freezes  []Freeze             `json:"freezes,omitempty"`  // by scope
	Incident *Incident            `json:"incident,omitempty"` // nil: none
	Starts   []Start              `json:"starts,omitempty"`   // oldest first
	LastOp   map[string]time.Time `json:"last_op,omitempty"`  // host → last lease end
	// Halted are the halted rollouts: their later waves are refused.
	Halted []Rollout `json:"halted,omitempty"`
	// Weeks are the planned maintenance weeks that end after the ledger
	// was read from (startsSince): while one runs, its slots are the
	// windows of its hosts.
	Weeks []Week `json:"weeks,omitempty"`
}

// Ledger reads the ledger, with lease starts at or after startsSince.
// Missing buckets read as empty.
func (t *Tx) Ledger(startsSince time.Time) (*Ledger, error) {
	l := &Ledger{Version: t.LedgerVersion(), LastOp: map[string]time.Time{}}
	if err := eachJSON(t.btx, bucketLeases, func(_ []byte, v *Lease) { l.Leases = append(l.Leases, *v) }); err != nil {
		return nil, err
	}
	if err := eachJSON(t.btx, bucketFreezes, func(_ []byte, v *Freeze) { l.Freezes = append(l.Freezes, *v) }); err != nil {
		return nil, err
	}
	if err := eachJSON(t.btx, bucketLastOp, func(k []byte, v *time.Time) { l.LastOp[string(k)] = *v }); err != nil {
		return nil, err
	}
	inc, err := t.incident()
	if err != nil {
		return nil, err
	}
	l.Incident = inc
	if l.Halted, err = t.haltedRollouts(); err != nil {
		return nil, err
	}
	if l.Weeks, err = t.plannedWeeks(startsSince); err != nil {
		return nil, err
	}
	l.Starts, err = t.starts(startsSince)
	return l, err
}

// LedgerVersion is the ledger's change counter (0 before any change).
// A damaged counter, or one missing from an existing ledger (whose first
// change wrote it), is a read error of the transaction (Tx.Err).
func (t *Tx) LedgerVersion() uint64 {
	b := t.btx.Bucket(bucketLedger)
	if b == nil {
		return 0
	}
	v, err := ledgerVersion(b)
	if err != nil {
		t.fail(fmt.Errorf("ledger version: %w", err))
	}
	return v
}

// ledgerVersion reads the counter of the ledger bucket b. Missing is 0
// (the bucket may hold only the audit head), unless the bucket holds a
// key it never has: then a flipped bit renamed the counter.
func ledgerVersion(b *bolt.Bucket) (uint64, error) {
	if v := b.Get(keyLedgerVersion); v != nil {
		return openCounter(v)
	}
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if !bytes.Equal(k, keyIncident) && !bytes.Equal(k, keyAuditHead) {
			return 0, fmt.Errorf("%w: unknown key %q in the ledger", ErrCorrupt, k)
		}
	}
	return 0, nil
}

func (t *Tx) incident() (*Incident, error) {
	b := t.btx.Bucket(bucketLedger)
	if b == nil || b.Get(keyIncident) == nil {
		return nil, nil
	}
	var inc Incident
	if err := decodeRecord(keyIncident, b.Get(keyIncident), &inc); err != nil {
		return nil, fmt.Errorf("incident: %w", err)
	}
	return &inc, nil
}

func (t *Tx) starts(since time.Time) ([]Start, error) {
	b := t.btx.Bucket(bucketStarts)
	if b == nil {
		return nil, nil
	}
	var out []Start
	c := b.Cursor()
	for k, v := c.Seek(u64(uint64(since.UnixNano()))); k != nil; k, v = c.Next() {
		var s Start
		if err := decodeRecord(k, v, &s); err != nil {
			return nil, fmt.Errorf("starts: %w", err)
		}
		out = append(out, s)
	}
	return out, nil
}

// PutLeases grants leases in this write transaction: each replaces any
// earlier (expired or released) lease on its host, whose end becomes the
// host's last operation; each start is recorded for rate limits. The
// ledger version is bumped once.
func (t *Tx) PutLeases(ls []Lease) error {
	leases, err := t.bucket(bucketLeases)
	if err != nil {
		return err
	}
	for _, l := range ls {
		if err := t.endPrior(leases, l.Host, l.Start); err != nil {
			return err
		}
		if err := putJSONKey(leases, []byte(l.Host), l); err != nil {
			return err
		}
		if err := t.recordStart(Start{Host: l.Host, Verb: l.Verb, Cluster: l.Cluster, At: l.Start}); err != nil {
			return err
		}
	}
	return t.bumpLedger()
}

// endPrior records when a host's previous lease ended (its expiry, or now
// if it is somehow still active) before a new one replaces it.
func (t *Tx) endPrior(leases *bolt.Bucket, host string, now time.Time) error {
	v := leases.Get([]byte(host))
	if v == nil {
		return nil
	}
	var old Lease
	if err := decodeRecord([]byte(host), v, &old); err != nil {
		return fmt.Errorf("lease %s: %w", host, err)
	}
	end := old.Expiry
	if end.After(now) {
		end = now
	}
	return t.setLastOp(host, end)
}

func (t *Tx) recordStart(s Start) error {
	b, err := t.bucket(bucketStarts)
	if err != nil {
		return err
	}
	key := append(u64(uint64(s.At.UnixNano())), s.Host...)
	return putJSONKey(b, key, s)
}

func (t *Tx) setLastOp(host string, at time.Time) error {
	b, err := t.bucket(bucketLastOp)
	if err != nil {
		return err
	}
	return putJSONKey(b, []byte(host), at)
}

// RecordExpiries appends a lease-expired audit entry for every lease that
// has expired at now and has none yet, and marks the lease with it. A
// read-only command cannot write, so an expiry is recorded by the first
// write transaction that sees it (every verb, apply, release, freeze,
// unfreeze and incident change call this first); the entry's time is
// when it was seen, its lease says when it expired. The ledger version
// does not change: an expiry is time passing, not a change of the ledger.
func (t *Tx) RecordExpiries(now time.Time, observer string) error {
	var expired []Lease
	if err := eachJSON(t.btx, bucketLeases, func(_ []byte, l *Lease) {
		if !l.Active(now) && l.Expired == 0 {
			expired = append(expired, *l)
		}
	}); err != nil || len(expired) == 0 {
		return err
	}
	leases, err := t.bucket(bucketLeases)
	if err != nil {
		return err
	}
	for i := range expired {
		if err := t.recordExpiry(leases, &expired[i], now, observer); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tx) recordExpiry(leases *bolt.Bucket, l *Lease, now time.Time, observer string) error {
	e := &AuditEntry{Time: now, Requester: observer, Kind: KindLeaseExpired, Verb: l.Verb, Expr: l.Host,
		Reason:        fmt.Sprintf("lease of %s (audit %d) expired at %s", l.Requester, l.Audit, l.Expiry.UTC().Format(time.RFC3339)),
		LedgerVersion: t.LedgerVersion(), Approved: []string{}, Lease: l}
	id, err := t.AppendAudit(e)
	if err != nil {
		return err
	}
	l.Expired = id
	return putJSONKey(leases, []byte(l.Host), l)
}

// ReleaseLeases ends the leases of hosts at now and returns the leases it
// removed; hosts without a lease are ignored. Each end is the host's last
// operation, from which its cooldown counts.
func (t *Tx) ReleaseLeases(hosts []string, now time.Time) ([]Lease, error) {
	return t.endLeases(hosts, now, true)
}

// CancelLeases removes the leases of hosts that were never taken down
// (fleetq cancel): no operation happened, so the host's last operation,
// and with it its cooldown, stays what it was before the lease.
func (t *Tx) CancelLeases(hosts []string, now time.Time) ([]Lease, error) {
	return t.endLeases(hosts, now, false)
}

func (t *Tx) endLeases(hosts []string, now time.Time, operated bool) ([]Lease, error) {
	leases, err := t.bucket(bucketLeases)
	if err != nil {
		return nil, err
	}
	var out []Lease
	for _, h := range hosts {
		v := leases.Get([]byte(h))
		if v == nil {
			continue
		}
		var l Lease
		if err := decodeRecord([]byte(h), v, &l); err != nil {
			return nil, fmt.Errorf("lease %s: %w", h, err)
		}
		if operated {
			if err := t.endPrior(leases, h, now); err != nil {
				return nil, err
			}
		}
		if err := leases.Delete([]byte(h)); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, t.bumpLedger()
}

// PutFreeze starts (or replaces) a freeze.
func (t *Tx) PutFreeze(f Freeze) error {
	b, err := t.bucket(bucketFreezes)
	if err != nil {
		return err
	}
	if err := putJSONKey(b, []byte(f.Scope), f); err != nil {
		return err
	}
	return t.bumpLedger()
}

// DeleteFreeze ends a freeze; it reports whether there was one.
func (t *Tx) DeleteFreeze(scope string) (bool, error) {
	b, err := t.bucket(bucketFreezes)
	if err != nil || b.Get([]byte(scope)) == nil {
		return false, err
	}
	if err := b.Delete([]byte(scope)); err != nil {
		return false, err
	}
	return true, t.bumpLedger()
}

// SetIncident starts incident mode, or ends it when inc is nil.
func (t *Tx) SetIncident(inc *Incident) error {
	b, err := t.bucket(bucketLedger)
	if err != nil {
		return err
	}
	if inc == nil {
		err = b.Delete(keyIncident)
	} else {
		err = putJSONKey(b, keyIncident, inc)
	}
	if err != nil {
		return err
	}
	return t.bumpLedger()
}

func (t *Tx) bumpLedger() error {
	b, err := t.bucket(bucketLedger)
	if err != nil {
		return err
	}
	return b.Put(keyLedgerVersion, sealCounter(t.LedgerVersion()+1))
}

// bucket returns one of the ledger's buckets, creating it: only in a
// write transaction.
func (t *Tx) bucket(name []byte) (*bolt.Bucket, error) {
	if !t.btx.Writable() {
		return nil, fmt.Errorf("ledger: %s: read-only transaction", name)
	}
	return t.btx.CreateBucketIfNotExists(name)
}

func putJSONKey(b *bolt.Bucket, key []byte, v any) error {
	data, err := encodeRecord(key, v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// eachJSON decodes every value of a bucket in key order; a missing bucket
// has none.
func eachJSON[T any](btx *bolt.Tx, name []byte, fn func(k []byte, v *T)) error {
	b := btx.Bucket(name)
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, data []byte) error {
		var v T
		if err := decodeRecord(k, data, &v); err != nil {
			return fmt.Errorf("%s %q: %w", name, k, err)
		}
		fn(k, &v)
		return nil
	})
}

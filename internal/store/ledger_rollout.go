package store

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Rollouts are ledger objects: a plan's waves and canary strata by host
// name, kept in the bucket "rollouts" (id → Rollout, created by the first
// write that needs it), so they outlive every later pass. A halted
// rollout is part of what a decision reads (Ledger.Halted).
var bucketRollouts = []byte("rollouts")

// Rollout states.
const (
	RolloutActive = "active"
	RolloutHalted = "halted"
	RolloutDone   = "done"
)

// Rollout is one progressive rollout as `fleetq plan rollout` recorded it.
type Rollout struct {
	ID        int64         `json:"id"`
	Name      string        `json:"name,omitempty"`
	Expr      string        `json:"expr"`
	Created   time.Time     `json:"created"`
	Requester string        `json:"requester"`
	Pass      int64         `json:"pass"` // the pass it was planned on
	Seed      uint64        `json:"seed"`
	CanaryBy  []string      `json:"canary_by"`
	Waves     []RolloutWave `json:"waves"`
	Strata    []Stratum     `json:"strata"`
	State     string        `json:"state"` // active, halted, done
	Halt      *RolloutHalt  `json:"halt,omitempty"`
	Audit     int64         `json:"audit"` // the audit entry that planned it
}

// RolloutWave is one wave: 0 is the canary wave.
type RolloutWave struct {
	N     int      `json:"n"`
	Hosts []string `json:"hosts"`
}

// Stratum is one combination of the canary attributes' values and every
// host of the rollout that has it.
type Stratum struct {
	Values []string `json:"values"`
	Hosts  []string `json:"hosts"`
}

// RolloutHalt is why and when a rollout was halted.
type RolloutHalt struct {
	Wave      int       `json:"wave"`
	At        time.Time `json:"at"`
	Requester string    `json:"requester"`
	Audit     int64     `json:"audit"`
	Pass      int64     `json:"pass"` // the pass the halt was judged on
	Hosts     []string  `json:"hosts"`
	Reasons   []string  `json:"reasons"`
}

// Ref is the rollout's reference, as the language names it: r3.
func (r *Rollout) Ref() string { return fmt.Sprintf("r%d", r.ID) }

// Label is the reference and the name: "r3 (kernel68)".
func (r *Rollout) Label() string {
	if r.Name == "" {
		return r.Ref()
	}
	return r.Ref() + " (" + r.Name + ")"
}

// Hosts is every host of the rollout's waves.
func (r *Rollout) Hosts() []string {
	var out []string
	for _, w := range r.Waves {
		out = append(out, w.Hosts...)
	}
	return out
}

// CreateRollout records a new rollout with the next id (r.ID is set)
// and its audit entry, which audit builds once the id is known (r.Audit
// is set). It changes no decision, so the ledger version stays.
func (t *Tx) CreateRollout(r *Rollout, audit func(r *Rollout) *AuditEntry) error {
	b, err := t.bucket(bucketRollouts)
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	r.ID = int64(seq)
	if r.Audit, err = t.AppendAudit(audit(r)); err != nil {
		return err
	}
	return putJSONKey(b, u64(seq), r)
}

// UpdateRollout rewrites a rollout whose state changed. A halt or a
// resume changes what verbs decide, so the ledger version is bumped.
func (t *Tx) UpdateRollout(r *Rollout) error {
	b, err := t.bucket(bucketRollouts)
	if err != nil {
		return err
	}
	if b.Get(u64(uint64(r.ID))) == nil {
		return fmt.Errorf("rollout r%d: %w", r.ID, ErrNoRollout)
	}
	if err := putJSONKey(b, u64(uint64(r.ID)), r); err != nil {
		return err
	}
	return t.bumpLedger()
}

// Rollouts lists every rollout, oldest first.
func (t *Tx) Rollouts() ([]Rollout, error) {
	var out []Rollout
	err := eachJSON(t.btx, bucketRollouts, func(_ []byte, r *Rollout) { out = append(out, *r) })
	return out, err
}

var rolloutIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^r?([0-9]+)$`) })

// FindRollout finds a rollout by reference (r3, or 3) or, failing that,
// by name (the newest of that name); "" is the newest rollout.
func (t *Tx) FindRollout(ref string) (*Rollout, error) {
	if m := rolloutIDPattern().FindStringSubmatch(ref); m != nil {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		return t.rollout(id, ref)
	}
	rs, err := t.Rollouts()
	if err != nil {
		return nil, err
	}
	for i := len(rs) - 1; i >= 0; i-- {
		if ref == "" || rs[i].Name == ref {
			return &rs[i], nil
		}
	}
	if ref == "" {
		return nil, fmt.Errorf("%w: no rollout recorded yet (fleetq plan rollout records one)", ErrNoRollout)
	}
	return nil, fmt.Errorf("%w: no rollout %q (fleetq rollout list shows them)", ErrNoRollout, ref)
}

func (t *Tx) rollout(id int64, ref string) (*Rollout, error) {
	b := t.btx.Bucket(bucketRollouts)
	var v []byte
	if b != nil {
		v = b.Get(u64(uint64(id)))
	}
	if v == nil {
		return nil, fmt.Errorf("%w: no rollout %s (fleetq rollout list shows them)", ErrNoRollout, ref)
	}
	var r Rollout
	if err := decodeRecord(u64(uint64(id)), v, &r); err != nil {
		return nil, fmt.Errorf("rollout %s: %w", ref, err)
	}
	return &r, nil
}

// haltedRollouts are the halted rollouts, which decisions must read.
func (t *Tx) haltedRollouts() ([]Rollout, error) {
	var out []Rollout
	err := eachJSON(t.btx, bucketRollouts, func(_ []byte, r *Rollout) {
		if r.State == RolloutHalted {
			out = append(out, *r)
		}
	})
	return out, err
}

// RolloutSetPrefix starts a reference to a rollout's hosts in the query
// language: rollout:r3 (every wave), rollout:r3/w2 (wave 2).
const RolloutSetPrefix = "rollout:"

// rolloutSet resolves "rollout:REF[/wN]" to host names: ok is false when
// the name is not such a reference or names no recorded rollout or wave.
func rolloutSet(btx *bolt.Tx, name string) (hosts []string, origin string, ok bool) {
	ref, wave, hasWave := strings.Cut(strings.TrimPrefix(name, RolloutSetPrefix), "/")
	if btx.Bucket(bucketRollouts) == nil {
		return nil, "", false
	}
	r, err := (&Tx{btx: btx}).FindRollout(ref)
	if err != nil {
		return nil, "", false
	}
	origin = fmt.Sprintf("rollout %s planned %s by %s on pass %d, %s", r.Label(), r.Created.UTC().Format(time.RFC3339), r.Requester, r.Pass, r.State)
	if !hasWave {
		return r.Hosts(), "every wave of " + origin, true
	}
	n, err := strconv.Atoi(strings.TrimPrefix(wave, "w"))
	if err != nil || !strings.HasPrefix(wave, "w") || n < 0 || n >= len(r.Waves) {
		return nil, "", false
	}
	return r.Waves[n].Hosts, fmt.Sprintf("wave %d of %s", n, origin), true
}

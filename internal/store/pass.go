package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/fleetq/fleetq/internal/fleet"
)

// PassInfo is a sealed pass as stored.
type PassInfo struct {
	ID      int64        `json:"id"`
	Created time.Time    `json:"created"`
	Label   string       `json:"label,omitempty"`
	Parent  int64        `json:"parent,omitempty"`
	Sources []SourceInfo `json:"sources"`
	All     string       `json:"all"`   // bitmap blob of every host any source saw
	Hosts   int          `json:"hosts"` // |all|
	// Sets are sets stored in the pass itself rather than in a source:
	// materialized definitions, saved sets, rollout waves (name → blob).
	Sets map[string]string `json:"sets,omitempty"`
	// Log is the transcript of how the pass was made.
	Log *Transcript `json:"log,omitempty"`
}

// SourceInfo is one source snapshot held by a pass.
type SourceInfo struct {
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	Path     string    `json:"path"`
	Hash     string    `json:"hash"` // sha256 of the input bytes
	Records  int       `json:"records"`
	Hosts    int       `json:"hosts"`
	ReadAt   time.Time `json:"read_at"`
	ReadBy   int64     `json:"read_by"` // the pass that read it; earlier than the holder when carried
	Manifest string    `json:"manifest"`
	Unmapped []string  `json:"unmapped,omitempty"` // a few host names that mapping could not place
	NUnmap   int       `json:"n_unmapped,omitempty"`
	Warnings []string  `json:"warnings,omitempty"`
}

// Carried reports whether the snapshot was read by an earlier pass.
func (s SourceInfo) Carried(holder int64) bool { return s.ReadBy != holder }

// Transcript records how a pass was made (every pass keeps the transcript of how it was made).
type Transcript struct {
	Command     string         `json:"command,omitempty"`
	Definitions []string       `json:"definitions,omitempty"`
	Counts      map[string]int `json:"counts,omitempty"`
	Warnings    []string       `json:"warnings,omitempty"`
	// Failures are the sources a collect could not read this pass (fleetq
	// collect): each is carried forward from the parent when it had one.
	Failures []SourceFailure `json:"failures,omitempty"`
}

// SourceFailure is one source a collect could not read: why, the tail of
// what its command wrote on stderr, and the pass its carried snapshot was
// read by (0 when the parent had none, so the pass lacks the source).
type SourceFailure struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Reason      string `json:"reason"`
	Stderr      string `json:"stderr,omitempty"`
	CarriedFrom int64  `json:"carried_from,omitempty"`
}

// manifest is the stored form of one source snapshot's data.
type manifest struct {
	Hosts string            `json:"hosts"`
	Attrs []attrRef         `json:"attrs,omitempty"`
	Sets  map[string]string `json:"sets,omitempty"`
}

type attrRef struct {
	Name string     `json:"name"`
	Type fleet.Type `json:"type"`
	Blob string     `json:"blob"`
}

func passKey(id int64) []byte { return u64(uint64(id)) }

func getPass(tx *bolt.Tx, id int64) (*PassInfo, error) {
	v := tx.Bucket(bucketPasses).Get(passKey(id))
	if v == nil {
		return nil, fmt.Errorf("pass %d: %w", id, ErrNoPass)
	}
	return decodePass(passKey(id), v)
}

// decodePass decodes the pass record stored under key k: a record whose id
// is not its key's (a damaged key) is ErrCorrupt.
func decodePass(k, v []byte) (*PassInfo, error) {
	var p PassInfo
	if err := decodeRecord(k, v, &p); err != nil {
		return nil, fmt.Errorf("pass %d: record: %w", be64(k), err)
	}
	if uint64(p.ID) != be64(k) {
		return nil, fmt.Errorf("pass %d: %w: its record says pass %d", be64(k), ErrCorrupt, p.ID)
	}
	return &p, nil
}

func putPass(tx *bolt.Tx, p *PassInfo) error {
	v, err := encodeRecord(passKey(p.ID), p)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketPasses).Put(passKey(p.ID), v)
}

func latestID(tx *bolt.Tx) int64 {
	k, _ := tx.Bucket(bucketPasses).Cursor().Last()
	if k == nil {
		return 0
	}
	return int64(be64(k))
}

// DamagedPass is a pass whose record does not decode.
type DamagedPass struct {
	ID  int64
	Err error // wraps ErrCorrupt
}

// scanPasses lists every pass whose record decodes, oldest first, and
// every one whose record does not, so one damaged record hides no other.
func scanPasses(tx *bolt.Tx) (ok []PassInfo, damaged []DamagedPass) {
	_ = tx.Bucket(bucketPasses).ForEach(func(k, v []byte) error {
		if p, err := decodePass(k, v); err != nil {
			damaged = append(damaged, DamagedPass{int64(be64(k)), err})
		} else {
			ok = append(ok, *p)
		}
		return nil
	})
	return ok, damaged
}

func allPasses(tx *bolt.Tx) ([]PassInfo, error) {
	var out []PassInfo
	err := tx.Bucket(bucketPasses).ForEach(func(k, v []byte) error {
		p, err := decodePass(k, v)
		if err != nil {
			return err
		}
		out = append(out, *p)
		return nil
	})
	return out, err
}

func getManifest(tx *bolt.Tx, hash string) (*manifest, error) {
	data, err := getBlob(tx, hash)
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: manifest %s: %v", ErrCorrupt, hash[:12], err)
	}
	return &m, nil
}

// kindRank orders sources when two define the same attribute or set name:
// the inventory is the declared truth, control planes and metrics observe.
var kindRank = map[string]int{
	"inventory": 0, "netbox": 1, "ansible": 2, "hosts": 3,
	"hdfs": 4, "yarn": 5, "k8s": 6, "prom": 7,
}

func rankOf(kind string) int {
	if r, ok := kindRank[kind]; ok {
		return r
	}
	return len(kindRank)
}

// sortSources puts sources in precedence order: by kind rank, then name.
func sortSources(ss []SourceInfo) {
	sort.SliceStable(ss, func(i, j int) bool {
		ri, rj := rankOf(ss[i].Kind), rankOf(ss[j].Kind)
		if ri != rj {
			return ri < rj
		}
		return ss[i].Name < ss[j].Name
	})
}

func be64(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

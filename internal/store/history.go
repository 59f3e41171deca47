package store

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
	bolt "go.etcd.io/bbolt"
)

// SaveSets stores named sets in pass id (materialized definitions, saved
// sets, rollout waves), replacing sets of the same name stored there
// before. A name that a source of the pass defines is refused: a stored
// set never shadows what a source observed.
func (t *Tx) SaveSets(id int64, sets map[string]*roaring.Bitmap) error {
	if !t.btx.Writable() {
		return fmt.Errorf("save sets: read-only transaction")
	}
	p, err := t.Pass(id)
	if err != nil {
		return err
	}
	info := *p.info
	if info.Sets == nil {
		info.Sets = map[string]string{}
	} else {
		info.Sets = copyMap(info.Sets)
	}
	for _, name := range slices.Sorted(maps.Keys(sets)) {
		if r, ok := p.sets[name]; ok && !r.stored || name == "all" {
			return fmt.Errorf("set %q is defined by a source of pass %d; choose another name", name, id)
		}
		h, err := putBitmap(t.btx, sets[name])
		if err != nil {
			return err
		}
		info.Sets[name] = h
	}
	delete(t.passes, id)
	return putPass(t.btx, &info)
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// SetLog replaces the transcript of pass id.
func (t *Tx) SetLog(id int64, log *Transcript) error {
	p, err := getPass(t.btx, id)
	if err != nil {
		return err
	}
	p.Log = log
	delete(t.passes, id)
	return putPass(t.btx, p)
}

// Bolt exposes the underlying transaction to packages of this module that
// keep their own buckets (the action ledger).
func (t *Tx) Bolt() *bolt.Tx { return t.btx }

// StoredSetNames lists the sets stored in the pass itself, sorted.
func (v *PassView) StoredSetNames() []string {
	out := make([]string, 0, len(v.info.Sets))
	for k := range v.info.Sets {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var keyDefinitions = []byte("definitions")

// Definitions returns the definitions file kept in the database ("" when
// none) and the name it was stored from; a damaged record is ErrCorrupt.
func (t *Tx) Definitions() (text, from string, err error) {
	v := t.btx.Bucket(bucketMeta).Get(keyDefinitions)
	if v == nil {
		return "", "", checkMetaKeys(t.btx) // a flipped key is damage, not "none kept"
	}
	var d storedDefs
	if err := decodeRecord(keyDefinitions, v, &d); err != nil {
		return "", "", fmt.Errorf("stored definitions: %w", err)
	}
	return d.Text, d.From, nil
}

// SetDefinitions keeps a definitions file in the database; every later
// pass is sealed with it unless ingest is given --defs.
func (t *Tx) SetDefinitions(text, from string) error {
	v, err := encodeRecord(keyDefinitions, storedDefs{Text: text, From: from})
	if err != nil {
		return err
	}
	return t.btx.Bucket(bucketMeta).Put(keyDefinitions, v)
}

type storedDefs struct {
	Text string `json:"text"`
	From string `json:"from"`
}

package store

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	bolt "go.etcd.io/bbolt"

	"github.com/fleetq/fleetq/internal/agefmt"
	"github.com/fleetq/fleetq/internal/fleet"
)

// Tx is a transaction on the store. Everything read through it is valid
// until the transaction ends.
type Tx struct {
	btx    *bolt.Tx
	dict   *dict
	passes map[int64]*PassView
	err    error // the first read error of the ledger (see Err)
}

// Err is the first error met reading the host dictionary or the ledger
// through methods that cannot return one (fleet.Hosts, rollout sets): a
// damaged chunk is recorded here and the method answers "not found". A
// pass view's reads return their errors. DB.View and DB.Update return Err
// in place of fn's result, so a damaged file is always an error, never an
// answer; code that prints inside a transaction checks it first.
func (t *Tx) Err() error {
	if t.err == nil && t.dict.err != nil {
		return t.dict.err
	}
	return t.err
}

func (t *Tx) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

// result is what a transaction running fn returns: a read error recorded
// by the dictionary or the ledger wins over fn's own result, which may be
// a "not found" the damage caused.
func (t *Tx) result(err error) error {
	if e := t.Err(); e != nil {
		return e
	}
	return err
}

func newTx(btx *bolt.Tx) *Tx {
	return &Tx{btx: btx, dict: newDict(btx), passes: map[int64]*PassView{}}
}

// Passes lists every pass, oldest first.
func (t *Tx) Passes() ([]PassInfo, error) { return allPasses(t.btx) }

// ScanPasses lists every pass that can be read, oldest first, and every
// pass whose record is damaged.
func (t *Tx) ScanPasses() ([]PassInfo, []DamagedPass) { return scanPasses(t.btx) }

// LatestID is the newest pass id, or 0 when there is none.
func (t *Tx) LatestID() int64 { return latestID(t.btx) }

// Hosts is the host dictionary.
func (t *Tx) Hosts() *HostDict { return &HostDict{t.dict} }

// HostDict is the host dictionary: fleet.Hosts plus bulk name lookups.
type HostDict struct{ *dict }

// Pass opens a read view of pass id; 0 means the newest pass.
func (t *Tx) Pass(id int64) (*PassView, error) {
	if id == 0 {
		if id = latestID(t.btx); id == 0 {
			return nil, ErrNoPasses
		}
	}
	if v, ok := t.passes[id]; ok {
		return v, nil
	}
	info, err := getPass(t.btx, id)
	if err != nil {
		return nil, err
	}
	v, err := newPassView(t, info)
	if err != nil {
		return nil, fmt.Errorf("pass %d: %w", id, err)
	}
	t.passes[id] = v
	return v, nil
}

// Resolve finds a pass by reference relative to pass cur.
func (t *Tx) Resolve(cur int64, ref fleet.PassRef) (*PassView, error) {
	switch {
	case ref.ID != 0:
		return t.Pass(ref.ID)
	case !ref.At.IsZero():
		return t.passAt(ref.At)
	case ref.Rel < 0:
		return t.passBack(cur, -ref.Rel)
	}
	return t.Pass(cur)
}

func (t *Tx) passBack(cur int64, n int) (*PassView, error) {
	c := t.btx.Bucket(bucketPasses).Cursor()
	k, _ := c.Seek(passKey(cur))
	if k == nil || int64(be64(k)) != cur {
		return nil, fmt.Errorf("pass %d: %w", cur, ErrNoPass)
	}
	for i := 0; i < n; i++ {
		if k, _ = c.Prev(); k == nil {
			return nil, fmt.Errorf("@-%d from pass %d: %w", n, cur, ErrNoPass)
		}
	}
	return t.Pass(int64(be64(k)))
}

func (t *Tx) passAt(at time.Time) (*PassView, error) {
	ps, err := allPasses(t.btx)
	if err != nil {
		return nil, err
	}
	for i := len(ps) - 1; i >= 0; i-- {
		if !ps[i].Created.After(at) {
			return t.Pass(ps[i].ID)
		}
	}
	return nil, fmt.Errorf("no pass at or before %s: %w", at.UTC().Format(time.RFC3339), ErrNoPass)
}

// Snapshot returns a fleet.Snapshot whose current pass is cur (0: newest).
func (t *Tx) Snapshot(cur int64) (fleet.Snapshot, error) {
	p, err := t.Pass(cur)
	if err != nil {
		return nil, err
	}
	return &snapshot{tx: t, cur: p}, nil
}

type snapshot struct {
	tx  *Tx
	cur *PassView
}

func (s *snapshot) Hosts() fleet.Hosts  { return s.tx.dict }
func (s *snapshot) Current() fleet.Pass { return s.cur }
func (s *snapshot) Resolve(ref fleet.PassRef) (fleet.Pass, error) {
	return s.tx.Resolve(s.cur.info.ID, ref)
}

// PassView is a read view of one pass. It implements fleet.Pass.
type PassView struct {
	tx     *Tx
	info   *PassInfo
	sets   map[string]setRef
	attrs  map[string]attrSrc
	cache  map[string]*roaring.Bitmap
	acache map[string]fleet.Attr
	hcache map[hostRef]hostRead // one-host reads (hostvalue.go)
	all    *roaring.Bitmap
}

// setRef says how to read a named set: the union of some bitmap blobs, or
// the true hosts of a bool attribute.
type setRef struct {
	blobs  []string
	attr   string
	origin string
	stored bool  // stored in the pass itself (SaveSets), not from a source
	src    []int // indexes into info.Sources of the sources behind it
}

type attrSrc struct {
	ref    attrRef
	origin string
	src    int
}

func newPassView(t *Tx, info *PassInfo) (*PassView, error) {
	all, err := getBitmap(t.btx, info.All)
	if err != nil {
		return nil, fmt.Errorf("all: %w", err)
	}
	v := &PassView{tx: t, info: info, sets: map[string]setRef{}, attrs: map[string]attrSrc{},
		cache: map[string]*roaring.Bitmap{}, acache: map[string]fleet.Attr{}, all: all}
	for _, name := range slices.Sorted(maps.Keys(info.Sets)) {
		v.sets[name] = setRef{blobs: []string{info.Sets[name]}, origin: fmt.Sprintf("stored in pass %d", info.ID), stored: true}
	}
	for i, s := range info.Sources {
		if err := v.addSource(i, s); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (v *PassView) addSource(i int, s SourceInfo) error {
	m, err := getManifest(v.tx.btx, s.Manifest)
	if err != nil {
		return err
	}
	origin := sourceOrigin(s, v.info)
	if r, ok := v.sets[s.Name]; ok && r.attr == "" && !r.stored {
		r.blobs = append(r.blobs, m.Hosts)
		r.origin += "; " + origin
		r.src = append(r.src, i)
		v.sets[s.Name] = r
	} else if !ok || r.attr != "" {
		// A source's own host set (a host-list file) is an explicit set:
		// it wins over the implicit set of a bool attribute of that name.
		v.sets[s.Name] = setRef{blobs: []string{m.Hosts}, origin: origin, src: []int{i}}
	}
	for _, name := range slices.Sorted(maps.Keys(m.Sets)) {
		if _, ok := v.sets[name]; !ok {
			v.sets[name] = setRef{blobs: []string{m.Sets[name]}, origin: origin, src: []int{i}}
		}
	}
	for _, a := range m.Attrs {
		if _, ok := v.attrs[a.Name]; ok {
			continue
		}
		v.attrs[a.Name] = attrSrc{ref: a, origin: origin, src: i}
		if _, ok := v.sets[a.Name]; a.Type == fleet.Bool && !ok {
			v.sets[a.Name] = setRef{attr: a.Name, origin: origin + " (true values of the bool attribute)", src: []int{i}}
		}
	}
	return nil
}

// SourcesOf returns the source snapshots behind a set or attribute name
// (none for stored sets and all).
func (v *PassView) SourcesOf(name string) []SourceInfo {
	var idx []int
	if r, ok := v.sets[name]; ok {
		idx = r.src
	} else if a, ok := v.attrs[name]; ok {
		idx = []int{a.src}
	}
	out := make([]SourceInfo, 0, len(idx))
	for _, i := range idx {
		out = append(out, v.info.Sources[i])
	}
	return out
}

func sourceOrigin(s SourceInfo, holder *PassInfo) string {
	o := fmt.Sprintf("source %s:%s read %s by pass %d", s.Kind, s.Path, s.ReadAt.Format(time.RFC3339), s.ReadBy)
	if s.Carried(holder.ID) {
		o += fmt.Sprintf(" (carried, %s old)", agefmt.Age(holder.Created.Sub(s.ReadAt)))
	}
	return o
}

// Info is the stored pass record.
func (v *PassView) Info() *PassInfo { return v.info }

// ID is the pass id.
func (v *PassView) ID() int64 { return v.info.ID }

// Created is when the pass was sealed.
func (v *PassView) Created() time.Time { return v.info.Created }

// All is every host of the pass, read when the view was opened.
func (v *PassView) All() *roaring.Bitmap { return v.all }

// Set returns a named set of the pass; err names the pass and the set
// when its blobs cannot be read.
func (v *PassView) Set(name string) (*roaring.Bitmap, bool, error) {
	if name == "all" {
		return v.all, true, nil
	}
	if bm, ok := v.cache[name]; ok {
		return bm, true, nil
	}
	if strings.HasPrefix(name, RolloutSetPrefix) {
		bm, ok := v.ledgerSet(name, rolloutSet)
		return bm, ok, nil
	}
	if strings.HasPrefix(name, WeekSetPrefix) {
		bm, ok := v.ledgerSet(name, weekSet)
		return bm, ok, nil
	}
	r, ok := v.sets[name]
	if !ok {
		return nil, false, nil
	}
	bm, err := v.loadSet(r)
	if err != nil {
		return nil, false, v.readError("set "+name, err)
	}
	v.cache[name] = bm
	return bm, true, nil
}

func (v *PassView) loadSet(r setRef) (*roaring.Bitmap, error) {
	if r.attr != "" {
		a, err := v.loadAttr(r.attr)
		if err != nil {
			return nil, err
		}
		return a.(*boolAttr).True(), nil
	}
	bms := make([]*roaring.Bitmap, 0, len(r.blobs))
	for _, h := range r.blobs {
		bm, err := getBitmap(v.tx.btx, h)
		if err != nil {
			return nil, err
		}
		bms = append(bms, bm)
	}
	if len(bms) == 1 {
		return bms[0], nil
	}
	return roaring.FastOr(bms...), nil
}

// Attr returns an attribute of the pass; err names the pass, the source
// and the attribute when its blob cannot be read or decoded.
func (v *PassView) Attr(name string) (fleet.Attr, bool, error) {
	if _, ok := v.attrs[name]; !ok {
		return nil, false, nil
	}
	a, err := v.loadAttr(name)
	if err != nil {
		return nil, false, v.readError("attribute "+name, err)
	}
	return a, true, nil
}

// loadAttr reads and caches an attribute known to exist.
func (v *PassView) loadAttr(name string) (fleet.Attr, error) {
	if a, ok := v.acache[name]; ok {
		return a, nil
	}
	a, err := loadAttr(v.tx.btx, v.attrs[name].ref.Blob)
	if err != nil {
		return nil, err
	}
	v.acache[name] = a
	return a, nil
}

func loadAttr(tx *bolt.Tx, blob string) (fleet.Attr, error) {
	data, err := getBlob(tx, blob)
	if err != nil {
		return nil, err
	}
	return decodeAttr(data)
}

// readError names what was being read (a set, an attribute) and the
// pass: "pass 3: attribute serial: …".
func (v *PassView) readError(what string, err error) error {
	return fmt.Errorf("pass %d: %s: %w", v.info.ID, what, err)
}

// SetNames lists the named sets, sorted, including all.
func (v *PassView) SetNames() []string {
	names := append(slices.Sorted(maps.Keys(v.sets)), "all")
	sort.Strings(names)
	return names
}

// AttrNames lists the attributes, sorted.
func (v *PassView) AttrNames() []string { return slices.Sorted(maps.Keys(v.attrs)) }

// AttrType returns the stored type of an attribute.
func (v *PassView) AttrType(name string) (fleet.Type, bool) {
	s, ok := v.attrs[name]
	return s.ref.Type, ok
}

// Origin says where a set or attribute comes from.
func (v *PassView) Origin(name string) string {
	if name == "all" {
		return fmt.Sprintf("every host of pass %d", v.info.ID)
	}
	if r, ok := v.sets[name]; ok {
		return r.origin
	}
	if a, ok := v.attrs[name]; ok {
		return a.origin
	}
	if _, origin, ok := rolloutSet(v.tx.btx, name); ok {
		return origin
	}
	if _, origin, ok := weekSet(v.tx.btx, name); ok {
		return origin
	}
	return ""
}

// ledgerSet is the hosts of a ledger object's set (a rollout's waves, a
// week's steps, resolved by set) that are in the pass.
func (v *PassView) ledgerSet(name string, set func(*bolt.Tx, string) ([]string, string, bool)) (*roaring.Bitmap, bool) {
	hosts, _, ok := set(v.tx.btx, name)
	if !ok {
		return nil, false
	}
	ids, _ := v.tx.dict.Lookup(hosts)
	bm := roaring.And(ids, v.all)
	v.cache[name] = bm
	return bm, true
}

// DefinitionOf returns the expression of a definition stored as a set of
// this pass, as its transcript recorded it ("responsive = up == 1 & …").
func (v *PassView) DefinitionOf(name string) (string, bool) {
	if v.info.Log == nil {
		return "", false
	}
	for _, d := range v.info.Log.Definitions {
		if n, expr, ok := strings.Cut(d, " = "); ok && n == name {
			return expr, true
		}
	}
	return "", false
}

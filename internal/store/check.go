package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	bolt "go.etcd.io/bbolt"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/hostkey"
)

// CheckReport is what Verify found: what the file holds and the first
// problem, if any.
type CheckReport struct {
	Passes int    // passes stored
	Hosts  uint32 // names in the host dictionary
	Blobs  int    // whole blobs whose bytes match their hash
	// Err is nil for a clean file. Otherwise it wraps ErrCorrupt (or
	// ErrNotFleetq) and says where: bbolt's page errors, or the first
	// fleetq invariant that does not hold.
	Err error
}

// Check verifies the whole file and returns its first problem (Verify's
// Err). It is what tests run on cleanup.
func (db *DB) Check() error { return db.Verify().Err }

// Verify checks the whole file: bbolt's own page consistency check, then
// fleetq's invariants. Every whole blob's bytes hash to its key (content
// addressing, so a flipped bit in a value is found); every pass's blobs
// (all, manifests, attributes, set bitmaps) exist and decode; every bitmap
// names only assigned host ids; a pass's all is the union of its sources'
// hosts; pass ids increase and a parent is an earlier pass (or 0; gc may
// have removed it since); host dictionary names are unique, non-empty,
// trimmed and lower-case. A panic while reading a damaged file is
// reported as ErrCorrupt, never raised. It only reads.
func (db *DB) Verify() (r *CheckReport) {
	r = &CheckReport{}
	r.Err = db.guard("checking", func() error {
		return db.bolt.View(func(btx *bolt.Tx) error { return verify(btx, r) })
	})
	return r
}

// CheckFile opens path read-only and verifies it. A file that is missing
// (ErrNoDatabase) or locked (ErrLocked) is an error; a file that cannot
// be opened because it is damaged or not fleetq's is a report whose Err
// says so. The wait for the lock ends when ctx is done, with its error.
func CheckFile(ctx context.Context, path string, opts Options) (r *CheckReport, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = &CheckReport{Err: fmt.Errorf("%w: opening the file failed: %v", ErrCorrupt, p)}, nil
		}
	}()
	opts.ReadOnly = true
	db, err := OpenContext(ctx, path, opts)
	switch {
	case errors.Is(err, ErrNoDatabase) || errors.Is(err, ErrLocked) || ctx.Err() != nil:
		return nil, err
	case err != nil:
		return &CheckReport{Err: err}, nil
	}
	defer db.Close()
	return db.Verify(), nil
}

func verify(btx *bolt.Tx, r *CheckReport) error {
	// A walk in this goroutine first: bbolt's check runs in a goroutine
	// where a fault on a damaged page could not be recovered from.
	if err := walkTx(btx); err != nil {
		return err
	}
	var errs []error
	for err := range btx.Check() {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: bbolt check: %w", ErrCorrupt, errors.Join(errs...))
	}
	if err := checkSchema(btx); err != nil {
		return err
	}
	c := &checker{btx: btx}
	if err := c.dict(); err != nil {
		return fmt.Errorf("%w: host dictionary: %w", ErrCorrupt, err)
	}
	r.Hosts = c.n
	if err := c.records(); err != nil {
		return err
	}
	var err error
	if r.Passes, err = c.passes(); err != nil {
		return err
	}
	// Last, so a blob that decodes but breaks an invariant is reported
	// by what it breaks.
	r.Blobs, err = c.blobs()
	return err
}

type checker struct {
	btx *bolt.Tx
	n   uint32
}

func (c *checker) dict() error {
	n, err := hostCount(c.btx)
	if err != nil {
		return err
	}
	if err := checkMetaKeys(c.btx); err != nil {
		return err
	}
	c.n = n
	seen := make(map[string]uint32, c.n)
	sealed := sealedCount(c.btx)
	id := uint32(0)
	err = c.btx.Bucket(bucketHosts).ForEach(func(k, v []byte) error {
		if len(k) != 4 || binary.BigEndian.Uint32(k) != id>>chunkBits {
			return fmt.Errorf("chunk key %x out of order (expected chunk %d)", k, id>>chunkBits)
		}
		data, err := openChunk(v, sealed)
		if err != nil {
			return fmt.Errorf("chunk %d: %w", id>>chunkBits, err)
		}
		names := decodeChunk(data)
		if len(encodeChunk(names)) != len(data)+4 {
			return fmt.Errorf("chunk %d does not decode", id>>chunkBits)
		}
		if len(names) != chunkSize && id+uint32(len(names)) != c.n {
			return fmt.Errorf("chunk %d holds %d names", id>>chunkBits, len(names))
		}
		for _, name := range names {
			if err := checkHostKey(name); err != nil {
				return fmt.Errorf("id %d: %w", id, err)
			}
			if prev, dup := seen[name]; dup {
				return fmt.Errorf("%q has ids %d and %d", name, prev, id)
			}
			seen[name] = id
			id++
		}
		return nil
	})
	if err == nil && id != c.n {
		err = fmt.Errorf("%d names stored, size says %d", id, c.n)
	}
	if err == nil {
		d := newDict(c.btx)
		err = checkFence(c.btx, c.n, d.chunk)
	}
	return err
}

// checkHostKey is the one host-key rule every ingester applies, plus that
// a stored key is already normalised.
func checkHostKey(name string) error {
	if hostkey.Normalize(name) != name {
		return fmt.Errorf("host key %q is not trimmed and lower-cased", name)
	}
	return hostkey.Check(name)
}

// blobs checks that every whole blob's bytes (every chunk of a chunked
// one) hash to its key and returns how many there are.
func (c *checker) blobs() (int, error) {
	n := 0
	err := c.btx.Bucket(bucketBlobs).ForEach(func(k, v []byte) error {
		if !blobMatches(k, v) {
			return fmt.Errorf("%w: blob %x: its %d bytes do not match its hash (damaged on disk)", ErrCorrupt, k[:6], len(v))
		}
		n++
		return nil
	})
	return n, err
}

func (c *checker) passes() (int, error) {
	var prev int64
	n := 0
	err := c.btx.Bucket(bucketPasses).ForEach(func(k, _ []byte) error {
		id := int64(be64(k))
		p, err := getPass(c.btx, id)
		if err != nil {
			return err
		}
		if err := c.pass(p, prev); err != nil {
			return fmt.Errorf("%w: pass %d: %w", ErrCorrupt, id, err)
		}
		prev, n = id, n+1
		return nil
	})
	return n, err
}

func (c *checker) pass(p *PassInfo, prev int64) error {
	if p.ID <= prev {
		return fmt.Errorf("id %d stored after pass %d", p.ID, prev)
	}
	if p.Parent < 0 || p.Parent >= p.ID {
		return fmt.Errorf("parent %d is not an earlier pass", p.Parent)
	}
	union := roaring.New()
	for _, s := range p.Sources {
		hosts, err := c.source(p, s)
		if err != nil {
			return fmt.Errorf("source %s:%s: %w", s.Kind, s.Name, err)
		}
		union.Or(hosts)
	}
	all, err := c.bitmap(p.All)
	if err != nil {
		return fmt.Errorf("all: %w", err)
	}
	if !all.Equals(union) {
		return fmt.Errorf("all (%d hosts) is not the union of its sources (%d hosts)", all.GetCardinality(), union.GetCardinality())
	}
	if int(all.GetCardinality()) != p.Hosts {
		return fmt.Errorf("hosts says %d, all holds %d", p.Hosts, all.GetCardinality())
	}
	for _, name := range slices.Sorted(maps.Keys(p.Sets)) {
		if _, err := c.bitmap(p.Sets[name]); err != nil {
			return fmt.Errorf("stored set %s: %w", name, err)
		}
	}
	return nil
}

func (c *checker) source(p *PassInfo, s SourceInfo) (*roaring.Bitmap, error) {
	if s.Name == "all" {
		return nil, errors.New("a source may not be named all")
	}
	if s.ReadBy > p.ID || s.ReadBy <= 0 {
		return nil, fmt.Errorf("read by pass %d", s.ReadBy)
	}
	m, err := getManifest(c.btx, s.Manifest)
	if err != nil {
		return nil, err
	}
	hosts, err := c.bitmap(m.Hosts)
	if err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	}
	if int(hosts.GetCardinality()) != s.Hosts {
		return nil, fmt.Errorf("hosts says %d, bitmap holds %d", s.Hosts, hosts.GetCardinality())
	}
	for _, a := range m.Attrs {
		if err := c.attr(a, hosts); err != nil {
			return nil, fmt.Errorf("attribute %s: %w", a.Name, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(m.Sets)) {
		bm, err := c.bitmap(m.Sets[name])
		if err != nil {
			return nil, fmt.Errorf("set %s: %w", name, err)
		}
		if !subset(bm, hosts) {
			return nil, fmt.Errorf("set %s names hosts the source did not see", name)
		}
	}
	return hosts, nil
}

func (c *checker) attr(ref attrRef, hosts *roaring.Bitmap) error {
	data, err := getBlob(c.btx, ref.Blob)
	if err != nil {
		return err
	}
	a, err := decodeAttr(data)
	if err != nil {
		return err
	}
	if want := map[fleet.Type]byte{fleet.Bool: encBool, fleet.Number: encNumber, fleet.Time: encTime}[ref.Type]; want != 0 && data[0] != want ||
		ref.Type == fleet.String && data[0] != encIndex && data[0] != encColumn && data[0] != encDict {
		return fmt.Errorf("type %s stored with encoding %q", ref.Type, data[0])
	}
	if err := checkAttrBody(a); err != nil {
		return err
	}
	if !subset(a.Present(), hosts) {
		return errors.New("has values for hosts the source did not see")
	}
	return c.ids(a.Present())
}

// checkAttrBody checks what decodeAttr leaves to first use: that value
// bytes match the presence bitmap exactly.
func checkAttrBody(a any) error {
	switch a := a.(type) {
	case *strColumn:
		n, rest := uint64(0), a.data
		for len(rest) > 0 {
			l, k := binary.Uvarint(rest)
			if k <= 0 || l > uint64(len(rest)-k) {
				return errors.New("truncated string column")
			}
			rest, n = rest[k+int(l):], n+1
		}
		if n != a.present.GetCardinality() {
			return fmt.Errorf("%d strings for %d present hosts", n, a.present.GetCardinality())
		}
	case *numColumn:
		if uint64(len(a.vals)) != 8*a.present.GetCardinality() {
			return errors.New("value count does not match presence")
		}
	case *boolAttr:
		if a.t.Intersects(a.f) {
			return errors.New("hosts both true and false")
		}
	case dictIndex:
		for k, bm := range a.buildBitmaps() {
			if !a.bitmaps[k].Equals(orEmpty(bm)) {
				return fmt.Errorf("value %q: bitmap does not match the codes", a.dict.at(uint32(k)))
			}
		}
	case *indexAttr:
		seen := roaring.New()
		for _, g := range a.groups {
			if g.Hosts.Intersects(seen) {
				return fmt.Errorf("value %q shares hosts with another value", g.Value.Str)
			}
			seen.Or(g.Hosts)
		}
	}
	return nil
}

// bitmap loads a bitmap blob and checks its ids are assigned.
func (c *checker) bitmap(hash string) (*roaring.Bitmap, error) {
	data, err := getBlob(c.btx, hash)
	if err != nil {
		return nil, err
	}
	bm := roaring.New()
	if _, err := bm.FromBuffer(data); err != nil {
		return nil, fmt.Errorf("bitmap: %w", err)
	}
	if err := bm.Validate(); err != nil {
		return nil, fmt.Errorf("bitmap: %w", err)
	}
	return bm, c.ids(bm)
}

func (c *checker) ids(bm *roaring.Bitmap) error {
	if !bm.IsEmpty() && bm.Maximum() >= c.n {
		return fmt.Errorf("host id %d is beyond the dictionary (%d names)", bm.Maximum(), c.n)
	}
	return nil
}

func subset(a, b *roaring.Bitmap) bool { return a.AndCardinality(b) == a.GetCardinality() }

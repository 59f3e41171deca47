package store

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	bolt "go.etcd.io/bbolt"

	"github.com/fleetq/fleetq/internal/fleet"
)

// NewPass describes a pass to build from freshly parsed sources.
type NewPass struct {
	Label   string
	Created time.Time
	Sources []*SourceData
	// Fresh carries nothing forward from the parent pass.
	Fresh   bool
	Command string
	// Failures are the sources that could not be read (fleetq collect),
	// kept in the pass's transcript; a failed source is not in Sources, so
	// its snapshot in the parent is carried forward.
	Failures []SourceFailure
	// MapHosts, when set, is called for every new source that is not an
	// inventory (see IsInventoryKind) to rewrite host keys to inventory
	// keys before ids are assigned. It returns the keys it could not map.
	MapHosts func(inv *Inventory, src *SourceData) (unmapped []string)
	// Seal, when set, runs inside the same write transaction after the
	// pass is written and before it commits: definitions are evaluated and
	// stored there, so no pass is ever visible without them. An error
	// aborts the whole pass.
	Seal func(tx *Tx, p *PassInfo) error
}

// IsInventoryKind reports whether a source kind declares the fleet's hosts
// (its keys are the keys other sources are mapped to).
func IsInventoryKind(kind string) bool { return kind == "inventory" || kind == "netbox" }

// Inventory is what host mapping may consult: the inventory keys of the
// pass being built and the inventory's ip attribute.
type Inventory struct {
	Hosts map[string]bool
	ByIP  map[string]string
	// pendingIP fills ByIP on first use: most passes map no host by IP,
	// and a million-entry map costs a second.
	pendingIP []func(map[string]string)
}

// IP returns the inventory key whose ip (or primary_ip) attribute is ip.
func (inv *Inventory) IP(ip string) (string, bool) {
	if len(inv.pendingIP) > 0 {
		if inv.ByIP == nil {
			inv.ByIP = map[string]string{}
		}
		for _, fill := range inv.pendingIP {
			fill(inv.ByIP)
		}
		inv.pendingIP = nil
	}
	k, ok := inv.ByIP[ip]
	return k, ok
}

// CreatePass builds and seals a new pass in one write transaction. On any
// error nothing is written; a damaged file it reads (a host-dictionary
// chunk, a carried source) is that error, never a pass built on it.
func (db *DB) CreatePass(np NewPass) (*PassInfo, error) {
	if err := validateSources(np.Sources); err != nil {
		return nil, err
	}
	var out *PassInfo
	err := db.guard("writing a pass to", func() error {
		return db.bolt.Update(func(btx *bolt.Tx) error {
			p, err := buildPass(btx, np)
			out = p
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func validateSources(srcs []*SourceData) error {
	seen := map[string]bool{}
	for _, s := range srcs {
		key := s.Kind + ":" + s.Name
		if seen[key] {
			return fmt.Errorf("source %s given twice (name one of them: %s:NAME=PATH)", key, s.Kind)
		}
		seen[key] = true
		if s.Name == "all" {
			return fmt.Errorf("%s: the set name \"all\" is reserved", s.Path)
		}
		if err := uniqueHosts(s); err != nil {
			return err
		}
		if err := alignedData(s); err != nil {
			return fmt.Errorf("%s: %w", s.Path, err)
		}
	}
	return nil
}

// alignedData checks that columns and sets fit the source's hosts, so a
// parser's mistake is an error rather than a panic inside the transaction.
func alignedData(s *SourceData) error {
	n := len(s.Hosts)
	for _, c := range s.Attrs {
		strs := len(c.Str)
		if c.Coded() {
			strs = len(c.Codes)
			if err := codesInDict(c); err != nil {
				return err
			}
		}
		vals := map[fleet.Type]int{fleet.String: strs, fleet.Number: len(c.Num), fleet.Bool: len(c.Bool), fleet.Time: len(c.Time)}[c.Type]
		switch {
		case c.Type < fleet.String || c.Type > fleet.Time:
			return fmt.Errorf("attribute %s: unknown type %v", c.Name, c.Type)
		case vals != n:
			return fmt.Errorf("attribute %s has %d values for %d hosts", c.Name, vals, n)
		case c.Has != nil && len(c.Has) != n, c.TS != nil && len(c.TS) != n:
			return fmt.Errorf("attribute %s: presence or sample times not aligned with %d hosts", c.Name, n)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Sets)) {
		for _, i := range s.Sets[name] {
			if int(i) >= n {
				return fmt.Errorf("set %s names host %d of %d", name, i, n)
			}
		}
	}
	return nil
}

// codesInDict checks that a coded column's codes index its dictionary
// and that it is a String column.
func codesInDict(c *Column) error {
	if c.Type != fleet.String || c.Str != nil {
		return fmt.Errorf("attribute %s: coded values in a %v column that also has plain ones", c.Name, c.Type)
	}
	n := uint32(len(c.Dict))
	for i, k := range c.Codes {
		if k >= n && c.Present(i) {
			return fmt.Errorf("attribute %s: host %d has code %d of a dictionary of %d", c.Name, i, k, n)
		}
	}
	return nil
}

func uniqueHosts(s *SourceData) error {
	if slices.IsSorted(s.Hosts) { // a sorted dump: duplicates are neighbours, no map
		for i, h := range s.Hosts {
			if h == "" {
				return fmt.Errorf("%s: empty host key", s.Path)
			}
			if i > 0 && s.Hosts[i-1] == h {
				return fmt.Errorf("%s: host %s listed twice after mapping", s.Path, h)
			}
		}
		return nil
	}
	seen := make(map[string]struct{}, len(s.Hosts))
	for _, h := range s.Hosts {
		if h == "" {
			return fmt.Errorf("%s: empty host key", s.Path)
		}
		if _, dup := seen[h]; dup {
			return fmt.Errorf("%s: host %s listed twice after mapping", s.Path, h)
		}
		seen[h] = struct{}{}
	}
	return nil
}

func buildPass(btx *bolt.Tx, np NewPass) (*PassInfo, error) {
	tx := newTx(btx)
	parentID := latestID(btx)
	seq, err := btx.Bucket(bucketPasses).NextSequence()
	if err != nil {
		return nil, err
	}
	p := &PassInfo{ID: int64(seq), Created: np.Created.UTC(), Label: np.Label, Parent: parentID}
	if int64(seq) <= parentID {
		p.ID = parentID + 1
	}
	carried, err := carriedSources(btx, parentID, np)
	if err != nil {
		return nil, err
	}
	unmapped, err := mapSources(tx, carried, np)
	if err != nil {
		return nil, err
	}
	dw := newDictWriter(btx)
	for _, src := range np.Sources {
		info, err := writeSource(btx, dw, src, p.ID)
		if err != nil {
			return nil, err
		}
		info.setUnmapped(unmapped[src])
		p.Sources = append(p.Sources, info)
	}
	p.Sources = append(p.Sources, carried...)
	sortSources(p.Sources)
	// A damaged chunk read while assigning ids decodes as empty: its hosts
	// would get second ids. Stop before anything of it is written.
	if err := firstErr(dw.err, tx.Err()); err != nil {
		return nil, err
	}
	if err := dw.flush(btx); err != nil {
		return nil, err
	}
	if err := sealAll(btx, p); err != nil {
		return nil, err
	}
	p.Log = &Transcript{Command: np.Command, Failures: np.Failures}
	if err := putPass(btx, p); err != nil {
		return nil, err
	}
	if np.Seal != nil {
		if err := np.Seal(newTx(btx), p); err != nil {
			return nil, err
		}
	}
	// Keep the parent's replaced blobs as deltas against the new ones, so
	// storage grows with change, not with time (compact.go).
	if err := newTx(btx).Deltify(p.ID); err != nil {
		return nil, err
	}
	return getPass(btx, p.ID)
}

// carriedSources returns the parent's snapshots that the new pass does not
// re-read, unless the pass is fresh. A source is its kind and name, so
// re-reading one host list (or one of two hdfs clusters) keeps the others.
func carriedSources(btx *bolt.Tx, parentID int64, np NewPass) ([]SourceInfo, error) {
	if np.Fresh || parentID == 0 {
		return nil, nil
	}
	parent, err := getPass(btx, parentID)
	if err != nil {
		return nil, err
	}
	given := map[string]bool{}
	for _, s := range np.Sources {
		given[s.Kind+":"+s.Name] = true
	}
	var out []SourceInfo
	for _, s := range parent.Sources {
		if !given[s.Kind+":"+s.Name] {
			out = append(out, s)
		}
	}
	return out, nil
}

// mapSources runs host mapping (when np has a mapper) for every new
// non-inventory source and returns the names each could not map.
func mapSources(tx *Tx, carried []SourceInfo, np NewPass) (map[*SourceData][]string, error) {
	out := map[*SourceData][]string{}
	var inv *Inventory
	for _, src := range np.Sources {
		if np.MapHosts == nil || IsInventoryKind(src.Kind) {
			continue
		}
		if inv == nil { // only when a source needs mapping: 1M-key maps cost seconds
			var err error
			if inv, err = buildInventory(tx, carried, np.Sources); err != nil {
				return nil, err
			}
		}
		out[src] = np.MapHosts(inv, src)
		if err := uniqueHosts(src); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// setUnmapped records how many hosts mapping could not place, with a few
// examples for the ingest summary.
func (s *SourceInfo) setUnmapped(names []string) {
	s.NUnmap = len(names)
	s.Unmapped = names[:min(5, len(names))]
}

// buildInventory gathers the inventory keys and ip → key map of the new
// pass from new inventory sources, or the carried ones.
func buildInventory(tx *Tx, carried []SourceInfo, fresh []*SourceData) (*Inventory, error) {
	inv := &Inventory{Hosts: map[string]bool{}, ByIP: map[string]string{}}
	for _, src := range fresh {
		if IsInventoryKind(src.Kind) {
			addInventory(inv, src)
		}
	}
	for _, s := range carried {
		if IsInventoryKind(s.Kind) {
			if err := addCarriedInventory(tx, inv, s); err != nil {
				return nil, err
			}
		}
	}
	return inv, nil
}

func addInventory(inv *Inventory, src *SourceData) {
	for _, h := range src.Hosts {
		inv.Hosts[h] = true
	}
	for _, c := range src.Attrs {
		if c.Type == fleet.String && (c.Name == "ip" || c.Name == "primary_ip") {
			inv.pendingIP = append(inv.pendingIP, func(byIP map[string]string) {
				for i, h := range src.Hosts {
					if c.Present(i) && c.StrAt(i) != "" {
						byIP[strings.ToLower(c.StrAt(i))] = h
					}
				}
			})
		}
	}
}

func addCarriedInventory(tx *Tx, inv *Inventory, s SourceInfo) error {
	m, err := getManifest(tx.btx, s.Manifest)
	if err != nil {
		return err
	}
	hosts, err := getBitmap(tx.btx, m.Hosts)
	if err != nil {
		return err
	}
	for _, h := range tx.dict.Names(hosts) {
		inv.Hosts[h] = true
	}
	for _, a := range m.Attrs {
		if a.Name != "ip" && a.Name != "primary_ip" {
			continue
		}
		data, err := getBlob(tx.btx, a.Blob)
		if err != nil {
			return err
		}
		attr, err := decodeAttr(data)
		if err != nil {
			return err
		}
		inv.pendingIP = append(inv.pendingIP, func(byIP map[string]string) {
			it := attr.Present().Iterator()
			for it.HasNext() {
				id := it.Next()
				if v, ok := attr.Value(id); ok && v.Str != "" {
					byIP[strings.ToLower(v.Str)] = tx.dict.Name(id)
				}
			}
		})
	}
	return nil
}

// writeSource stores one source's bitmaps, attributes and manifest.
func writeSource(btx *bolt.Tx, dw *dictWriter, src *SourceData, passID int64) (SourceInfo, error) {
	ids := dw.IDs(src.Hosts)
	m := manifest{}
	var err error
	if m.Hosts, err = putBitmap(btx, roaring.BitmapOf(ids...)); err != nil {
		return SourceInfo{}, err
	}
	order := idOrder(ids)
	for _, c := range src.Attrs {
		data, err := encodeColumn(c, ids, order)
		if err != nil {
			return SourceInfo{}, fmt.Errorf("%s: %w", src.Path, err)
		}
		h, err := putBlob(btx, data)
		if err != nil {
			return SourceInfo{}, err
		}
		m.Attrs = append(m.Attrs, attrRef{Name: c.Name, Type: c.Type, Blob: h})
	}
	if m.Sets, err = writeSets(btx, src.Sets, ids); err != nil {
		return SourceInfo{}, err
	}
	mh, err := putJSON(btx, m)
	if err != nil {
		return SourceInfo{}, err
	}
	return SourceInfo{
		Name: src.Name, Kind: src.Kind, Path: src.Path, Hash: src.Hash,
		Records: src.Records, Hosts: len(src.Hosts), ReadAt: src.ReadAt.UTC(),
		ReadBy: passID, Manifest: mh, Warnings: src.Warnings,
	}, nil
}

func writeSets(btx *bolt.Tx, sets map[string][]uint32, ids []uint32) (map[string]string, error) {
	if len(sets) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(sets))
	for name, members := range sets {
		bm := roaring.New()
		for _, i := range members {
			bm.Add(ids[i])
		}
		h, err := putBitmap(btx, bm)
		if err != nil {
			return nil, err
		}
		out[name] = h
	}
	return out, nil
}

func putJSON(btx *bolt.Tx, v any) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return putBlob(btx, data)
}

// sealAll stores the union of every source's hosts as the pass's `all`.
func sealAll(btx *bolt.Tx, p *PassInfo) error {
	all := roaring.New()
	for _, s := range p.Sources {
		m, err := getManifest(btx, s.Manifest)
		if err != nil {
			return err
		}
		hosts, err := getBitmap(btx, m.Hosts)
		if err != nil {
			return err
		}
		all.Or(hosts)
	}
	h, err := putBitmap(btx, all)
	if err != nil {
		return err
	}
	p.All, p.Hosts = h, int(all.GetCardinality())
	return nil
}

// firstErr is the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

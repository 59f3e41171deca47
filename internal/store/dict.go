package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	bolt "go.etcd.io/bbolt"
)

// chunkBits sets how many names share one key of the hosts bucket (1024):
// small enough that looking up a few names reads little, large enough that
// 1,000,000 hosts are ~1,000 keys.
const chunkBits = 10

const chunkSize = 1 << chunkBits

// dict reads the host dictionary inside one transaction, caching decoded
// chunks. It implements fleet.Hosts.
type dict struct {
	b       *bolt.Bucket
	meta    *bolt.Bucket
	n       uint32
	chunks  map[uint32][]string
	byName  map[string]uint32 // built on first Lookup
	indexed bool              // byName holds every name of the dictionary
	sealed  bool              // the host count is sealed, so every chunk is
	err     error             // the first damaged chunk read (see Tx.Err)
	fence   *fence            // read on first scanLookup (fence.go)
}

func (d *dict) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func newDict(tx *bolt.Tx) *dict {
	d := &dict{b: tx.Bucket(bucketHosts), meta: tx.Bucket(bucketMeta), chunks: map[uint32][]string{}}
	n, err := hostCount(tx)
	if err != nil {
		d.fail(err)
	}
	d.n, d.sealed = n, sealedCount(tx)
	return d
}

// sealedCount reports whether the host count carries its checksum. A
// writer seals the count and every chunk in the same transaction (flush),
// so beside a sealed count a chunk without a valid checksum is damage,
// never a chunk an older fleetq wrote.
func sealedCount(tx *bolt.Tx) bool {
	v := tx.Bucket(bucketMeta).Get(keyNHosts)
	return v == nil || len(v) == 12
}

// hostCount reads how many host ids were ever assigned: a sealed counter
// (4 bytes unsealed before the checksum). A missing count beside a
// non-empty dictionary is damage too (a flipped key), not an empty one.
func hostCount(tx *bolt.Tx) (uint32, error) {
	v := tx.Bucket(bucketMeta).Get(keyNHosts)
	if v == nil {
		if k, _ := tx.Bucket(bucketHosts).Cursor().First(); k != nil {
			return 0, fmt.Errorf("host count: %w: missing beside a non-empty host dictionary", ErrCorrupt)
		}
		return 0, nil
	}
	if len(v) == 4 {
		return binary.BigEndian.Uint32(v), nil
	}
	n, err := openCounter(v)
	if err == nil && n > math.MaxUint32 {
		err = fmt.Errorf("%w: %d ids", ErrCorrupt, n)
	}
	if err != nil {
		return 0, fmt.Errorf("host count: %w", err)
	}
	return uint32(n), nil
}

// Len is the number of host ids ever assigned.
func (d *dict) Len() uint32 { return d.n }

func (d *dict) chunk(c uint32) []string {
	if names, ok := d.chunks[c]; ok {
		return names
	}
	names := decodeChunk(d.chunkBytes(c))
	d.chunks[c] = names
	return names
}

// Name returns the host key of id, or "" for an unknown id. An id below
// the host count without a name is damage, recorded for Tx.Err.
func (d *dict) Name(id uint32) string {
	names := d.chunk(id >> chunkBits)
	if i := int(id & (chunkSize - 1)); i < len(names) {
		return names[i]
	}
	return d.noName(id)
}

// noName is the name of an id its chunk lacks: "", and damage recorded
// for an id below the host count.
func (d *dict) noName(id uint32) string {
	if id < d.n {
		d.fail(fmt.Errorf("host dictionary: %w: no name for host id %d (the dictionary holds %d names)", ErrCorrupt, id, d.n))
	}
	return ""
}

// Names returns the names of the ids in s, sorted in byte order.
func (d *dict) Names(s *roaring.Bitmap) []string {
	out := d.namesOf(s.ToArray())
	if !slices.IsSorted(out) {
		slices.Sort(out)
	}
	return out
}

// NamesWithIDs returns what Names returns, the names of the ids in s in
// byte order, and each name's id beside it: a caller that reads the
// hosts' attributes needs no Lookup back from the names (which builds
// the map of every name once past a few names).
func (d *dict) NamesWithIDs(s *roaring.Bitmap) ([]string, []uint32) {
	ids := s.ToArray()
	names := d.namesOf(ids)
	if slices.IsSorted(names) {
		return names, ids
	}
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	sortedNames, sortedIDs := make([]string, len(ids)), make([]uint32, len(ids))
	for i, k := range order {
		sortedNames[i], sortedIDs[i] = names[k], ids[k]
	}
	return sortedNames, sortedIDs
}

func (d *dict) index() map[string]uint32 {
	if d.indexed {
		return d.byName
	}
	if d.byName == nil {
		d.byName = make(map[string]uint32, d.n)
	}
	for c := uint32(0); c<<chunkBits < d.n; c++ {
		for i, name := range d.chunk(c) {
			d.byName[name] = c<<chunkBits | uint32(i)
		}
	}
	d.indexed = true
	return d.byName
}

// Lookup maps host keys to ids.
func (d *dict) Lookup(names []string) (*roaring.Bitmap, []string) {
	if !d.indexed && len(names) <= scanLookupMax {
		return d.scanLookup(names)
	}
	idx := d.index()
	out := roaring.New()
	var missing []string
	for _, n := range names {
		if id, ok := idx[n]; ok {
			out.Add(id)
		} else {
			missing = append(missing, n)
		}
	}
	return out, missing
}

func decodeChunk(b []byte) []string {
	var names []string
	for len(b) > 0 {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return names
		}
		names = append(names, string(b[n:n+int(l)]))
		b = b[n+int(l):]
	}
	return names
}

func encodeChunk(names []string) []byte {
	size := 0
	for _, n := range names {
		size += len(n) + 2
	}
	b := make([]byte, 0, size+4)
	for _, n := range names {
		b = binary.AppendUvarint(b, uint64(len(n)))
		b = append(b, n...)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// chunkBytes is chunk c's verified bytes, nil (and the error recorded) if
// it is damaged or missing: ids below the host count always have a name,
// so a chunk bbolt's search does not find (a damaged key or page) is
// damage too.
func (d *dict) chunkBytes(c uint32) []byte {
	v := d.b.Get(u32(c))
	if v == nil {
		if c<<chunkBits < d.n {
			d.fail(fmt.Errorf("host dictionary chunk %d: %w: missing (the dictionary holds %d names)", c, ErrCorrupt, d.n))
		}
		return nil // past the last name: the chunk the next id starts
	}
	data, err := openChunk(v, d.sealed)
	if err != nil {
		d.fail(fmt.Errorf("host dictionary chunk %d: %w", c, err))
	}
	return data
}

// openChunk verifies a stored chunk's crc32c trailer and returns its
// names' bytes. In a dictionary whose count is not sealed yet (written by
// a fleetq before the checksums), a chunk without the trailer is accepted
// when it decodes exactly; anything else is ErrCorrupt, so a flipped bit
// in a host name is an error, never another host's name.
func openChunk(v []byte, sealed bool) ([]byte, error) {
	if n := len(v) - 4; n >= 0 && crc32.Checksum(v[:n], castagnoli) == binary.BigEndian.Uint32(v[n:]) {
		return v[:n], nil
	}
	if !sealed && legacyChunk(v) {
		return v, nil
	}
	return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
}

// sealLegacyChunks rewrites, with their checksum, the chunks an older
// fleetq wrote without one: done once, in the transaction that first
// seals the host count.
func (w *dictWriter) sealLegacyChunks() error {
	if w.sealed {
		return nil
	}
	for c := uint32(0); c<<chunkBits < w.n; c++ {
		v := w.b.Get(u32(c))
		if n := len(v) - 4; n >= 0 && crc32.Checksum(v[:n], castagnoli) == binary.BigEndian.Uint32(v[n:]) {
			continue
		}
		if !legacyChunk(v) {
			return fmt.Errorf("host dictionary chunk %d: %w: checksum mismatch", c, ErrCorrupt)
		}
		if err := w.b.Put(u32(c), encodeChunk(decodeChunk(v))); err != nil {
			return fmt.Errorf("write host dictionary: %w", err)
		}
	}
	w.sealed = true
	return nil
}

func legacyChunk(v []byte) bool {
	for len(v) > 0 {
		l, k := binary.Uvarint(v)
		if k <= 0 || l > uint64(len(v)-k) {
			return false
		}
		v = v[k+int(l):]
	}
	return true
}

// dictWriter assigns ids to new host keys inside a write transaction.
type dictWriter struct {
	*dict
	added []string
}

func newDictWriter(tx *bolt.Tx) *dictWriter {
	return &dictWriter{dict: newDict(tx)}
}

// IDs returns the id of every name, assigning new ids (in byte order of the
// new names, so a first ingest is in canonical order) to names not seen
// yet. Names are unique within a source (validateSources).
func (w *dictWriter) IDs(names []string) []uint32 {
	if w.n == 0 && len(w.added) == 0 {
		return w.firstIDs(names)
	}
	return w.mergeIDs(names)
}

// firstIDs assigns ids for the first names an empty dictionary sees:
// their ranks in byte order, with no name map (which costs a second at
// 1,000,000 hosts).
func (w *dictWriter) firstIDs(names []string) []uint32 {
	order := byteOrder(names)
	ids := make([]uint32, len(names))
	w.added = make([]string, len(names))
	for rank, i := range order {
		ids[i] = uint32(rank)
		w.added[rank] = names[i]
	}
	return ids
}

// mergeIDs finds names among the known ones (the stored dictionary, then
// those this transaction added) by walking both in byte order, instead of
// a map of every known name (105 MB at 1,000,000 hosts, the most of what
// made a second ingest larger than the first); names not known get new
// ids in byte order.
func (w *dictWriter) mergeIDs(names []string) []uint32 {
	known := make([]string, 0, int(w.n)+len(w.added))
	for id := uint32(0); id < w.n; id++ {
		known = append(known, w.Name(id))
	}
	known = append(known, w.added...)
	kOrder := byteOrder(known)
	ids := make([]uint32, len(names))
	next := w.n + uint32(len(w.added))
	j := 0
	for _, i := range byteOrder(names) {
		n := names[i]
		for j < len(kOrder) && known[kOrder[j]] < n {
			j++
		}
		if j < len(kOrder) && known[kOrder[j]] == n {
			ids[i] = uint32(kOrder[j])
			continue
		}
		ids[i] = next
		next++
		w.added = append(w.added, n)
	}
	return ids
}

// byteOrder returns the indexes of names in byte order of the names
// (nothing is sorted when they already are).
func byteOrder(names []string) []int32 {
	order := make([]int32, len(names))
	for i := range order {
		order[i] = int32(i)
	}
	if !slices.IsSorted(names) {
		slices.SortFunc(order, func(a, b int32) int { return strings.Compare(names[a], names[b]) })
	}
	return order
}

// flush writes the chunks that gained names and the new size.
func (w *dictWriter) flush(tx *bolt.Tx) error {
	if len(w.added) == 0 {
		return nil
	}
	if err := w.sealLegacyChunks(); err != nil {
		return err
	}
	first := w.n
	total := w.n + uint32(len(w.added))
	for c := first >> chunkBits; c<<chunkBits < total; c++ {
		names := append([]string(nil), w.chunk(c)...)
		if w.err != nil {
			return w.err
		}
		for id := c<<chunkBits + uint32(len(names)); id < total && id < (c+1)<<chunkBits; id++ {
			names = append(names, w.added[id-first])
		}
		if err := w.b.Put(u32(c), encodeChunk(names)); err != nil {
			return fmt.Errorf("write host dictionary: %w", err)
		}
		w.chunks[c] = names
	}
	if err := w.writeFence(tx, first, total); err != nil {
		return err
	}
	w.n, w.added = total, nil
	return tx.Bucket(bucketMeta).Put(keyNHosts, sealCounter(uint64(total)))
}

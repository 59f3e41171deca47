package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
)

// The compact form of a decision's denied hosts (docs/storage.md, "The
// audit log"). A decision used to store one JSON object per denied host,
// twice (in Denied and in the decision's own denied list): hundreds of
// bytes per host, 280 MB for a request of 870,000 hosts. Since then a
// decision stores DeniedSets instead: per rule, a roaring bitmap of the
// denied host ids and the cluster and detail most of them share, and
// per other (cluster, detail) pair a bitmap of the hosts that have it.
// Host ids are the dictionary's, which never reuses or renumbers one.
//
// Reading an entry expands the sets back into the old form (Denied
// sorted by host, and the decision record's denied list), so everything
// that reads the log sees what it always saw; the stored bytes, which
// the hash chain and the record checksum cover, are the compact ones.

// DeniedSet is the hosts one rule denied in a decision.
type DeniedSet struct {
	Rule      string `json:"rule"`
	Transient bool   `json:"transient,omitempty"`
	// Cluster and Detail are those of every host of Hosts that no
	// variant in Except holds.
	Cluster string `json:"cluster,omitempty"`
	Detail  string `json:"detail,omitempty"`
	// Hosts is a roaring bitmap (its portable serialization) of host ids.
	Hosts  []byte          `json:"hosts"`
	Except []DeniedVariant `json:"except,omitempty"`
}

// DeniedVariant is the hosts of a rule whose cluster or detail differs
// from the rule's: a subset of its Hosts, disjoint from other variants.
type DeniedVariant struct {
	Cluster string `json:"cluster,omitempty"`
	Detail  string `json:"detail,omitempty"`
	Hosts   []byte `json:"hosts"`
}

// DecisionDenial is one host of a decision record's denied list
// (AuditEntry.Decision), in the shape the decision has always had.
type DecisionDenial struct {
	Host      string `json:"host"`
	Cluster   string `json:"cluster,omitempty"`
	Rule      string `json:"rule"`
	Detail    string `json:"detail"`
	Transient bool   `json:"transient"`
}

// DeniedHost is one denied host of a decision by id, for DeniedSetsOf.
type DeniedHost struct {
	ID                    uint32
	Rule, Cluster, Detail string
	Transient             bool
}

// DeniedGroup is the hosts of a decision that share one denial but for
// the host: their ids, ascending.
type DeniedGroup struct {
	Rule, Cluster, Detail string
	Transient             bool
	IDs                   []uint32
}

// DeniedSetsOf groups denied hosts into the compact form: a set per rule
// (in rule order), its cluster and detail those of most of its hosts
// (the first such pair in host order on a tie), a variant per other pair.
func DeniedSetsOf(hosts []DeniedHost) []DeniedSet {
	type pair struct{ rule, cluster, detail string }
	index := map[pair]int{}
	var groups []DeniedGroup
	for _, h := range hosts {
		p := pair{h.Rule, h.Cluster, h.Detail}
		i, ok := index[p]
		if !ok {
			i = len(groups)
			index[p] = i
			groups = append(groups, DeniedGroup{Rule: h.Rule, Cluster: h.Cluster, Detail: h.Detail})
		}
		groups[i].Transient = groups[i].Transient || h.Transient
		groups[i].IDs = append(groups[i].IDs, h.ID)
	}
	for i := range groups {
		slices.Sort(groups[i].IDs)
	}
	return DeniedSetsOfGroups(groups)
}

// DeniedSetsOfGroups is DeniedSetsOf of hosts already grouped by (rule,
// cluster, detail), each group's ids ascending and no pair twice: what a
// decision that knows its denials by those three builds without hashing
// them per host. A rule is transient when any of its groups says so.
func DeniedSetsOfGroups(groups []DeniedGroup) []DeniedSet {
	bms := make([]*roaring.Bitmap, len(groups))
	byRule := map[string][]int{}
	transient := map[string]bool{}
	for i := range groups {
		g := &groups[i]
		bms[i] = roaring.New()
		bms[i].AddMany(g.IDs)
		byRule[g.Rule] = append(byRule[g.Rule], i)
		transient[g.Rule] = transient[g.Rule] || g.Transient
	}
	out := make([]DeniedSet, 0, len(byRule))
	for _, rule := range sortedKeys(byRule) {
		keys := byRule[rule]
		// the most common pair first, ties by its lowest host id
		slices.SortFunc(keys, func(a, b int) int {
			if na, nb := len(groups[a].IDs), len(groups[b].IDs); na != nb {
				return nb - na
			}
			return int(groups[a].IDs[0]) - int(groups[b].IDs[0])
		})
		s := DeniedSet{Rule: rule, Transient: transient[rule], Cluster: groups[keys[0]].Cluster, Detail: groups[keys[0]].Detail}
		all := make([]*roaring.Bitmap, len(keys))
		for j, k := range keys {
			all[j] = bms[k]
			if j > 0 {
				s.Except = append(s.Except, DeniedVariant{Cluster: groups[k].Cluster, Detail: groups[k].Detail, Hosts: bitmapBytes(bms[k])})
			}
		}
		s.Hosts = bitmapBytes(roaring.FastOr(all...))
		out = append(out, s)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func bitmapBytes(bm *roaring.Bitmap) []byte {
	bm.RunOptimize()
	b, err := bm.ToBytes()
	if err != nil { // writing to memory does not fail
		panic(err)
	}
	return b
}

// denialGroup is hosts that share one denial but for the host.
type denialGroup struct {
	hosts *roaring.Bitmap
	like  DecisionDenial
}

// denialGroups validates the sets of a dictionary of n names: every
// bitmap must decode, every variant lie inside its rule's hosts and
// apart from the others, every host be denied by one rule only, and
// every id name a host of the dictionary; anything else is ErrCorrupt.
func denialGroups(sets []DeniedSet, n uint32) ([]denialGroup, error) {
	seen := roaring.New()
	var out []denialGroup
	for i := range sets {
		s := &sets[i]
		all, err := readBitmap(s.Hosts)
		if err != nil {
			return nil, fmt.Errorf("denied set %s: %w", s.Rule, err)
		}
		if s.Rule == "" || all.IsEmpty() || seen.Intersects(all) {
			return nil, fmt.Errorf("%w: denied set %q: empty, unnamed or overlapping another rule's", ErrCorrupt, s.Rule)
		}
		if all.Maximum() >= n {
			return nil, fmt.Errorf("%w: denied set %s names host id %d, the dictionary holds %d", ErrCorrupt, s.Rule, all.Maximum(), n)
		}
		seen.Or(all)
		rest := all.Clone()
		for _, x := range s.Except {
			bm, err := readBitmap(x.Hosts)
			if err != nil {
				return nil, fmt.Errorf("denied set %s: %w", s.Rule, err)
			}
			if bm.IsEmpty() || bm.AndCardinality(rest) != bm.GetCardinality() {
				return nil, fmt.Errorf("%w: denied set %s: a variant outside its hosts or overlapping another", ErrCorrupt, s.Rule)
			}
			rest.AndNot(bm)
			out = append(out, denialGroup{bm, DecisionDenial{Cluster: x.Cluster, Rule: s.Rule, Detail: x.Detail, Transient: s.Transient}})
		}
		if !rest.IsEmpty() {
			out = append(out, denialGroup{rest, DecisionDenial{Cluster: s.Cluster, Rule: s.Rule, Detail: s.Detail, Transient: s.Transient}})
		}
	}
	return out, nil
}

// deniedHosts expands the sets into one denial per host, sorted by host
// name.
func deniedHosts(sets []DeniedSet, d *dict) ([]DecisionDenial, error) {
	groups, err := denialGroups(sets, d.n)
	if err != nil {
		return nil, err
	}
	size := uint64(0)
	for _, g := range groups {
		size += g.hosts.GetCardinality()
	}
	out := make([]DecisionDenial, 0, size)
	for _, g := range groups {
		it := g.hosts.Iterator()
		for it.HasNext() {
			x := g.like
			x.Host = d.Name(it.Next())
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b DecisionDenial) int { return strings.Compare(a.Host, b.Host) })
	return out, d.err
}

func readBitmap(b []byte) (*roaring.Bitmap, error) {
	bm := roaring.New()
	// Validate refuses unsorted or repeated ids in a container, which would
	// make Maximum (the check that ids are assigned) lie.
	if n, err := bm.ReadFrom(bytes.NewReader(b)); err != nil || n != int64(len(b)) || bm.Validate() != nil {
		return nil, fmt.Errorf("%w: a host bitmap does not decode", ErrCorrupt)
	}
	return bm, nil
}

// expandDenied turns an entry's compact sets back into Denied and into
// the decision record's denied list.
func (t *Tx) expandDenied(e *AuditEntry) error {
	if len(e.DeniedSets) == 0 {
		return nil
	}
	if len(e.Denied) > 0 {
		return fmt.Errorf("%w: both denied hosts and denied sets", ErrCorrupt)
	}
	list, err := deniedHosts(e.DeniedSets, t.dict)
	if err != nil {
		return err
	}
	e.Denied = make([]Denied, len(list))
	for i, x := range list {
		e.Denied[i] = Denied{Host: x.Host, Rule: x.Rule, Detail: x.Detail}
	}
	if len(e.Decision) > 0 {
		if e.Decision, err = spliceDenied(e.Decision, list); err != nil {
			return err
		}
	}
	e.DeniedSets = nil
	return nil
}

// spliceDenied replaces the value of the decision record's top-level
// "denied" key (an empty list in the compact form) with list.
func spliceDenied(decision json.RawMessage, list []DecisionDenial) (json.RawMessage, error) {
	start, end, err := topLevelValue(decision, "denied")
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(bytes.TrimSpace(decision[start:end]), []byte("[]")) {
		return nil, fmt.Errorf("%w: a decision with denied sets lists denied hosts too", ErrCorrupt)
	}
	size := len(decision) + 2
	for i := range list {
		x := &list[i]
		size += 64 + len(x.Host) + len(x.Cluster) + len(x.Rule) + len(x.Detail)
	}
	out := append(make([]byte, 0, size), decision[:start]...)
	out = append(out, '[')
	for i := range list {
		if i > 0 {
			out = append(out, ',')
		}
		b, err := json.Marshal(&list[i]) // as json.Marshal of the list writes each
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	out = append(out, ']')
	return append(out, decision[end:]...), nil
}

// topLevelValue finds the bytes of the value of key in a JSON object.
func topLevelValue(obj []byte, key string) (start, end int, err error) {
	bad := func(why string) (int, int, error) {
		return 0, 0, fmt.Errorf("%w: decision record: %s", ErrCorrupt, why)
	}
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return bad("not an object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad(err.Error())
		}
		after := int(dec.InputOffset())
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return bad(err.Error())
		}
		if tok == key {
			end = int(dec.InputOffset())
			start = after + bytes.IndexByte(obj[after:end], ':') + 1
			return start, end, nil
		}
	}
	return bad("no " + key + " list")
}

package store

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"
)

// TestDeniedSetsExpandToTheFullForm appends random decisions twice, in
// the full form (one object per denied host) and in the compact one
// (DeniedSetsOf, the decision record without its denied list), and reads
// both back: they must be the same entry, and the compact one no larger
// once a decision denies a few hundred hosts.
func TestDeniedSetsExpandToTheFullForm(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	db, _ := newTestDB(t)
	hosts := make([]string, 3000)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("h%05d.x", rng.IntN(100000)*len(hosts)+i) // not in id order
	}
	_, err := db.CreatePass(hostsPass(hosts...))
	require.NoError(t, err)
	for round := 0; round < 25; round++ {
		msg := fmt.Sprintf("seed %d round %d", seed, round)
		denied := randomDenials(rng, len(hosts))
		var full, compact *AuditEntry
		require.NoError(t, db.Update(func(tx *Tx) error {
			names := make([]DecisionDenial, len(denied))
			for i, x := range denied {
				names[i] = DecisionDenial{Host: tx.dict.Name(x.ID), Cluster: x.Cluster, Rule: x.Rule, Detail: x.Detail, Transient: x.Transient}
			}
			slices.SortFunc(names, func(a, b DecisionDenial) int { return strings.Compare(a.Host, b.Host) })
			full, compact = decisionEntries(t, names, denied)
			fullID, err := tx.AppendAudit(full)
			require.NoError(t, err)
			compactID, err := tx.AppendAudit(compact)
			require.NoError(t, err)
			a, err := tx.Audit(fullID)
			require.NoError(t, err)
			b, err := tx.Audit(compactID)
			require.NoError(t, err)
			a.ID, a.Prev, b.ID, b.Prev = 0, "", 0, ""
			require.Equal(t, a, b, msg)
			require.Equal(t, len(names), len(b.Denied), msg)
			return nil
		}), msg)
		fullBytes, _ := json.Marshal(full)
		compactBytes, _ := json.Marshal(compact)
		if len(denied) >= 300 {
			require.Less(t, len(compactBytes), len(fullBytes), msg)
		}
	}
	require.NoError(t, db.View(func(tx *Tx) error {
		c, err := tx.VerifyAudit()
		require.NoError(t, err)
		require.True(t, c.OK(), "%v", c.Problems)
		return nil
	}))
}

// randomDenials are random hosts denied by random rules, with details
// most of a rule's hosts share and some their own.
func randomDenials(rng *rand.Rand, n int) []DeniedHost {
	rules := []string{"budget:cluster", "budget:rack", "invariant:freeze", "policy:no-cluster"}
	var out []DeniedHost
	for _, id := range rng.Perm(n)[:rng.IntN(n)] {
		rule := rules[rng.IntN(len(rules))]
		x := DeniedHost{ID: uint32(id), Rule: rule, Transient: strings.HasPrefix(rule, "budget:"),
			Cluster: fmt.Sprintf("c%d", rng.IntN(3)), Detail: rule + ` full: "quoted" <none> & more`}
		switch rng.IntN(10) {
		case 0:
			x.Detail = fmt.Sprintf("rack r%d: %d out", rng.IntN(20), rng.IntN(3))
		case 1:
			x.Cluster, x.Detail = "", ""
		}
		out = append(out, x)
	}
	return out
}

// decisionEntries are one decision's entry in the full and compact forms;
// its record has keys before and after denied, and a nested denied key.
func decisionEntries(t *testing.T, names []DecisionDenial, denied []DeniedHost) (full, compact *AuditEntry) {
	record := func(list []DecisionDenial) json.RawMessage {
		b, err := json.Marshal(struct {
			Verb    string           `json:"verb"`
			Expr    string           `json:"expr"`
			Denied  []DecisionDenial `json:"denied"`
			Nested  map[string]any   `json:"nested"`
			Trailer string           `json:"trailer"`
		}{"drain", `all | "denied":[] <x>`, list, map[string]any{"denied": []int{1}}, "end"})
		require.NoError(t, err)
		return b
	}
	old := make([]Denied, len(names))
	for i, x := range names {
		old[i] = Denied{Host: x.Host, Rule: x.Rule, Detail: x.Detail}
	}
	base := AuditEntry{Time: time.Unix(1795132800, 0).UTC(), Requester: "t", Kind: KindDecision, Verb: "drain", Approved: []string{}}
	full, compact = new(AuditEntry), new(AuditEntry)
	*full, *compact = base, base
	full.Denied, full.Decision = old, record(names)
	compact.Denied, compact.DeniedSets, compact.Decision = []Denied{}, DeniedSetsOf(denied), record([]DecisionDenial{})
	if len(denied) == 0 {
		compact.DeniedSets = nil
	}
	return full, compact
}

// TestDamagedDeniedSetsAreCorrupt: a set whose bitmap does not decode,
// names a host beyond the dictionary, overlaps another rule's, or whose
// variant lies outside its hosts is ErrCorrupt when read, never a wrong
// list.
func TestDamagedDeniedSetsAreCorrupt(t *testing.T) {
	db, _ := newTestDB(t)
	_, err := db.CreatePass(hostsPass("a.x", "b.x", "c.x"))
	require.NoError(t, err)
	bm := func(ids ...uint32) []byte { return bitmapBytes(roaring.BitmapOf(ids...)) }
	for name, sets := range map[string][]DeniedSet{
		"undecodable":      {{Rule: "r", Hosts: []byte{1, 2, 3}}},
		"beyond the dict":  {{Rule: "r", Hosts: bm(7)}},
		"empty":            {{Rule: "r", Hosts: bm()}},
		"overlapping":      {{Rule: "r", Hosts: bm(0, 1)}, {Rule: "s", Hosts: bm(1)}},
		"variant outside":  {{Rule: "r", Hosts: bm(0), Except: []DeniedVariant{{Detail: "d", Hosts: bm(2)}}}},
		"variants overlap": {{Rule: "r", Hosts: bm(0, 1), Except: []DeniedVariant{{Hosts: bm(1)}, {Hosts: bm(1)}}}},
	} {
		var id int64
		require.NoError(t, db.Update(func(tx *Tx) (err error) {
			id, err = tx.AppendAudit(&AuditEntry{Kind: KindDecision, Denied: []Denied{}, DeniedSets: sets, Decision: json.RawMessage(`{"denied":[]}`)})
			return err
		}))
		require.NoError(t, db.View(func(tx *Tx) error {
			_, err := tx.Audit(id)
			require.ErrorIs(t, err, ErrCorrupt, name)
			_, err = tx.AuditSince(0)
			require.ErrorIs(t, err, ErrCorrupt, name)
			return nil
		}))
		require.Error(t, db.Check(), name)
		require.NoError(t, db.Update(func(tx *Tx) error { return tx.btx.Bucket(bucketAudit).Delete(u64(uint64(id))) }))
		require.NoError(t, db.Update(func(tx *Tx) error { return tx.btx.Bucket(bucketAudit).SetSequence(uint64(id - 1)) }))
	}
}

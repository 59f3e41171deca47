package store_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

// TestEachNameMatchesNames compares EachName with Names (the names
// collected and sorted) on random subsets of a dictionary that several
// passes grew, so that its ids fall into several runs in byte order; and
// with the run merge limited, so that it falls back to sorting.
func TestEachNameMatchesNames(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed: %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	db := storetest.Open(t)
	var all []string
	seen := map[string]bool{}
	for p := range 6 {
		for range 300 + rng.IntN(1500) { // crosses chunks of 1,024 names
			name := fmt.Sprintf("h%0*d.%c", rng.IntN(4), rng.IntN(1_000_000), 'a'+rune(p%3))
			if !seen[name] {
				seen[name] = true
				all = append(all, name)
			}
		}
		create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("hosts", "up", all...)}})
	}
	require.NoError(t, db.View(func(tx *store.Tx) error {
		dict := tx.Hosts()
		for i := range 60 {
			s := roaring.New()
			for id := range dict.Len() {
				if rng.IntN(4) > i%4 {
					s.Add(id)
				}
			}
			if i%10 == 0 {
				old := store.SetMaxNameRuns(1 + rng.IntN(3))
				requireEachName(t, dict, s)
				store.SetMaxNameRuns(old)
				continue
			}
			requireEachName(t, dict, s)
		}
		requireEachName(t, dict, roaring.New())
		return nil
	}))
}

func requireEachName(t *testing.T, dict *store.HostDict, s *roaring.Bitmap) {
	t.Helper()
	var got []string
	require.NoError(t, dict.EachName(s, func(name []byte) error {
		got = append(got, string(name))
		return nil
	}))
	want := dict.Names(s)
	if len(want) == 0 {
		want = nil
	}
	require.Equal(t, want, got)
}

// TestEachNameStopsAtError pins that EachName returns its callback's first
// error and calls it no more.
func TestEachNameStopsAtError(t *testing.T) {
	db := storetest.Open(t)
	create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("hosts", "up", "c", "a", "b")}})
	create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("hosts", "up", "a", "aa", "0")}})
	stop := errors.New("stop")
	require.NoError(t, db.View(func(tx *store.Tx) error {
		s := roaring.New()
		s.AddRange(0, uint64(tx.Hosts().Len()))
		var seen []string
		err := tx.Hosts().EachName(s, func(name []byte) error {
			seen = append(seen, string(name))
			if len(seen) == 3 {
				return stop
			}
			return nil
		})
		require.ErrorIs(t, err, stop)
		require.Equal(t, []string{"0", "a", "aa"}, seen)
		return nil
	}))
}

// TestNamesWithIDsMatchesNamesAndLookup compares NamesWithIDs with Names
// (the same names in the same order) and with Lookup (each name's id) on
// random subsets of a dictionary several passes grew, whose ids are not
// in byte order of their names.
func TestNamesWithIDsMatchesNamesAndLookup(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed: %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	db := storetest.Open(t)
	var all []string
	seen := map[string]bool{}
	for p := range 4 {
		for range 300 + rng.IntN(1500) {
			name := fmt.Sprintf("h%0*d.%c", rng.IntN(4), rng.IntN(1_000_000), 'a'+rune(p%3))
			if !seen[name] {
				seen[name] = true
				all = append(all, name)
			}
		}
		create(t, db, store.NewPass{Sources: []*store.SourceData{newSource("hosts", "up", all...)}})
	}
	require.NoError(t, db.View(func(tx *store.Tx) error {
		dict := tx.Hosts()
		for i := range 40 {
			s := roaring.New()
			for id := range dict.Len() {
				if rng.IntN(8) > i%8 {
					s.Add(id)
				}
			}
			names, ids := dict.NamesWithIDs(s)
			require.Equal(t, dict.Names(s), names)
			require.Len(t, ids, len(names))
			for k, n := range names {
				want, missing := dict.Lookup([]string{n})
				require.Empty(t, missing)
				require.Equal(t, want.ToArray(), []uint32{ids[k]}, "the id of %s", n)
			}
		}
		names, ids := dict.NamesWithIDs(roaring.New())
		require.Empty(t, names)
		require.Empty(t, ids)
		return nil
	}))
}

package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

func sizedFleet(n int) *store.SourceData {
	src := newSource("inventory", "inventory")
	role := store.NewColumn("role", fleet.String, n)
	ip := store.NewColumn("ip", fleet.String, n)
	cores := store.NewColumn("cores", fleet.Number, n)
	excl := store.NewColumn("hadoop_exclude", fleet.Bool, n)
	for i := range n {
		src.Hosts = append(src.Hosts, fmt.Sprintf("node%06d.dc%d.example.com", i, i%3))
		role.Str[i], role.Has[i] = []string{"web", "db", "hadoop", "cache"}[i%4], true
		ip.Str[i], ip.Has[i] = fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255), true
		cores.Num[i], cores.Has[i] = float64(int(8)<<(i%3)), i%10 != 0
		excl.Bool[i], excl.Has[i] = i%50 == 0, true
	}
	src.Attrs = []*store.Column{role, ip, cores, excl}
	src.Sets = map[string][]uint32{"canary": {0, 5, 17}}
	return src
}

// TestIdenticalPassSharesBlobs: a pass identical to its parent stores no
// new blobs, only its own small record (docs/performance.md: under 1% of a full pass).
func TestIdenticalPassSharesBlobs(t *testing.T) {
	const n = 20000
	db := storetest.Open(t)
	_, before, err := store.BlobStats(db)
	require.NoError(t, err)
	create(t, db, store.NewPass{Sources: []*store.SourceData{sizedFleet(n)}})
	blobs1, bytes1, err := store.BlobStats(db)
	require.NoError(t, err)
	size1, err := db.Size()
	require.NoError(t, err)

	again := sizedFleet(n)
	again.ReadAt = t0.Add(time.Hour)
	create(t, db, store.NewPass{Created: t0.Add(time.Hour), Sources: []*store.SourceData{again}})
	blobs2, bytes2, err := store.BlobStats(db)
	require.NoError(t, err)
	size2, err := db.Size()
	require.NoError(t, err)
	rec, err := store.PassBytes(db, 2)
	require.NoError(t, err)

	first := bytes1 - before
	added := bytes2 - bytes1 + int64(rec)
	t.Logf("first pass: %d blobs, %d blob bytes, file %d bytes; identical pass: %d new blobs, %d new blob bytes, pass record %d bytes, file %d → %d bytes",
		blobs1, first, size1, blobs2-blobs1, bytes2-bytes1, rec, size1, size2)
	assert.Equal(t, blobs1, blobs2, "no new blobs")
	assert.Less(t, float64(added), 0.01*float64(first), "an identical pass adds under 1%% of the first pass's bytes")

	// A pass with a change stores only the blobs that changed.
	changed := sizedFleet(n)
	changed.Attrs[2].Num[7] = 1 // cores of one host
	create(t, db, store.NewPass{Created: t0.Add(2 * time.Hour), Sources: []*store.SourceData{changed}})
	blobs3, _, err := store.BlobStats(db)
	require.NoError(t, err)
	// The new cores attribute and manifest are stored whole; the replaced
	// cores blob and manifest are kept as deltas against the new ones
	// (deltas bucket).
	assert.Equal(t, blobs2, blobs3, "the cores attribute and the manifest, less the two they replaced, now deltas")
}

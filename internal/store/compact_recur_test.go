package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRecurringContentStaysDeltas: a history longer than maxChain that
// then repeats (the same versions come back, as a fleet that returns to
// earlier states does) keeps the returning versions' predecessors as
// deltas. A returning version used to inherit its old chain's full depth
// bound, so no version after it could become a delta: every one stayed
// whole (8 MB → 140 MB over 500 passes in the issue).
func TestRecurringContentStaysDeltas(t *testing.T) {
	shortenChains(t, 128)
	period, hosts := maxChain+40, 800
	db, _ := openCmpDB(t)
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var wholeAfter [2]int64
	for cycle := range 2 {
		f := newCmpFleet(7, hosts)
		for i := range period {
			at := t0.Add(time.Duration(cycle*period+i) * time.Minute)
			p, err := db.CreatePass(NewPass{Created: at, Sources: []*SourceData{f.source(at)}})
			require.NoError(t, err)
			require.NoError(t, db.Update(func(tx *Tx) error { return tx.Deltify(p.ID) }))
			f.churn(3)
		}
		u, err := db.Usage()
		require.NoError(t, err)
		wholeAfter[cycle] = u.WholeBytes
		t.Logf("after cycle %d: %d whole blobs (%d bytes), %d deltas (%d bytes), file %d bytes",
			cycle+1, u.WholeBlobs, u.WholeBytes, u.Deltas, u.DeltaBytes, u.FileBytes)
	}
	assert.Less(t, wholeAfter[1], 2*wholeAfter[0], "the second cycle adds keyframes, not a whole copy per pass")
	require.NoError(t, db.Check())
}

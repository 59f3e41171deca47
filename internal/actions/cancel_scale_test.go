package actions

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
)

// A cancel or stop naming many hosts (an API caller sends what it likes,
// up to the body limit) costs in proportion to them: uniq and the
// ownership check were quadratic, so 80,000 names held the write lock
// 12 s. 200,000 names were minutes; here they are milliseconds, so the
// bound leaves room for any machine.
func TestManyHostsAreLinear(t *testing.T) {
	names := make([]string, 200000)
	for i := range names {
		names[i] = fmt.Sprintf("h%d", i)
	}
	leases := make([]store.Lease, 20000)
	for i := range leases {
		leases[i] = store.Lease{Host: fmt.Sprintf("l%d", i), Requester: "rob"}
	}
	start := time.Now()
	got := uniq(append(names, names[:10]...))
	require.NoError(t, ownLeases(leases, names, "ann", "cancel", false))
	assert.Less(t, time.Since(start), 2*time.Second)
	require.Len(t, got, len(names))
	assert.Equal(t, names[:3], got[:3], "first seen first")
	assert.Equal(t, []string{"b", "a"}, uniq([]string{"b", "a", "b", "a"}))
	require.Error(t, ownLeases(leases, []string{"x", "l7"}, "ann", "cancel", false), "rob's lease of l7")
}

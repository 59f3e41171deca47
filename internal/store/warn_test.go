package store_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

// A compared value no host has warns when a near value exists (a typo),
// and stays silent for an exact value or a value nothing resembles. An
// unknown set name that is a host says to quote it.
func TestMisspeltValueAndUnquotedHost(t *testing.T) {
	db := storetest.Open(t)
	src := newSource("inventory", "inventory", "dn1.smf1", "dn2.smf1", "web1.smf1")
	src.Attrs = []*store.Column{{Name: "role", Type: fleet.String, Str: []string{"hadoop-worker", "hadoop-worker", "web"}}}
	create(t, db, store.NewPass{Sources: []*store.SourceData{src}})
	run := func(text string) ([]string, error) {
		var warnings []string
		var runErr error
		require.NoError(t, db.View(func(tx *store.Tx) error {
			snap, err := tx.Snapshot(0)
			require.NoError(t, err)
			env := &query.Env{Snap: snap}
			st, err := query.Parse(text)
			require.NoError(t, err)
			_, runErr = query.Run(env, st)
			warnings = env.Warnings
			return nil
		}))
		return warnings, runErr
	}
	w, err := run(`role = "hadoop_worker"`)
	require.NoError(t, err)
	assert.Equal(t, []string{`1:8: no host of pass 1 has role = "hadoop_worker" (did you mean "hadoop-worker"?)`}, w)
	w, _ = run(`role = "web"`)
	assert.Empty(t, w)
	w, _ = run(`role != "database-server"`)
	assert.Empty(t, w)

	_, err = run(`dn1.smf1 + web1.smf1`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `dn1.smf1 is a host: quote host names, "dn1.smf1"`)
}

package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestServeStartupWarnsOfPolicy: a --policy that does not load is said at
// start-up (before, the server started silently, /readyz said ready and
// the first decision failed); a policy that loads is not mentioned.
func TestServeStartupWarnsOfPolicy(t *testing.T) {
	f := newActionFixture(t)
	missing := filepath.Join(t.TempDir(), "policy.toml")
	s := startServe(t, f.db, "--policy", missing)
	assert.Contains(t, s.Logs(), "fleetq serve: warning: no policy file: "+missing+" does not exist: every decision fails until the policy loads")
	s.Stop(t)

	s = startServe(t, f.db, "--policy", f.policy)
	assert.NotContains(t, s.Logs(), "warning")
}

// TestServeMissingDatabaseSaysWhatToDo: no database file is refused with
// where the path came from and what creates it.
func TestServeMissingDatabaseSaysWhatToDo(t *testing.T) {
	_, errOut, code := fqBin(t, filepath.Join(t.TempDir(), "none.db"), "serve", "--listen", "127.0.0.1:0")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "none.db: no such database (check --db or $FLEETQ_DB; the first fleetq ingest creates it)")
}

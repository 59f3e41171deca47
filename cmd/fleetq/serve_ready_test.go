package main

import (
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeReadyz: /readyz is 200 while the database can be read, also
// while another process holds its lock (requests wait their turn), and
// 503 with the reason while the file is gone.
func TestServeReadyz(t *testing.T) {
	f := newActionFixture(t)
	s := startServe(t, f.db, "--policy", f.policy)
	resp, b := s.call(t, "GET", "/readyz", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)

	_, release := startHolder(t, f.db)
	resp, b = s.call(t, "GET", "/readyz", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a held lock is no reason to take the server out of rotation: %s", b)
	require.NoError(t, release.Close())

	moved := f.db + ".away"
	require.NoError(t, os.Rename(f.db, moved))
	resp, b = s.call(t, "GET", "/readyz", "", nil)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, string(b), "no such database")
	resp, _ = s.call(t, "GET", "/healthz", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "alive all the same")
	require.NoError(t, os.Rename(moved, f.db))
	resp, b = s.call(t, "GET", "/readyz", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
}

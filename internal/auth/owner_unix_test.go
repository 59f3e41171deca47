//go:build unix

package auth

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRewriteKeepsOwner: root adding a token to the file of a server that
// runs as another user leaves the file that user's, so the server still
// reads it (before, the rewrite made it root's, mode 0600, and the server
// silently kept its old tokens).
func TestRewriteKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIP: giving a file to another user needs root")
	}
	path := filepath.Join(t.TempDir(), "tokens.json")
	_, err := Create(path, "alice", Operator, false, "fleetq", time.Now())
	require.NoError(t, err)
	const uid, gid = 65534, 65534 // nobody, nogroup
	require.NoError(t, os.Chown(path, uid, gid))

	_, err = Create(path, "bob", Viewer, false, "root", time.Now())
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	assert.Equal(t, uint32(uid), st.Uid)
	assert.Equal(t, uint32(gid), st.Gid)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	require.NoError(t, Revoke(path, "alice"))
	fi, err = os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, uint32(uid), fi.Sys().(*syscall.Stat_t).Uid, "a revoke keeps the owner too")
}

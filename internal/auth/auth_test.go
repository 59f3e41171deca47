package auth

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateLookupRevoke(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	st, err := NewStore(path)
	require.NoError(t, err, "a missing file is no tokens")
	assert.Equal(t, 0, st.Len())

	secret, err := Create(path, "alice", Operator, false, "root", time.Now())
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(secret, "fq_"))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), secret, "the file keeps the hash only")
	assert.Contains(t, string(raw), Hash(secret))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	p, err := st.Lookup(secret)
	require.NoError(t, err, "the store rereads the changed file")
	assert.Equal(t, Principal{Name: "alice", Role: Operator}, p)
	_, err = st.Lookup(secret + "x")
	assert.ErrorIs(t, err, ErrNoToken)
	_, err = st.Lookup("Bearer " + secret)
	assert.ErrorIs(t, err, ErrNoToken)

	_, err = Create(path, "alice", Viewer, false, "root", time.Now())
	assert.ErrorContains(t, err, "exists")

	require.NoError(t, Revoke(path, "alice"))
	_, err = st.Lookup(secret)
	assert.ErrorIs(t, err, ErrNoToken, "a revoked token stops at the next lookup")
	assert.ErrorContains(t, Revoke(path, "alice"), "no token called")
}

func TestConcurrentCreatesKeepEveryToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := Create(path, "t"+strings.Repeat("x", i), Viewer, true, "", time.Now())
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	ts, err := Read(path)
	require.NoError(t, err)
	assert.Len(t, ts, 16)
}

func TestDamagedFile(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"garbage":   "not json",
		"version":   `{"version": 2, "tokens": []}`,
		"role":      `{"version": 1, "tokens": [{"name": "a", "role": "root", "sha256": "` + strings.Repeat("0", 64) + `"}]}`,
		"hash":      `{"version": 1, "tokens": [{"name": "a", "role": "viewer", "sha256": "abc"}]}`,
		"name":      `{"version": 1, "tokens": [{"name": "-a", "role": "viewer", "sha256": "` + strings.Repeat("0", 64) + `"}]}`,
		"twice":     `{"version": 1, "tokens": [{"name": "a", "role": "viewer", "sha256": "` + strings.Repeat("0", 64) + `"}, {"name": "a", "role": "viewer", "sha256": "` + strings.Repeat("1", 64) + `"}]}`,
		"unknownfd": `{"version": 1, "tokens": [], "secret": "x"}`,
	} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		_, err := NewStore(path)
		assert.ErrorContains(t, err, path, name)
	}
}

// A rewrite that does not parse keeps the last good tokens: a bad edit
// never opens the server to everyone nor locks everyone out.
func TestBadRewriteKeepsLastGoodTokens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	secret, err := Create(path, "ops", Admin, false, "", time.Now())
	require.NoError(t, err)
	st, err := NewStore(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path+".new", []byte("{"), 0o600))
	require.NoError(t, os.Rename(path+".new", path))
	p, err := st.Lookup(secret)
	require.NoError(t, err)
	assert.Equal(t, "ops", p.Name)
	assert.Error(t, st.Err())
}

func TestRoles(t *testing.T) {
	for i, name := range Roles {
		r, err := ParseRole(name)
		require.NoError(t, err)
		assert.Equal(t, Role(i+1), r)
		assert.Equal(t, name, r.String())
	}
	_, err := ParseRole("root")
	assert.ErrorContains(t, err, "viewer, requester, operator, admin")
	assert.True(t, Admin.Allows(Operator))
	assert.False(t, Requester.Allows(Operator))
	assert.True(t, Principal{Role: Operator}.MayForce())
	assert.False(t, Principal{Role: Admin, Automation: true}.MayForce(), "automation never forces")
	assert.False(t, Principal{Role: Requester}.MayForce())
}

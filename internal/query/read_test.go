package query_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/query/querytest"
)

var errDamaged = errors.New("corrupt data: a flipped byte")

// A read error of a set or an attribute is a storage error at the name,
// whichever node or stage reads it: never "unknown name", a suggestion or
// an empty set.
func TestReadErrorIsStorageError(t *testing.T) {
	f := querytest.NewFleet()
	f.NewPass().AddHosts("h1", "h2").AddSet("web", "h1").
		SetString("role", map[string]string{"h1": "web", "h2": "db"}).
		SetString("rack", map[string]string{"h1": "r1", "h2": "r2"}).
		Damage("role", errDamaged).Damage("web", errDamaged)
	for _, tt := range []struct{ in, want string }{
		{`role = "web"`, `1:1: storage error: pass 1: attribute role: corrupt data: a flipped byte`},
		{`role exists`, `1:1: storage error: pass 1: attribute role: corrupt data: a flipped byte`},
		{`rack = role`, `1:8: storage error: pass 1: attribute role: corrupt data: a flipped byte`},
		{`all | by role`, `1:7: storage error: pass 1: attribute role: corrupt data: a flipped byte`},
		{`all | show rack,role`, `1:7: storage error: pass 1: attribute role: corrupt data: a flipped byte`},
		{`all - web`, `1:7: storage error: pass 1: set web: corrupt data: a flipped byte`},
		{`all | where web`, `1:13: storage error: pass 1: set web: corrupt data: a flipped byte`},
	} {
		env := &query.Env{Snap: f.Snapshot()}
		err := runErr(env, tt.in)
		require.Error(t, err, tt.in)
		assert.EqualError(t, err, tt.want, tt.in)
		assert.ErrorIs(t, err, query.ErrStorage, tt.in)
		assert.ErrorIs(t, err, errDamaged, tt.in)
		assert.NotErrorIs(t, err, query.ErrUnknownName, tt.in)
	}
}

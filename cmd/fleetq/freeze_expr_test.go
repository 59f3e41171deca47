package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store/storetest"
)

const roleFreezePolicy = `
[[archetype]]
name = "any"
any = { pct = 50, floor = 1 }
`

// roleFleet ingests ka00..ka09 (role kafka, cluster kafka-a) and
// kb00..kb09 (role web, cluster web-a), with the roles of moved changed.
func roleFleet(f *actionFixture, at time.Time, moved map[string]string) {
	var inv strings.Builder
	inv.WriteString("host,cluster,rack,role,lifecycle\n")
	for _, c := range []struct{ prefix, cluster, role string }{{"ka", "kafka-a", "kafka"}, {"kb", "web-a", "web"}} {
		for i := 0; i < 10; i++ {
			h := fmt.Sprintf("%s%02d.ams1", c.prefix, i)
			role := c.role
			if r, ok := moved[h]; ok {
				role = r
			}
			fmt.Fprintf(&inv, "%s,%s,%s-r%d,%s,active\n", h, c.cluster, c.prefix, i/5, role)
		}
	}
	p := filepath.Join(f.dir, "inventory.csv")
	require.NoError(f.t, os.WriteFile(p, []byte(inv.String()), 0o644))
	f.ok("ingest", p, "--at", at.Format(time.RFC3339))
}

type freezeViewJSON struct {
	Scope, Expr, Reason, Requester string
	Hosts                          int
}

func (f *actionFixture) freezes() []freezeViewJSON {
	var out []freezeViewJSON
	require.NoError(f.t, json.Unmarshal([]byte(f.ok("freezes", "--format", "json")), &out))
	return out
}

// TestRoleFreezeCatchesAHostThatJoinsLater: freeze 'role = "kafka"'
// holds the 10 kafka hosts; every one is denied invariant:freeze naming
// the freeze, while web-a gets its 50% of 10 = 5. On the next pass kb03
// has become a kafka host: the freeze holds 11 and kb03 is denied; only
// --force --reason lifts it. Unfreezing by the same text ends it.
func TestRoleFreezeCatchesAHostThatJoinsLater(t *testing.T) {
	f := &actionFixture{t: t, dir: t.TempDir(), base: time.Now().UTC().Add(-30 * time.Minute).Truncate(time.Second)}
	f.db, f.policy = filepath.Join(f.dir, "fleetq.db"), filepath.Join(f.dir, "policy.toml")
	require.NoError(t, os.WriteFile(f.policy, []byte(roleFreezePolicy), 0o644))
	t.Cleanup(func() { storetest.MustCheck(t, f.db) })
	roleFleet(f, f.base, nil)

	_, stderr, code := f.run("freeze", "rol = kafka", "--reason", "typo")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, `no cluster "rol = kafka" in pass 1`)
	f.ok("freeze", `role = "kafka"`, "--until", "3d", "--reason", "change freeze", "--as", "alice")
	fz := f.freezes()
	require.Len(t, fz, 1)
	assert.Equal(t, freezeViewJSON{Scope: `(role = "kafka")`, Expr: `(role = "kafka")`, Reason: "change freeze", Requester: "alice", Hosts: 10}, fz[0])
	text := f.ok("freezes")
	assert.Contains(t, text, `(role = "kafka")  expression     10  alice  `)

	d := f.decide("drain", "all", "--reason", "os upgrade", "--seed", "1")
	var frozen int
	for _, x := range d.Denied {
		if x.Rule == "invariant:freeze" {
			frozen++
			assert.True(t, strings.HasPrefix(x.Host, "ka"), x.Host)
			assert.Contains(t, x.Detail, `freeze '(role = "kafka")': host frozen by alice until`)
		}
	}
	assert.Equal(t, 10, frozen)
	assert.Len(t, d.Approved, 5)

	roleFleet(f, f.base.Add(10*time.Minute), map[string]string{"kb03.ams1": "kafka"})
	assert.Equal(t, 11, f.freezes()[0].Hosts)
	d = f.decide("drain", `"kb03.ams1"`, "--reason", "os upgrade")
	require.Len(t, d.Denied, 1)
	assert.Equal(t, "invariant:freeze", d.Denied[0].Rule, "a host that joined the role is frozen too")
	d = f.decide("drain", `"kb03.ams1"`, "--reason", "hotfix", "--force")
	assert.Equal(t, []string{"kb03.ams1"}, d.Approved)

	f.ok("unfreeze", `role = "kafka"`, "--reason", "over")
	assert.Empty(t, f.freezes())
	d = f.decide("drain", `"kb03.ams1"`, "--reason", "os upgrade")
	assert.Equal(t, []string{"kb03.ams1"}, d.Approved)
}

// An incident scoped by an expression holds only the hosts of the set, on
// every later pass (a host that joins the role later is held too); the
// rest of the fleet is decided as usual, and stop lifts it.
func TestScopedIncidentHoldsItsSetOnly(t *testing.T) {
	f := &actionFixture{t: t, dir: t.TempDir(), base: time.Now().UTC().Add(-30 * time.Minute).Truncate(time.Second)}
	f.db, f.policy = filepath.Join(f.dir, "fleetq.db"), filepath.Join(f.dir, "policy.toml")
	require.NoError(t, os.WriteFile(f.policy, []byte(roleFreezePolicy), 0o644))
	t.Cleanup(func() { storetest.MustCheck(t, f.db) })
	roleFleet(f, f.base, nil)

	_, stderr, code := f.run("incident", "start", "--scope", "rol = kafka", "--reason", "typo")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--scope "rol = kafka": not a set expression`)
	_, stderr, code = f.run("incident", "stop", "--scope", `role = "kafka"`)
	assert.Equal(t, 2, code, stderr)
	f.ok("incident", "start", "--scope", `role = "kafka"`, "--reason", "INC-7 kafka brokers flapping", "--as", "alice")
	assert.Contains(t, f.ok("incident", "status"), `INCIDENT MODE (hosts of (role = "kafka")) since`)

	d := f.decide("drain", "all", "--reason", "os upgrade", "--seed", "1")
	held := 0
	for _, x := range d.Denied {
		if x.Rule == "invariant:incident" {
			held++
			assert.True(t, strings.HasPrefix(x.Host, "ka"), x.Host)
		}
	}
	assert.Equal(t, 10, held)
	assert.Len(t, d.Approved, 5, "hosts outside the scope are decided as usual")

	roleFleet(f, f.base.Add(10*time.Minute), map[string]string{"kb03.ams1": "kafka"})
	d = f.decide("drain", `"kb03.ams1"`, "--reason", "os upgrade")
	require.Len(t, d.Denied, 1)
	assert.Equal(t, "invariant:incident", d.Denied[0].Rule, "a host that joined the role is held too")
	d = f.decide("drain", `"kb03.ams1"`, "--reason", "hotfix", "--force")
	assert.Equal(t, []string{"kb03.ams1"}, d.Approved)

	f.ok("incident", "stop", "--reason", "resolved")
	d = f.decide("drain", `"kb03.ams1"`, "--reason", "os upgrade")
	assert.Equal(t, []string{"kb03.ams1"}, d.Approved)
}

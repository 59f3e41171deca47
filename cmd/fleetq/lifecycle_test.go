package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lifecycleAudit is the part of an audit entry the lifecycle tests read.
type lifecycleAudit struct {
	ID        int64    `json:"id"`
	Kind      string   `json:"kind"`
	Requester string   `json:"requester"`
	Committed bool     `json:"committed"`
	Refused   string   `json:"refused"`
	Plan      int64    `json:"plan"`
	Approved  []string `json:"approved"`
	Planned   []string `json:"planned"`
	Hosts     []struct{ Host, Result string }
}

func (f *actionFixture) auditLog(args ...string) []lifecycleAudit {
	f.t.Helper()
	var log []lifecycleAudit
	require.NoError(f.t, json.Unmarshal([]byte(f.ok(append([]string{"audit", "--format", "json"}, args...)...)), &log))
	return log
}

// TestApplySubsetAndCancel: apply --hosts starts only the named hosts of
// a plan (a host it did not approve is refused by name and recorded),
// the entry keeps the whole plan for replay; cancel TOKEN withdraws a
// plan, which apply then refuses as cancelled; cancel --hosts ends a
// lease with no health evidence, recorded as a cancel, not a release.
func TestApplySubsetAndCancel(t *testing.T) {
	f := newActionFixture(t)
	plan := f.decide("drain", dense, "--reason", "disk swap", "--seed", "42")
	require.Len(t, plan.Approved, 7)
	outside := "db00.smf1"
	require.NotContains(t, plan.Approved, outside)

	_, stderr, code := f.run("apply", plan.Token, "--hosts", plan.Approved[0]+","+outside)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "not in the plan: "+outside+" is not one of the 7 hosts the plan approved")
	assert.Empty(t, f.leases(), "a refused subset grants nothing")

	start := plan.Approved[1:3]
	out := f.ok("apply", plan.Token, "--hosts", strings.Join(start, ","), "--format", "json")
	var applied struct {
		Started     []string `json:"started"`
		AppliedFrom int64    `json:"applied_from"`
		Audit       int64    `json:"audit"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &applied))
	assert.Equal(t, start, applied.Started)
	assert.Equal(t, plan.Audit, applied.AppliedFrom)
	var leased []string
	for _, l := range f.leases() {
		leased = append(leased, l.Host)
	}
	assert.ElementsMatch(t, start, leased, "only the named hosts are leased")
	applies := f.auditLog("--kind", "apply")
	require.Len(t, applies, 2)
	assert.NotEmpty(t, applies[0].Refused, "the refused subset is recorded")
	assert.Equal(t, start, applies[1].Approved)
	assert.Equal(t, plan.Approved, applies[1].Planned)
	assert.Contains(t, f.ok("audit", "replay", itoa(int(applied.Audit))), "match: the decision comes out the same")
	_, stderr, code = f.run("apply", plan.Token)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "already applied")

	withdrawn := f.decide("drain", dense, "--reason", "later", "--seed", "7")
	require.NotEmpty(t, withdrawn.Approved)
	out = f.ok("cancel", withdrawn.Token, "--reason", "window moved")
	assert.Contains(t, out, "cancelled: apply refuses it now")
	_, stderr, code = f.run("apply", withdrawn.Token)
	assert.Equal(t, exitFailure, code)
	cancels := f.auditLog("--kind", "cancel")
	require.Len(t, cancels, 1)
	assert.Contains(t, stderr, "cancelled (audit "+itoa(int(cancels[0].ID))+") by ")
	assert.Equal(t, withdrawn.Audit, cancels[0].Plan)
	assert.Contains(t, f.ok("audit", "--kind", "cancel"), withdrawn.Token+" (plan audit "+itoa(int(withdrawn.Audit))+") — window moved")
	_, stderr, code = f.run("cancel", withdrawn.Token, "--reason", "twice")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "cancelled already")
	_, stderr, code = f.run("cancel", plan.Token, "--reason", "too late")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "already applied", "an applied plan is cancelled by its leases")

	// No pass since the lease: release keeps it (no evidence), cancel ends it.
	_, _, code = f.run("release", start[0])
	assert.Equal(t, exitFailure, code)
	out, _, code = f.run("cancel", "--hosts", start[0]+",dn0000.smf1", "--reason", "job aborted before the drain", "--format", "json")
	assert.Equal(t, exitFailure, code, "dn0000 holds no lease")
	var res struct {
		Hosts []struct {
			Host      string
			Cancelled bool
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Len(t, res.Hosts, 2)
	assert.True(t, res.Hosts[0].Cancelled)
	assert.Equal(t, start[0], res.Hosts[0].Host)
	assert.False(t, res.Hosts[1].Cancelled)
	left := f.leases()
	require.Len(t, left, 1)
	assert.Equal(t, start[1], left[0].Host)
	cancels = f.auditLog("--kind", "cancel")
	require.Len(t, cancels, 2)
	assert.Equal(t, []string{start[0]}, cancels[1].Approved)
	assert.True(t, cancels[1].Committed)
	assert.Equal(t, "cancelled", cancels[1].Hosts[0].Result)
	assert.Equal(t, "no-lease", cancels[1].Hosts[1].Result)
	assert.Empty(t, slices.DeleteFunc(f.auditLog("--kind", "release"), func(e lifecycleAudit) bool { return !slices.Contains(e.Approved, start[0]) }),
		"the cancelled lease was not released")
	f.ok("audit", "verify")
}

// TestServeOwnershipAndIncident: under fleetq serve a requester starts,
// stops and cancels only its own plans and leases (403 forbidden, checked
// in the write transaction), an operator may act on anyone's; during an
// incident a requester's request approves nothing (invariant:incident)
// and an operator's forced request with a reason passes.
func TestServeOwnershipAndIncident(t *testing.T) {
	f := newActionFixture(t)
	rob := newToken(t, f.db, "rob", "requester")
	ann := newToken(t, f.db, "ann", "requester")
	olga := newToken(t, f.db, "olga", "operator")
	bot := newToken(t, f.db, "bot", "operator", "--automation")
	s := startServe(t, f.db, "--policy", f.policy)
	request := func(token string, extra map[string]any) decisionJSON {
		t.Helper()
		body := map[string]any{"verb": "drain", "expr": dense, "reason": "disk swap", "seed": 42}
		for k, v := range extra {
			body[k] = v
		}
		resp, b := s.call(t, "POST", "/v1/request", token, body)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
		var d decisionJSON
		require.NoError(t, json.Unmarshal(b, &d))
		return d
	}
	expect := func(status int, kind, token, path string, body map[string]any) map[string]any {
		t.Helper()
		resp, b := s.call(t, "POST", path, token, body)
		require.Equal(t, status, resp.StatusCode, "%s %v: %s", path, body, b)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		if kind != "" {
			assert.Equal(t, kind, m["kind"], "%s", b)
		}
		return m
	}

	plan := request(rob, nil)
	require.Len(t, plan.Approved, 7)
	e := expect(http.StatusForbidden, "forbidden", ann, "/v1/start", map[string]any{"token": plan.Token})
	assert.Contains(t, e["message"], "ann may not apply plan "+plan.Token+": it is rob's")
	expect(http.StatusForbidden, "forbidden", ann, "/v1/cancel", map[string]any{"token": plan.Token, "reason": "not mine"})
	expect(http.StatusOK, "", rob, "/v1/start", map[string]any{"token": plan.Token, "hosts": plan.Approved[:3]})
	assert.Len(t, f.leases(), 3)

	e = expect(http.StatusForbidden, "forbidden", ann, "/v1/stop", map[string]any{"hosts": plan.Approved[:1]})
	assert.Contains(t, e["message"], "the lease of "+plan.Approved[0]+": it is rob's")
	expect(http.StatusForbidden, "forbidden", ann, "/v1/cancel", map[string]any{"hosts": plan.Approved[:1], "reason": "x"})
	expect(http.StatusOK, "", rob, "/v1/cancel", map[string]any{"hosts": plan.Approved[:1], "reason": "aborted"})
	expect(http.StatusOK, "", olga, "/v1/cancel", map[string]any{"hosts": plan.Approved[1:2], "reason": "rob's job died"})
	assert.Len(t, f.leases(), 1)

	other := request(ann, map[string]any{"seed": 9})
	expect(http.StatusOK, "", olga, "/v1/start", map[string]any{"token": other.Token})
	withdrawn := request(rob, map[string]any{"seed": 11})
	expect(http.StatusOK, "", rob, "/v1/cancel", map[string]any{"token": withdrawn.Token, "reason": "moved"})
	e = expect(http.StatusConflict, "refused", rob, "/v1/start", map[string]any{"token": withdrawn.Token})
	assert.Contains(t, e["message"], "cancelled (audit ")
	expect(http.StatusConflict, "refused", rob, "/v1/cancel", map[string]any{"token": withdrawn.Token, "reason": "twice"})
	expect(http.StatusConflict, "refused", ann, "/v1/cancel", map[string]any{"token": other.Token, "reason": "started already"})

	f.ok("incident", "start", "--reason", "INC-7")
	zk := map[string]any{"expr": `cluster = "ams1-zk-01"`, "seed": 5}
	d := request(rob, zk)
	assert.Empty(t, d.Approved)
	require.NotEmpty(t, d.Denied)
	assert.Equal(t, "invariant:incident", d.Denied[0].Rule)
	expect(http.StatusForbidden, "forbidden", bot, "/v1/request", map[string]any{"verb": "drain", "expr": dense, "reason": "auto", "force": true})
	forced := request(olga, map[string]any{"expr": zk["expr"], "seed": 5, "force": true, "reason": "INC-7: replace the bad disk now"})
	assert.NotEmpty(t, forced.Approved, "an operator's forced request passes the incident")
	f.ok("audit", "verify")
}

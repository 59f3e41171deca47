package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordingBackend says yes to everything and remembers who asked.
type recordingBackend struct{ clients []FleetLockClient }

func (b *recordingBackend) PreReboot(_ context.Context, _ Runner, c FleetLockClient) *FleetLockError {
	b.clients = append(b.clients, c)
	return nil
}

func (b *recordingBackend) SteadyState(_ context.Context, _ Runner, c FleetLockClient) *FleetLockError {
	b.clients = append(b.clients, c)
	return nil
}

func (b *recordingBackend) Group(context.Context, Runner, string, time.Duration) (any, *Error) {
	return map[string]any{}, nil
}

func fleetLockServer(t *testing.T, allow ...string) (http.Handler, *recordingBackend) {
	t.Helper()
	nets, err := ParseAllow(allow)
	require.NoError(t, err)
	b := &recordingBackend{}
	s, err := New(Config{Executor: nil, Mount: []func(*Mux){FleetLock(FleetLockConfig{Base: "/fleetlock", Allow: nets, Backend: b})}})
	require.NoError(t, err)
	return s.Handler(), b
}

func flRequest(remote string, tlsState *tls.ConnectionState) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/fleetlock/v1/pre-reboot", strings.NewReader(`{"client_params": {"id": "abc", "group": "default"}}`))
	r.Header.Set("fleet-lock-protocol", "true")
	r.RemoteAddr, r.TLS = remote, tlsState
	return r
}

// TestFleetLockAdmission: the allow-list decides by the connection's
// peer address (never a forwarding header), loopback by default; a
// verified client certificate admits from anywhere.
func TestFleetLockAdmission(t *testing.T) {
	loopback, _ := fleetLockServer(t, DefaultFleetLockAllow...)
	lan, b := fleetLockServer(t, "10.0.0.0/8", "192.168.1.7", "fd00::/8")
	verified := &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{{}}}}
	for _, tc := range []struct {
		name   string
		h      http.Handler
		remote string
		tls    *tls.ConnectionState
		xff    string
		want   int
	}{
		{"loopback v4", loopback, "127.0.0.1:4000", nil, "", 200},
		{"loopback v6", loopback, "[::1]:4000", nil, "", 200},
		{"LAN by default", loopback, "10.1.2.3:4000", nil, "", 403},
		{"LAN forwarding for loopback", loopback, "10.1.2.3:4000", nil, "127.0.0.1", 403},
		{"in a CIDR", lan, "10.1.2.3:4000", nil, "", 200},
		{"a single address", lan, "192.168.1.7:4000", nil, "", 200},
		{"next to it", lan, "192.168.1.8:4000", nil, "", 403},
		{"v6 CIDR", lan, "[fd00::5]:4000", nil, "", 200},
		{"loopback outside the list", lan, "127.0.0.1:4000", nil, "", 403},
		{"a verified certificate", lan, "203.0.113.9:4000", verified, "", 200},
		{"TLS without a certificate", lan, "203.0.113.9:4000", &tls.ConnectionState{}, "", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := flRequest(tc.remote, tc.tls)
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			w := httptest.NewRecorder()
			tc.h.ServeHTTP(w, r)
			assert.Equal(t, tc.want, w.Code, w.Body.String())
			if tc.want != 200 {
				var e FleetLockError
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &e))
				assert.Equal(t, FLForbidden, e.Kind)
				assert.NotEmpty(t, e.Value)
			}
		})
	}
	require.NotEmpty(t, b.clients)
	assert.Equal(t, "abc", b.clients[0].ID)
	assert.Equal(t, "fleetlock:abc", b.clients[0].Principal().Name)
	assert.False(t, b.clients[0].Principal().MayForce(), "a FleetLock client never forces")
}

// TestFleetLockBody: what the protocol requires of a body, and the early
// Zincati spelling node_uuid.
func TestFleetLockBody(t *testing.T) {
	h, b := fleetLockServer(t, DefaultFleetLockAllow...)
	for body, want := range map[string]string{
		`{"client_params": {"id": "abc", "group": "default"}}`:              "",
		`{"client_params": {"node_uuid": "abc", "group": "default"}}`:       "",
		`{"client_params": {"id": "abc", "group": "w-1.a", "extra": true}}`: "",
		`{"client_params": {"id": "abc"}}`:                                  FLBadRequest,
		`{"client_params": {"id": "abc", "group": "a b"}}`:                  FLBadRequest,
		`{"client_params": {"id": "a b", "group": "default"}}`:              FLBadRequest,
		`{"client_params": {"id": "", "group": "default"}}`:                 FLBadRequest,
		`{"id": "abc", "group": "default"}`:                                 FLBadRequest,
		`[1]`:                                                               FLBadRequest,
		``:                                                                  FLBadRequest,
	} {
		r := httptest.NewRequest(http.MethodPost, "/fleetlock/v1/steady-state", strings.NewReader(body))
		r.Header.Set("fleet-lock-protocol", "true")
		r.RemoteAddr = "127.0.0.1:1"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if want == "" {
			assert.Equal(t, 200, w.Code, "%s: %s", body, w.Body)
			continue
		}
		var e FleetLockError
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &e), body)
		assert.Equal(t, want, e.Kind, "%s: %s", body, w.Body)
		assert.Equal(t, 400, w.Code)
	}
	assert.Len(t, b.clients, 3)
}

// TestFleetLockKinds: every denial rule maps to a kind of the bounded
// set, and every kind has a status.
func TestFleetLockKinds(t *testing.T) {
	for rule, kind := range map[string]string{
		"budget:cluster": FLSemaphoreFull, "budget:per rack": FLSemaphoreFull, "window:closed": FLWindow,
		"invariant:freeze": FLFrozen, "invariant:incident": FLIncident, "invariant:one-operation": FLHeld,
		"gate:hdfs-healthy": FLGate, "policy:no-budget": FLPolicy, "invariant:stale-evidence": FLInvariant,
		"something:new": FLInvariant,
	} {
		assert.Equal(t, kind, DenialKind(rule), rule)
		_, ok := FleetLockStatuses[kind]
		assert.True(t, ok, kind)
	}
	e := FleetLockDenied("budget:cluster", "headroom 0", "zk01")
	assert.Equal(t, http.StatusConflict, e.Status())
	assert.Equal(t, "reboot of zk01 denied by budget:cluster: headroom 0", e.Value)
	for _, bad := range []string{"", "/", "fleetlock", "/v1", "/v1/x", "/a b", "/a//b", "/healthz"} {
		assert.Error(t, CheckFleetLockBase(bad), bad)
	}
	assert.NoError(t, CheckFleetLockBase("/fleetlock"))
	assert.NoError(t, CheckFleetLockBase("/ops/fleetlock"))
	_, err := ParseAllow([]string{"10.0.0.0/33"})
	assert.Error(t, err)
	_, err = ParseAllow([]string{"host.example"})
	assert.Error(t, err)
}

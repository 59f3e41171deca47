package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flClient is a FleetLock client as the protocol document describes it
// and Zincati sends it: a POST of {"client_params": {"id", "group"}}
// (pretty-printed, no Content-Type) with fleet-lock-protocol: true to
// BASE/v1/pre-reboot or BASE/v1/steady-state, where BASE ends in a slash
// and the endpoint is resolved against it as a relative URL.
type flClient struct {
	t         *testing.T
	base      string // http://127.0.0.1:PORT/fleetlock/
	id, group string
	noHeader  bool
	hc        *http.Client // nil: http.DefaultClient
}

// flResult is one answer: the status and, when not 200, the error body.
type flResult struct {
	Status      int
	Kind, Value string
}

func (c *flClient) call(endpoint string) flResult {
	c.t.Helper()
	body, err := json.MarshalIndent(map[string]any{"client_params": map[string]string{"id": c.id, "group": c.group}}, "", "  ")
	require.NoError(c.t, err)
	u, err := urlJoin(c.base, endpoint)
	require.NoError(c.t, err)
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	require.NoError(c.t, err)
	if !c.noHeader {
		req.Header.Set("fleet-lock-protocol", "true")
	}
	hc := c.hc
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	r := flResult{Status: resp.StatusCode}
	if r.Status != http.StatusOK {
		var e struct{ Kind, Value string }
		require.NoError(c.t, json.Unmarshal(b, &e), "a FleetLock error must be JSON {kind, value}: %s", b)
		require.NotEmpty(c.t, e.Kind, "%s", b)
		require.NotEmpty(c.t, e.Value, "%s", b)
		r.Kind, r.Value = e.Kind, e.Value
	}
	return r
}

func (c *flClient) lock() flResult   { return c.call("v1/pre-reboot") }
func (c *flClient) unlock() flResult { return c.call("v1/steady-state") }

func urlJoin(base, rel string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(rel)
	if err != nil {
		return "", err
	}
	return b.ResolveReference(r).String(), nil
}

// fleetLockLeases are the leases fleetq leases lists for principal.
func fleetLockLeases(f *actionFixture, principal string) []leaseJSON {
	var out []leaseJSON
	for _, l := range f.leases() {
		if l.Requester == principal {
			out = append(out, l)
		}
	}
	return out
}

// auditOf is the audit log without its "refused" entries: those count
// requests refused before any command ran, and the server writes them in
// batches on its own clock, so a count of them would race the flush.
func auditOf(t *testing.T, f *actionFixture) []map[string]any {
	var all, es []map[string]any
	require.NoError(t, json.Unmarshal([]byte(f.ok("audit", "--format", "json")), &all))
	for _, e := range all {
		if e["kind"] != "refused" {
			es = append(es, e)
		}
	}
	return es
}

// TestFleetLockProtocol drives fleetq serve's FleetLock endpoints with a
// client written from the protocol document: a lock is a reboot lease on
// the host the id names, decided by the policy (ams1-zk-01 takes one host
// at a time), recursive; an unlock goes through the health gate; every
// error is {kind, value}; the introspection shows the holder and why the
// other client waits.
func TestFleetLockProtocol(t *testing.T) {
	f := newActionFixture(t)
	s := startServe(t, f.db, "--policy", f.policy)
	base := s.URL + "/fleetlock/"
	zk0 := &flClient{t: t, base: base, id: "zk00.ams1", group: "zk"}
	zk1 := &flClient{t: t, base: base, id: "zk01.ams1", group: "zk"}

	before := len(auditOf(t, f))
	require.Equal(t, flResult{Status: 200}, zk0.lock())
	held := fleetLockLeases(f, "fleetlock:zk00.ams1")
	require.Len(t, held, 1)
	assert.Equal(t, "zk00.ams1", held[0].Host)
	assert.Equal(t, "reboot", held[0].Verb)
	afterLock := len(auditOf(t, f))
	assert.Equal(t, before+1, afterLock, "one decision")

	assert.Equal(t, flResult{Status: 200}, zk0.lock(), "recursive lock")
	assert.Len(t, fleetLockLeases(f, "fleetlock:zk00.ams1"), 1)
	assert.Equal(t, afterLock, len(auditOf(t, f)), "a recursive lock decides nothing")

	r := zk1.lock()
	assert.Equal(t, http.StatusConflict, r.Status)
	assert.Equal(t, "failed_lock_semaphore_full", r.Kind)
	assert.Contains(t, r.Value, "budget:cluster")
	assert.Empty(t, fleetLockLeases(f, "fleetlock:zk01.ams1"))

	es := auditOf(t, f)
	last := es[len(es)-1]
	assert.Equal(t, "fleetlock:zk01.ams1", last["requester"])
	assert.Equal(t, "fleetlock group zk", last["reason"])
	assert.Equal(t, "commit", last["kind"])

	// The introspection: zk00 holds, zk01 waits on the budget.
	viewer := ""
	resp, b := s.call(t, "GET", "/v1/fleetlock/groups/zk", viewer, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	var g struct {
		Holders []struct{ ID, Host, State string }
		Waiters []struct {
			ID, Host, Rule, Kind, Detail string
			Attempts                     int
		}
	}
	require.NoError(t, json.Unmarshal(b, &g), "%s", b)
	require.Len(t, g.Holders, 1, "%s", b)
	assert.Equal(t, "zk00.ams1", g.Holders[0].ID)
	assert.Equal(t, "active", g.Holders[0].State)
	require.Len(t, g.Waiters, 1, "%s", b)
	assert.Equal(t, "zk01.ams1", g.Waiters[0].ID)
	assert.Equal(t, "budget:cluster", g.Waiters[0].Rule)
	assert.Equal(t, "failed_lock_semaphore_full", g.Waiters[0].Kind)
	assert.Equal(t, 1, g.Waiters[0].Attempts)
	resp, b = s.call(t, "GET", "/v1/fleetlock/groups/other", viewer, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	assert.Contains(t, string(b), `"holders":[]`)

	// Steady-state before any pass shows the host again: kept.
	r = zk0.unlock()
	assert.Equal(t, http.StatusConflict, r.Status)
	assert.Equal(t, "failed_unlock_unhealthy", r.Kind)
	assert.Contains(t, r.Value, "release:no-evidence")
	// A pass with the host down: still kept, by the health gate.
	f.ingest(time.Time{}, map[string]string{"zk00.ams1": "repair"})
	r = zk0.unlock()
	assert.Equal(t, "failed_unlock_unhealthy", r.Kind)
	assert.Contains(t, r.Value, "release:health")
	require.Len(t, fleetLockLeases(f, "fleetlock:zk00.ams1"), 1)
	// Healthy again: released, and a second unlock holds nothing: 200.
	f.ingest(time.Time{}, nil)
	assert.Equal(t, flResult{Status: 200}, zk0.unlock())
	assert.Empty(t, fleetLockLeases(f, "fleetlock:zk00.ams1"))
	assert.Equal(t, flResult{Status: 200}, zk0.unlock(), "unlock-if-held")
	es = auditOf(t, f)
	last = es[len(es)-1]
	assert.Equal(t, "release", last["kind"])
	assert.Equal(t, "fleetlock:zk00.ams1", last["requester"])

	// The slot is free: zk01 gets it, and is no longer a waiter.
	assert.Equal(t, flResult{Status: 200}, zk1.lock())
	_, b = s.call(t, "GET", "/v1/fleetlock/groups/zk", viewer, nil)
	require.NoError(t, json.Unmarshal(b, &g))
	assert.Empty(t, g.Waiters, "%s", b)
	require.Len(t, g.Holders, 1)
	assert.Equal(t, "zk01.ams1", g.Holders[0].ID)
}

// TestFleetLockRefusals: the protocol's refusals, each a JSON {kind,
// value} with a 4xx status, and nothing decided.
func TestFleetLockRefusals(t *testing.T) {
	f := newActionFixture(t)
	s := startServe(t, f.db, "--policy", f.policy)
	base := s.URL + "/fleetlock/"
	before := len(auditOf(t, f))
	for _, tc := range []struct {
		name   string
		c      *flClient
		status int
		kind   string
	}{
		{"no header", &flClient{base: base, id: "zk00.ams1", group: "zk", noHeader: true}, 400, "missing_protocol_header"},
		{"bad group", &flClient{base: base, id: "zk00.ams1", group: "workers/1"}, 400, "bad_request"},
		{"empty group", &flClient{base: base, id: "zk00.ams1", group: ""}, 400, "bad_request"},
		{"empty id", &flClient{base: base, id: "", group: "zk"}, 400, "bad_request"},
		{"unknown id", &flClient{base: base, id: "nosuchhost", group: "zk"}, 422, "unknown_id"},
		{"no such endpoint", &flClient{base: base + "v2/", id: "zk00.ams1", group: "zk"}, 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.t = t
			r := tc.c.lock()
			assert.Equal(t, tc.status, r.Status, "%+v", r)
			assert.Equal(t, tc.kind, r.Kind, "%+v", r)
		})
	}
	resp, b := s.call(t, "GET", "/fleetlock/v1/pre-reboot", "", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Contains(t, string(b), `"kind":"method_not_allowed"`)
	resp, b = s.call(t, "POST", "/fleetlock/v1/pre-reboot", "", "not an object")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s", b) // no header either: refused first
	assert.Equal(t, before, len(auditOf(t, f)), "nothing decided")
	assert.Empty(t, f.leases())
}

// TestFleetLockAllowList: a caller outside --fleetlock-allow is refused
// with 403 {kind, value} before its body is read; the default admits
// loopback (the other tests).
func TestFleetLockAllowList(t *testing.T) {
	f := newActionFixture(t)
	s := startServe(t, f.db, "--policy", f.policy, "--fleetlock-allow", "10.0.0.0/8,192.168.1.7")
	c := &flClient{t: t, base: s.URL + "/fleetlock/", id: "zk00.ams1", group: "zk"}
	r := c.lock()
	assert.Equal(t, http.StatusForbidden, r.Status)
	assert.Equal(t, "forbidden", r.Kind)
	assert.Contains(t, r.Value, "127.0.0.1")
	assert.Empty(t, f.leases())

	off := startServe(t, f.db, "--policy", f.policy, "--fleetlock-base", "off")
	c.base = off.URL + "/fleetlock/"
	resp, _ := off.call(t, "POST", "/fleetlock/v1/pre-reboot", "", map[string]any{})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "FleetLock off")

	_, stderr, code := f.run("serve", "--fleetlock-allow", "10.0.0.0/33")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--fleetlock-allow")
	_, stderr, code = f.run("serve", "--fleetlock-base", "/v1/fleetlock")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "taken by the API")
}

// TestFleetLockIDAttr: with --fleetlock-id-attr machine_id, Zincati's id
// (an app-specific machine id) names the host whose machine_id column
// holds it.
func TestFleetLockIDAttr(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetq.db")
	policyPath := filepath.Join(dir, "policy.toml")
	require.NoError(t, os.WriteFile(policyPath, []byte(actionPolicy), 0o644))
	var inv, resp strings.Builder
	inv.WriteString("host,cluster,rack,lifecycle,machine_id\n")
	for i := range 4 {
		fmt.Fprintf(&inv, "node%d.lab,lab-01,lab-r1,active,%032x\n", i, 0xc988d250+i)
		fmt.Fprintf(&resp, "node%d.lab\n", i)
	}
	fmt.Fprintf(&inv, "twin.lab,lab-01,lab-r1,active,%032x\n", 0xc988d250) // the same id as node0: ambiguous
	invPath, respPath := filepath.Join(dir, "inv.csv"), filepath.Join(dir, "responsive")
	require.NoError(t, os.WriteFile(invPath, []byte(inv.String()), 0o644))
	require.NoError(t, os.WriteFile(respPath, []byte(resp.String()), 0o644))
	fqBinOK(t, db, "ingest", invPath, "hosts:"+respPath)

	s := startServe(t, db, "--policy", policyPath, "--fleetlock-id-attr", "machine_id")
	c := &flClient{t: t, base: s.URL + "/fleetlock/", id: fmt.Sprintf("%032x", 0xc988d251), group: "default"}
	require.Equal(t, flResult{Status: 200}, c.lock())
	out := fqBinOK(t, db, "leases", "--format", "json", "--policy", policyPath)
	assert.Contains(t, out, `"host": "node1.lab"`)
	assert.Contains(t, out, `"requester": "fleetlock:`+c.id+`"`)

	c.id = fmt.Sprintf("%032x", 0xc988d250)
	r := c.lock()
	assert.Equal(t, "ambiguous_id", r.Kind)
	assert.Contains(t, r.Value, "node0.lab, twin.lab")
	c.id = "node2.lab" // a host name is no machine id under this mapping
	assert.Equal(t, "unknown_id", c.lock().Kind)

	typo := startServe(t, db, "--policy", policyPath, "--fleetlock-id-attr", "machineid")
	c.base = typo.URL + "/fleetlock/"
	r = c.lock()
	assert.Equal(t, "unknown_id", r.Kind)
	assert.Contains(t, r.Value, "has no attribute machineid")
}

// TestFleetLockCurl: the protocol document's own example, with curl.
func TestFleetLockCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("SKIP: curl not installed (apt-get install curl)")
	}
	f := newActionFixture(t)
	s := startServe(t, f.db, "--policy", f.policy)
	body := filepath.Join(f.dir, "body.json")
	require.NoError(t, os.WriteFile(body, []byte(`{"client_params": {"group": "default", "id": "db00.smf1"}}`), 0o644))
	run := func(args ...string) (int, string) {
		out, err := exec.Command(curl, append([]string{"-s", "-o", "-", "-w", "\n%{http_code}"}, args...)...).Output()
		require.NoError(t, err)
		text := strings.TrimSpace(string(out))
		i := strings.LastIndex(text, "\n")
		code, err := strconv.Atoi(text[i+1:])
		require.NoError(t, err, "curl printed %q", out)
		return code, text[:max(i, 0)]
	}
	code, out := run("-H", "fleet-lock-protocol: true", "-d", "@"+body, s.URL+"/fleetlock/v1/pre-reboot")
	assert.Equal(t, 200, code, out)
	require.Len(t, fleetLockLeases(f, "fleetlock:db00.smf1"), 1)
	code, out = run("-d", "@"+body, s.URL+"/fleetlock/v1/steady-state")
	assert.Equal(t, 400, code)
	assert.Contains(t, out, `"kind":"missing_protocol_header"`)
	code, out = run("-H", "fleet-lock-protocol: true", "-d", "@"+body, s.URL+"/fleetlock/v1/steady-state")
	assert.Equal(t, 409, code, "no pass since the lease: kept")
	assert.Contains(t, out, `"kind":"failed_unlock_unhealthy"`)
}

// TestFleetLockOwnership: a lock is owned. A host another principal holds
// is refused as held, and that principal's lease is not the client's to
// release: steady-state answers 200 (it holds nothing) and the lease
// stands. Freezes and incidents answer with their own kinds.
func TestFleetLockOwnership(t *testing.T) {
	f := newActionFixture(t)
	s := startServe(t, f.db, "--policy", f.policy)
	base := s.URL + "/fleetlock/"
	f.ok("drain", `"zk05.ams1"`, "--reason", "disk", "--commit", "--yes", "--as", "olga")
	zk5 := &flClient{t: t, base: base, id: "zk05.ams1", group: "zk"}
	r := zk5.lock()
	assert.Equal(t, "failed_lock_held", r.Kind, "%+v", r)
	assert.Contains(t, r.Value, "invariant:one-operation")
	assert.Equal(t, flResult{Status: 200}, zk5.unlock())
	ls := f.leases()
	require.Len(t, ls, 1)
	assert.Equal(t, "olga", ls[0].Requester, "steady-state released nothing of olga's")

	f.ok("freeze", "smf1-critical-01", "--reason", "db migration", "--until", "8h")
	db0 := &flClient{t: t, base: base, id: "db00.smf1", group: "db"}
	r = db0.lock()
	assert.Equal(t, "failed_lock_frozen", r.Kind, "%+v", r)
	assert.Contains(t, r.Value, "invariant:freeze")

	f.ok("incident", "start", "--reason", "INC-7")
	dn := &flClient{t: t, base: base, id: "dn0000.smf1", group: "dense"}
	r = dn.lock()
	assert.Equal(t, "failed_lock_incident", r.Kind, "%+v", r)
	assert.Contains(t, r.Value, "invariant:incident")
	require.Len(t, f.leases(), 1, "no FleetLock client forces past a freeze or an incident")
}

// TestFleetLockMutualTLS: with --tls-client-ca and --fleetlock-allow none,
// only a client showing a certificate the CA signed may lock.
func TestFleetLockMutualTLS(t *testing.T) {
	f := newActionFixture(t)
	ca, caKey := newCert(t, nil, nil, "fleetlock test CA")
	srv, srvKey := newCert(t, ca, caKey, "127.0.0.1")
	cli, cliKey := newCert(t, ca, caKey, "zk00.ams1")
	pemFile := func(name, typ string, der []byte) string {
		p := filepath.Join(f.dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
		return p
	}
	caPath := pemFile("ca.pem", "CERTIFICATE", ca.Raw)
	srvKeyDER, err := x509.MarshalECPrivateKey(srvKey)
	require.NoError(t, err)
	s := startServe(t, f.db, "--policy", f.policy, "--fleetlock-allow", "none",
		"--tls-cert", pemFile("srv.pem", "CERTIFICATE", srv.Raw), "--tls-key", pemFile("srv.key", "EC PRIVATE KEY", srvKeyDER),
		"--tls-client-ca", caPath)
	require.True(t, strings.HasPrefix(s.URL, "https://"), s.URL)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	withCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots,
		Certificates: []tls.Certificate{{Certificate: [][]byte{cli.Raw}, PrivateKey: cliKey}}}}}

	c := &flClient{t: t, base: s.URL + "/fleetlock/", id: "zk00.ams1", group: "zk", hc: anon}
	r := c.lock()
	assert.Equal(t, http.StatusForbidden, r.Status, "loopback is not in the list and no certificate: %+v", r)
	assert.Equal(t, "forbidden", r.Kind)
	c.hc = withCert
	assert.Equal(t, flResult{Status: 200}, c.lock())
	assert.Len(t, fleetLockLeases(f, "fleetlock:zk00.ams1"), 1)
}

// newCert makes an ECDSA certificate for cn signed by parent (self-signed
// CA when parent is nil), valid for 127.0.0.1.
func newCert(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	signer, signerKey := tmpl, key
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	} else {
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert, key
}

// TestFleetLockBaseURLSpellings: Zincati resolves v1/pre-reboot against
// its base URL as a relative reference, other clients append
// /v1/pre-reboot to it; http://HOST:PORT/fleetlock/ and
// http://HOST:PORT/fleetlock both work for the first, the latter for the
// second.
func TestFleetLockBaseURLSpellings(t *testing.T) {
	f := newActionFixture(t)
	s := startServe(t, f.db, "--policy", f.policy)
	resolving := &flClient{t: t, base: s.URL + "/fleetlock/", id: "zk00.ams1", group: "zk"}
	require.Equal(t, flResult{Status: 200}, resolving.lock())
	resolving.base = s.URL + "/fleetlock" // resolves to /v1/pre-reboot
	assert.Equal(t, flResult{Status: 200}, resolving.lock())
	appending := &flClient{t: t, base: s.URL + "/fleetlock/v1/", id: "zk00.ams1", group: "zk"} // BASE + "/v1/…"
	assert.Equal(t, flResult{Status: 200}, appending.call("pre-reboot"))
	appending.base = s.URL + "/fleetlock//v1/" // a trailing slash, then "/v1/…": redirected (307), followed
	assert.Equal(t, flResult{Status: 200}, appending.call("pre-reboot"))
	assert.Len(t, fleetLockLeases(f, "fleetlock:zk00.ams1"), 1, "one lease, however the URL was spelt")
	assert.Equal(t, 1, strings.Count(f.ok("audit"), "fleetlock:zk00.ams1"), "one decision")
	r := resolving.unlock()
	assert.Equal(t, "failed_unlock_unhealthy", r.Kind, "%+v", r)
}

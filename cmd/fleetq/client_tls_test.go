package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testCA is a certificate authority made for one test, and the
// certificates it signs, written as PEM files in dir.
type testCA struct {
	t    *testing.T
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	File string // the CA certificate
}

func newTestCA(t *testing.T) *testCA {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fleetq test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	ca := &testCA{t: t, dir: t.TempDir(), cert: cert, key: key}
	ca.File = ca.write("ca.pem", "CERTIFICATE", der)
	return ca
}

func (ca *testCA) write(name, kind string, der []byte) string {
	path := filepath.Join(ca.dir, name)
	require.NoError(ca.t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600))
	return path
}

// issue signs a certificate for cn (a server's for 127.0.0.1 when server)
// and returns its certificate and key files.
func (ca *testCA) issue(cn string, server bool) (certFile, keyFile string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(ca.t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage, tmpl.IPAddresses = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(ca.t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(ca.t, err)
	return ca.write(cn+".pem", "CERTIFICATE", der), ca.write(cn+".key", "EC PRIVATE KEY", kder)
}

// TestClientTLS: --server https://… verifies the server against the
// system roots plus --server-ca (a private CA is refused without it), and
// --client-cert authenticates as the token its common name names (mutual
// TLS), with no bearer token sent.
func TestClientTLS(t *testing.T) {
	w := newTwin(t, map[string]string{"rob": "requester"})
	ca := newTestCA(t)
	cert, key := ca.issue("127.0.0.1", true)
	w.s = startServe(t, w.db, "--policy", w.f.policy, "--tls-cert", cert, "--tls-key", key, "--tls-client-ca", ca.File)
	require.True(t, strings.HasPrefix(w.s.URL, "https://"), w.s.URL)

	_, stderr, code := w.remote("rob", "leases")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "fleetq: server: ")
	assert.Contains(t, stderr, "certificate", "an unknown CA is refused: %s", stderr)
	assert.Contains(t, stderr, "needs --server-ca FILE (or $FLEETQ_SERVER_CA)", "the refusal says what to give")

	out, stderr, code := w.remote("rob", "--server-ca", ca.File, "query", "--seed", "1", `cluster = "ams1-zk-01" | sample 2`)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, w.f.ok("query", "--seed", "1", `cluster = "ams1-zk-01" | sample 2`), out)

	clientCert, clientKey := ca.issue("rob", false)
	out, stderr, code = w.remote("nobody", "--server-ca", ca.File, "--client-cert", clientCert, "--client-key", clientKey,
		"drain", `cluster = "ams1-zk-01"`, "--reason", "mtls", "--format", "json")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, `"requester": "rob"`, "the certificate's common name is the requester")

	strayCert, strayKey := ca.issue("stray", false)
	_, stderr, code = w.remote("nobody", "--server-ca", ca.File, "--client-cert", strayCert, "--client-key", strayKey, "leases")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `fleetq: server: the client certificate's common name "stray" is no token's name`,
		"a verified certificate that names no token is told so, not 'no bearer token'")
}

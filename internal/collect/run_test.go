package collect

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/ingest"
)

// runOne reads one source and returns its result.
func runOne(t *testing.T, ctx context.Context, s *Source, opts Options) Result {
	t.Helper()
	if s.Timeout == 0 {
		s.Timeout = time.Minute
	}
	if s.TokenScheme == "" {
		s.TokenScheme = "Bearer"
	}
	res := Run(ctx, &File{Sources: []*Source{s}}, opts)
	require.Len(t, res, 1)
	return res[0]
}

func TestCommandFailures(t *testing.T) {
	ctx := context.Background()
	r := runOne(t, ctx, &Source{Name: "dead", Kind: "hosts", Command: []string{"sh", "-c", "echo h1; echo first >&2; echo 'no route' >&2; exit 3"}}, Options{})
	require.NotNil(t, r.Failure)
	assert.Equal(t, `sh -c 'echo h1; echo first >&2; echo '\''no route'\'' >&2; exit 3' exited with status 3`, r.Failure.Reason)
	assert.Equal(t, "first\nno route", r.Failure.Stderr)

	r = runOne(t, ctx, &Source{Name: "dead", Kind: "hosts", Command: []string{"no-such-fleetq-tool"}}, Options{})
	require.NotNil(t, r.Failure)
	assert.Contains(t, r.Failure.Reason, "cannot run no-such-fleetq-tool: ")

	r = runOne(t, ctx, &Source{Name: "dead", Kind: "hosts", Command: []string{"sh", "-c", "while :; do echo h1; done"}}, Options{Limits: ingest.Limits{SourceBytes: 4096}})
	require.NotNil(t, r.Failure, "an endless command is stopped at the bound")
	assert.Equal(t, "sh printed more than 4096 bytes (--max-source-bytes); the command was stopped", r.Failure.Reason)

	r = runOne(t, ctx, &Source{Name: "hdfs", Kind: "hdfs", Command: []string{"echo", "not a report"}}, Options{})
	require.NotNil(t, r.Failure)
	assert.Contains(t, r.Failure.Reason, "source hdfs:", "a parse error names the source")

	r = runOne(t, ctx, &Source{Name: "noisy", Kind: "hosts", Command: []string{"sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo \"line $i\" >&2; i=$((i+1)); done; exit 1"}}, Options{})
	require.NotNil(t, r.Failure)
	assert.LessOrEqual(t, len(r.Failure.Stderr), tailBytes)
	assert.True(t, strings.HasSuffix(r.Failure.Stderr, "\nline 2999"), "the tail ends with the last line")
	assert.True(t, strings.HasPrefix(r.Failure.Stderr, "line "), "and starts at a whole line: %.20q", r.Failure.Stderr)
}

func TestCommandReadsWithEnvAndDir(t *testing.T) {
	dir := t.TempDir()
	r := runOne(t, context.Background(), &Source{Name: "rebooted", Kind: "hosts", Dir: dir, Env: []string{"HOSTS=web01 web02"},
		Command: []string{"sh", "-c", `for h in $HOSTS; do echo $h; done; pwd >&2`}}, Options{})
	require.Nil(t, r.Failure)
	assert.ElementsMatch(t, []string{"web01", "web02"}, r.Data.Hosts)
	assert.Equal(t, "rebooted", r.Data.Name)
	assert.Equal(t, `command: sh -c 'for h in $HOSTS; do echo $h; done; pwd >&2'`, r.Data.Path)
}

// TestDeadlineAndTimeout: the collect's deadline and a source's own
// timeout are told apart, and neither waits for the command.
func TestDeadlineAndTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	r := runOne(t, ctx, &Source{Name: "slow", Kind: "hosts", Command: []string{"sleep", "60"}}, Options{})
	require.NotNil(t, r.Failure)
	assert.Equal(t, "the collect's deadline passed before it was read", r.Failure.Reason)
	r = runOne(t, context.Background(), &Source{Name: "slow", Kind: "hosts", Command: []string{"sleep", "60"}, Timeout: 100 * time.Millisecond}, Options{})
	require.NotNil(t, r.Failure)
	assert.Equal(t, "timed out after 100ms (its process group was killed)", r.Failure.Reason)
	assert.Less(t, time.Since(start), 30*time.Second)
}

func TestURLFailures(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/500", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "boom\nat line 2", http.StatusInternalServerError)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, strings.Repeat("h1\n", 2000)) })
	mux.HandleFunc("/cut", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "1000")
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[`)
	})
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s\n", strings.ReplaceAll(r.Header.Get("Authorization")+" "+r.Header.Get("X-Site"), " ", "-"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	r := runOne(t, ctx, &Source{Name: "k8s", Kind: "k8s", URL: srv.URL + "/500"}, Options{})
	require.NotNil(t, r.Failure)
	assert.Equal(t, "GET "+srv.URL+"/500: HTTP 500 Internal Server Error: boom at line 2", r.Failure.Reason)
	r = runOne(t, ctx, &Source{Name: "h", Kind: "hosts", URL: srv.URL + "/big"}, Options{Limits: ingest.Limits{SourceBytes: 1000}})
	require.NotNil(t, r.Failure)
	assert.Equal(t, "GET "+srv.URL+"/big: the body is more than 1000 bytes (--max-source-bytes)", r.Failure.Reason)
	r = runOne(t, ctx, &Source{Name: "metrics", Kind: "prom", URL: srv.URL + "/cut"}, Options{})
	require.NotNil(t, r.Failure)
	assert.Equal(t, "GET "+srv.URL+"/cut: reading the body: unexpected EOF", r.Failure.Reason)
	r = runOne(t, ctx, &Source{Name: "h", Kind: "hosts", URL: srv.URL + "/auth", TokenEnv: "COLLECT_UNSET_TOKEN"}, Options{})
	require.NotNil(t, r.Failure)
	assert.Equal(t, "token_env COLLECT_UNSET_TOKEN is not set", r.Failure.Reason)
	t.Setenv("COLLECT_TOKEN", " s3cret\n")
	r = runOne(t, ctx, &Source{Name: "h", Kind: "hosts", URL: srv.URL + "/auth", TokenEnv: "COLLECT_TOKEN", Headers: map[string]string{"X-Site": "smf1"}}, Options{})
	require.Nil(t, r.Failure)
	assert.Equal(t, []string{"bearer-s3cret-smf1"}, r.Data.Hosts, "the token and the headers are sent")
}

// TestNetBoxPages: a netbox source follows next links on its own host,
// and refuses one that points elsewhere.
func TestNetBoxPages(t *testing.T) {
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		off := r.URL.Query().Get("offset")
		next := map[string]string{"": `"` + srv.URL + `/api/dcim/devices/?offset=1"`, "1": `"/api/dcim/devices/?offset=2"`, "2": "null"}[off]
		if r.URL.Query().Get("foreign") != "" {
			next = `"` + other.URL + `/api/dcim/devices/?offset=1"`
		}
		fmt.Fprintf(w, `{"count":3,"next":%s,"previous":null,"results":[{"name":"dev%s","device_type":{"model":"R640"},"status":{"value":"active"}}]}`, next, off)
	}))
	defer srv.Close()
	r := runOne(t, context.Background(), &Source{Name: "netbox", Kind: "netbox", URL: srv.URL + "/api/dcim/devices/"}, Options{})
	require.Nil(t, r.Failure)
	assert.ElementsMatch(t, []string{"dev", "dev1", "dev2"}, r.Data.Hosts)
	assert.Empty(t, r.Data.Warnings, "no page left unread")
	r = runOne(t, context.Background(), &Source{Name: "netbox", Kind: "netbox", URL: srv.URL + "/api/dcim/devices/?foreign=1"}, Options{})
	require.NotNil(t, r.Failure)
	assert.Contains(t, r.Failure.Reason, "is not on "+srv.URL+": not followed")
}

// TestTLS: certificates are verified unless the source says otherwise,
// against its ca_file when it names one.
func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "web01") }))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644))
	ctx := context.Background()
	r := runOne(t, ctx, &Source{Name: "h", Kind: "hosts", URL: srv.URL}, Options{})
	require.NotNil(t, r.Failure, "an unknown CA is refused")
	assert.Contains(t, r.Failure.Reason, "certificate")
	r = runOne(t, ctx, &Source{Name: "h", Kind: "hosts", URL: srv.URL, CAFile: ca}, Options{})
	require.Nil(t, r.Failure)
	assert.Equal(t, []string{"web01"}, r.Data.Hosts)
	r = runOne(t, ctx, &Source{Name: "h", Kind: "hosts", URL: srv.URL, SkipVerify: true}, Options{})
	require.Nil(t, r.Failure)
	r = runOne(t, ctx, &Source{Name: "h", Kind: "hosts", URL: srv.URL, CAFile: filepath.Join(t.TempDir(), "none.pem")}, Options{})
	require.NotNil(t, r.Failure)
	assert.Contains(t, r.Failure.Reason, "none.pem: no such file or directory")
}

// TestAllowEmpty: a source of no hosts fails, as ingest refuses it,
// unless the source says allow_empty.
func TestAllowEmpty(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
	}))
	defer srv.Close()
	r := runOne(t, context.Background(), &Source{Name: "down", Kind: "prom", URL: srv.URL}, Options{})
	require.NotNil(t, r.Failure)
	assert.Contains(t, r.Failure.Reason, "source down: no hosts")
	r = runOne(t, context.Background(), &Source{Name: "down", Kind: "prom", URL: srv.URL, AllowEmpty: true}, Options{})
	require.Nil(t, r.Failure)
	assert.Empty(t, r.Data.Hosts)
}

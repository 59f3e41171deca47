package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests' commands run on their own databases: a $FLEETQ_SERVER or
// token of the developer's shell must not send them to a server. The
// client tests set their own.
func init() {
	for _, v := range []string{"FLEETQ_SERVER", "FLEETQ_TOKEN", "FLEETQ_TOKEN_FILE", "FLEETQ_SERVER_CA"} {
		os.Unsetenv(v)
	}
}

// twin is one database twice: the fixture's, which commands read and
// write locally, and a copy of it behind a real fleetq serve, which the
// same commands reach with --server. Run in the same order on both, the
// two ledgers and audit logs stay alike (same ids, tokens, seeds), so
// what a command prints locally and remotely can be compared byte for
// byte.
type twin struct {
	t      *testing.T
	f      *actionFixture
	s      *served
	db     string            // the server's copy
	secret map[string]string // token name → secret, on the server's copy
}

func newTwin(t *testing.T, tokens map[string]string, serveArgs ...string) *twin {
	f := newActionFixture(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetq.db")
	b, err := os.ReadFile(f.db)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(db, b, 0o600))
	w := &twin{t: t, f: f, db: db, secret: map[string]string{}}
	for name, role := range tokens {
		w.secret[name] = newToken(t, db, name, role)
	}
	w.s = startServe(t, db, append([]string{"--policy", f.policy}, serveArgs...)...)
	return w
}

// ingest seals a new pass of the fixture's fleet in both databases (the
// server's beside it, as a cron ingest would: the server holds no lock).
func (w *twin) ingest() {
	w.f.ingest(time.Time{}, nil)
	fqBinOK(w.t, w.db, "ingest", filepath.Join(w.f.dir, "inventory.csv"), "hosts:"+filepath.Join(w.f.dir, "responsive"))
}

// remote runs the binary as a client of the server, as token name: the
// server and the token come from the environment; $FLEETQ_DB names no
// file, so nothing can have been read locally.
func (w *twin) remote(name string, args ...string) (string, string, int) {
	cmd := exec.Command(fleetqBin, args...)
	cmd.Env = append(os.Environ(), "FLEETQ_SERVER="+w.s.URL, "FLEETQ_TOKEN="+w.secret[name],
		"FLEETQ_DB="+filepath.Join(w.t.TempDir(), "none.db"), "FLEETQ_POLICY=")
	return runCmd(w.t, cmd)
}

// same runs args locally (as the requester name, with --as when the
// command has it) and remotely (with name's token) and requires the same
// stdout, stderr and exit status, after normalise. It returns the
// remote stdout.
func (w *twin) same(name string, as bool, args ...string) string {
	w.t.Helper()
	local := args
	if as {
		local = append(append([]string(nil), args...), "--as", name)
	}
	lo, le, lc := w.f.run(local...)
	ro, re, rc := w.remote(name, args...)
	require.Equal(w.t, lc, rc, "fleetq %s: exit status\nlocal stderr: %s\nremote stderr: %s", strings.Join(args, " "), le, re)
	assert.Equal(w.t, normalise(lo), normalise(ro), "fleetq %s: stdout", strings.Join(args, " "))
	assert.Equal(w.t, normalise(le), normalise(re), "fleetq %s: stderr", strings.Join(args, " "))
	return ro
}

// timestamp is what legitimately differs between the two databases: the
// clock readings of the two runs (audit times, lease starts and ends,
// the decisions' clock lines, ages computed from now), which are a few
// milliseconds to a second apart; an evidence age in seconds and the
// time from a lease to the pass that released it, which are clock
// readings less others. Every other byte, ids, tokens, seeds,
// hosts and the arithmetic, must be equal. The audit log's hash chain
// (prev) hashes those times, so it differs as well; nothing else does.
var (
	timestamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	prevHash  = regexp.MustCompile(`"prev": "[0-9a-f]{64}"`)
	ageSecs   = regexp.MustCompile(`"age_seconds": \d+`)
	sealedGap = regexp.MustCompile(`sealed (\d+[dhms])+ after the lease`)
)

func normalise(s string) string {
	s = timestamp.ReplaceAllString(s, "<time>")
	s = prevHash.ReplaceAllString(s, `"prev": "<hash>"`)
	s = sealedGap.ReplaceAllString(s, "sealed <age> after the lease")
	return ageSecs.ReplaceAllString(s, `"age_seconds": <age>`)
}

// TestClientSameAsLocal: each command the issue names prints the same,
// byte for byte, and exits the same, run locally or sent to fleetq serve
// with --server (the requester is the token's name remotely, --as
// locally): the decision, dry run and --commit --yes, the apply of its
// token, release, leases, audit, query in text, json and csv, freeze and
// unfreeze, incident start, status and stop, and a bad expression's caret
// message.
func TestClientSameAsLocal(t *testing.T) {
	w := newTwin(t, map[string]string{"rob": "requester", "ada": "admin"})

	for _, format := range []string{"text", "json", "csv"} {
		w.same("rob", false, "query", "--seed", "42", `cluster = "smf1-dense-02" & responsive | sample 5`, "--format", format)
	}
	w.same("rob", false, "responsive", "--format", "folded") // fleetq EXPR
	w.same("rob", false, "pases")                            // no such set: "unknown command", exit 2
	_, stderr, _ := w.remote("rob", "query", `cluster = "smf1-dense-02" & (`)
	assert.Contains(t, stderr, "^", "the caret line")
	w.same("rob", false, "query", `cluster = "smf1-dense-02" & (`)

	dry := w.same("rob", true, "drain", `cluster = "smf1-dense-02"`, "--reason", "disk swap", "--seed", "42")
	token := regexp.MustCompile(`fleetq apply (\S+)`).FindStringSubmatch(dry)
	require.NotNil(t, token, "the dry run printed no token:\n%s", dry)
	w.same("rob", true, "apply", token[1])
	w.same("rob", true, "apply", token[1]) // already applied: exit 1 on both

	w.same("rob", true, "drain", `cluster = "ams1-zk-01"`, "--reason", "zk patch", "--commit") // no --yes: refused, exit 2
	out := w.same("rob", true, "drain", `cluster = "ams1-zk-01"`, "--reason", "zk patch", "--seed", "7", "--commit", "--yes", "--format", "json")
	var d decisionJSON
	require.NoError(t, json.Unmarshal([]byte(out), &d))
	require.NotEmpty(t, d.Approved)
	w.same("rob", false, "leases")
	w.same("rob", false, "leases", "--format", "json")
	w.same("rob", true, "release", d.Approved[0]) // kept: no evidence since the lease, exit 1

	w.same("ada", true, "freeze", `cluster = "smf1-critical-01"`, "--reason", "change freeze")
	w.same("rob", true, "drain", `cluster = "smf1-critical-01"`, "--reason", "frozen?", "--seed", "3")
	w.ingest()
	out = w.same("rob", true, "release", d.Approved[0], "--format", "json")
	assert.Contains(t, out, `"released"`)
	w.same("ada", true, "unfreeze", `cluster = "smf1-critical-01"`, "--reason", "over")
	w.same("ada", true, "incident", "start", "--reason", "INC-1 packet loss")
	w.same("rob", false, "incident", "status")
	w.same("ada", true, "incident", "stop", "--reason", "resolved")

	for _, args := range [][]string{{"host", "dn0001.smf1"}, {"explain", `cluster = "ams1-zk-01" - responsive`}, {"sets", "--format", "csv"},
		{"schema", "--pass", "1"}, {"passes"}, {"freezes", "--format", "json"}} {
		w.same("rob", false, args...)
	}
	w.same("rob", false, "rollout", "status") // none yet: exit 1 on both
	w.same("rob", false, "week", "list", "--format", "json")
	w.same("rob", false, "week", "show") // none yet: exit 1 on both
	w.same("rob", false, "check", "windows", `cluster = "ams1-zk-01"`, "--verb", "reboot")
	w.same("rob", false, "check", "windows") // no [windows]: every host listed, exit 4

	w.same("rob", false, "audit")
	w.same("rob", false, "audit", "--format", "json")
	w.same("rob", false, "audit", "--kind", "apply", "--format", "csv")
}

// TestClientTokens: an admin manages the server's tokens with the token
// commands and --server (POST, GET, DELETE /v1/tokens); the secret it
// prints works at once, and stops at its revocation; anyone else is
// refused.
func TestClientTokens(t *testing.T) {
	w := newTwin(t, map[string]string{"ada": "admin", "rob": "requester"})
	out, stderr, code := w.remote("ada", "token", "create", "carl", "--role", "viewer", "--automation")
	require.Equal(t, 0, code, stderr)
	w.secret["carl"] = strings.TrimSpace(out)
	require.True(t, strings.HasPrefix(w.secret["carl"], "fq_"), out)

	out, stderr, code = w.remote("carl", "leases", "--format", "json")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "[]\n", out)
	out, _, _ = w.remote("ada", "token", "list", "--format", "json")
	var list []struct {
		Name, Role string
		CreatedBy  string `json:"created_by"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &list), out)
	require.Len(t, list, 3)
	assert.Equal(t, "ada", list[2].CreatedBy, "created by the admin who asked: %s", out)

	_, stderr, code = w.remote("rob", "token", "list")
	assert.Equal(t, 1, code)
	assert.Equal(t, "fleetq: server: tokens needs the admin role; rob is requester\n", stderr)

	out, stderr, code = w.remote("ada", "token", "revoke", "carl", "--format", "json")
	require.Equal(t, 0, code, stderr)
	assert.JSONEq(t, `{"revoked": "carl"}`, out)
	_, stderr, code = w.remote("carl", "leases")
	assert.Equal(t, 1, code)
	assert.Equal(t, "fleetq: server: the bearer token is unknown or revoked\n", stderr)
	_, stderr, code = w.remote("ada", "token", "revoke", "carl")
	assert.Equal(t, 1, code, "revoked twice: %s", stderr)
}

// TestClientRefusals: what the client refuses before it sends anything
// (usage errors, exit 2, naming the flag or the command), and what the
// server refuses before any command runs (401, 403, 429: "fleetq:
// server: MESSAGE", exit 1).
func TestClientRefusals(t *testing.T) {
	w := newTwin(t, map[string]string{"rob": "requester", "vera": "viewer"})
	refused := func(code int, want string, name string, args ...string) {
		t.Helper()
		out, stderr, c := w.remote(name, args...)
		assert.Equal(t, code, c, "fleetq %s: %s", strings.Join(args, " "), stderr)
		assert.Empty(t, out)
		assert.Equal(t, "fleetq: "+want+"\n", stderr, "fleetq %s", strings.Join(args, " "))
	}
	drain := []string{"drain", "all", "--reason", "x"}
	refused(2, "--as is refused with --server: the requester is the name of the token the server authenticates", "rob", append(drain, "--as", "mallory")...)
	refused(2, "--db is refused with --server: the server decides on the database it serves", "rob", "--db", w.f.db, "leases")
	refused(2, "--policy is refused with --server: the server decides with its own policy (fleetq serve --policy)", "rob", append(drain, "--policy", w.f.policy)...)
	refused(2, "--what-if is not supported with --server (the API's request has no such parameter)", "rob", append(drain, "--what-if", "25h")...)
	refused(2, `ingest has no API operation: it runs on a local database only (give --server "" or unset $FLEETQ_SERVER)`, "rob", "ingest", "x.csv")
	refused(2, `--server "ftp://x": expected http://HOST:PORT or https://HOST:PORT`, "rob", "--server", "ftp://x", "leases")
	refused(1, "server: no bearer token: send Authorization: Bearer TOKEN (fleetq token create); set $FLEETQ_TOKEN or --token-file", "nobody", "leases")
	refused(1, "server: request needs the requester role; vera is viewer", "vera", drain...)
	refused(1, "server: request with force needs the operator role; rob is requester", "rob", append(drain, "--force")...)

	// --server "" is the local database, whatever $FLEETQ_SERVER says.
	out, stderr, code := w.remote("rob", "--server", "", "--db", w.f.db, "passes")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, w.f.ok("passes"), out)

	_, stderr, code = w.f.run("leases", "--token-file", "rob.token")
	assert.Equal(t, 2, code)
	assert.Equal(t, "fleetq: --token-file is for --server (or $FLEETQ_SERVER): this command runs locally\n", stderr)

	// A token file instead of $FLEETQ_TOKEN.
	file := filepath.Join(t.TempDir(), "rob.token")
	require.NoError(t, os.WriteFile(file, []byte(w.secret["rob"]+"\n"), 0o600))
	out, stderr, code = w.remote("nobody", "--token-file", file, "incident", "status")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "incident mode off")

	// Over the rate: the second request of a burst of 1 waits 100 s, less
	// the time since the first.
	slow := startServe(t, w.db, "--rate", "0.01", "--burst", "1")
	w.s = slow
	_, stderr, code = w.remote("rob", "leases")
	require.Equal(t, 0, code, stderr)
	out, stderr, code = w.remote("rob", "leases")
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Regexp(t, `^fleetq: server: rob is over its rate of 0.01 requests/s \(burst 1\); retry after (100|\d\d) s\n$`, stderr)
}

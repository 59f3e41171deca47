package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store/storetest"
)

// The load and fault test of fleetq serve: 50 HTTP clients and 4 local
// CLI processes request, start and cancel drains on one budget; half-way
// the server is killed with SIGKILL and started again on the same file.
// The audit log, replayed, must show the cluster never over its cap, and
// the leases table must be exactly what the log says is held: no lease
// lost, no apply half there.

const (
	loadClients    = 50
	loadRounds     = 6 // request, start, cancel, per HTTP client
	loadCLIs       = 4
	loadCLIRounds  = 6 // drain --commit, cancel, per CLI process
	loadSelection  = dense + ` & lifecycle = "active" | sample 2`
	loadDenseCap   = 7 // 6% of 412 is 24, 17 unavailable: 7 may be leased
	loadMaxRetries = 20
)

// loadServer is the server the clients talk to across a kill: its URL,
// and a channel closed once the next server listens.
type loadServer struct {
	mu        sync.Mutex
	url       string
	restarted chan struct{}
}

func (l *loadServer) current() (string, chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.url, l.restarted
}

func (l *loadServer) restart(url string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.url = url
	close(l.restarted)
	l.restarted = make(chan struct{})
}

// post makes one API call, and across a killed server waits for the
// next one (an event: its listening line) and asks it again. It returns
// the status and body of the first answer.
func (l *loadServer) post(c *http.Client, token, path string, body map[string]any) (int, []byte, error) {
	b, _ := json.Marshal(body)
	for range loadMaxRetries {
		url, next := l.current()
		req, err := http.NewRequest("POST", url+path, bytes.NewReader(b))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := c.Do(req)
		if err != nil {
			<-next // the server is gone: wait for its restart
			continue
		}
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			<-next
			continue
		}
		if resp.StatusCode == http.StatusServiceUnavailable { // locked, shutting down: ask again
			continue
		}
		return resp.StatusCode, out, nil
	}
	return 0, nil, fmt.Errorf("%s: no answer after %d tries", path, loadMaxRetries)
}

// loadClient runs rounds of request, start and cancel as one principal:
// a start whose answer was lost to the kill is asked again, and then is
// either granted or refused as already applied (both leave its leases).
func loadClient(l *loadServer, c *http.Client, token string, seed int, calls *loadCalls) error {
	for round := range loadRounds {
		st, b, err := l.post(c, token, "/v1/request", map[string]any{"verb": "drain", "expr": loadSelection, "reason": "load", "seed": seed*100 + round})
		calls.Add(1)
		if err != nil || st != http.StatusOK {
			return fmt.Errorf("request: %d %s %v", st, b, err)
		}
		var d decisionJSON
		if err := json.Unmarshal(b, &d); err != nil {
			return err
		}
		if len(d.Approved) == 0 {
			continue
		}
		start := map[string]any{"token": d.Token}
		if round%2 == 1 && len(d.Approved) > 1 {
			start["hosts"] = d.Approved[:1] // a subset start
		}
		st, b, err = l.post(c, token, "/v1/start", start)
		calls.Add(1)
		switch {
		case err != nil:
			return err
		case st == http.StatusConflict: // stale: another took the budget first
			continue
		case st != http.StatusOK:
			return fmt.Errorf("start: %d %s", st, b)
		}
		st, b, err = l.post(c, token, "/v1/cancel", map[string]any{"hosts": d.Approved, "reason": "load: never taken down"})
		calls.Add(1)
		if err != nil || (st != http.StatusOK && st != http.StatusConflict) { // 409: a host of a subset holds none
			return fmt.Errorf("cancel: %d %s %v", st, b, err)
		}
	}
	return nil
}

// loadCLI runs rounds of drain --commit and cancel as local processes.
func loadCLI(f *actionFixture, i int, pause *sync.RWMutex) error {
	as := fmt.Sprintf("cli%d", i)
	for round := range loadCLIRounds {
		if err := loadCLIRound(f, i, round, as, pause); err != nil {
			return err
		}
	}
	return nil
}

// loadCLIRound is one drain --commit and the cancel of what it got,
// holding pause's read lock, so the check after the kill (which takes
// the write lock) reads the audit log and the leases table with no CLI
// process writing between its two reads.
func loadCLIRound(f *actionFixture, i, round int, as string, pause *sync.RWMutex) error {
	pause.RLock()
	defer pause.RUnlock()
	out, errOut, code := f.run("drain", loadSelection, "--reason", "load cli", "--commit", "--yes", "--as", as,
		"--seed", fmt.Sprint(1000*i+round), "--format", "json", "--timeout", "60s")
	if code != 0 {
		return fmt.Errorf("drain: exit %d: %s", code, errOut)
	}
	var d decisionJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		return err
	}
	if len(d.Approved) == 0 {
		return nil
	}
	if _, errOut, code := f.run("cancel", "--hosts", strings.Join(d.Approved, ","), "--reason", "load cli", "--as", as, "--timeout", "60s"); code != 0 {
		return fmt.Errorf("cancel: exit %d: %s", code, errOut)
	}
	return nil
}

// loadCalls counts the calls made and closes half when at are made.
type loadCalls struct {
	n    atomic.Int64
	at   int64
	half chan struct{}
}

func (c *loadCalls) Add(n int64) {
	if c.n.Add(n) == c.at {
		close(c.half)
	}
}

// Kill sends SIGKILL, as a crash would, and waits for the process to be
// gone.
func (s *served) Kill(t *testing.T) {
	t.Helper()
	require.NoError(t, s.cmd.Process.Kill())
	err := <-s.done
	require.ErrorContains(t, err, "signal: killed")
}

// TestServeLoadAndKill: see the top of the file. Bounded by rounds, not
// by time.
func TestServeLoadAndKill(t *testing.T) {
	f := newActionFixture(t)
	tokens := make([]string, loadClients)
	for i := range tokens {
		tokens[i] = newToken(t, f.db, fmt.Sprintf("client%02d", i), "requester")
	}
	args := []string{"--policy", f.policy, "--rate", "0", "--timeout", "60s"}
	first := startServe(t, f.db, args...)
	l := &loadServer{url: first.URL, restarted: make(chan struct{})}
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadClients}, Timeout: 2 * time.Minute}

	calls := &loadCalls{half: make(chan struct{}), at: loadClients * loadRounds}
	errs := make(chan error, loadClients+loadCLIs)
	var wg sync.WaitGroup
	for i, token := range tokens {
		wg.Go(func() { errs <- loadClient(l, c, token, i+1, calls) })
	}
	var pause sync.RWMutex
	for i := range loadCLIs {
		wg.Go(func() { errs <- loadCLI(f, i, &pause) })
	}
	<-calls.half // half-way by calls made: an event, not a clock
	first.Kill(t)
	pause.Lock() // the CLI processes finish their round and wait
	storetest.MustCheck(t, f.db)
	requireLeasesAreTheLog(t, f, "after kill -9")
	pause.Unlock()
	second := startServe(t, f.db, args...)
	l.restart(second.URL)

	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	second.Stop(t)
	storetest.MustCheck(t, f.db)
	maxOut := requireLeasesAreTheLog(t, f, "at the end")
	f.ok("audit", "verify")
	assert.LessOrEqual(t, maxOut, loadDenseCap, "the audit log shows more hosts out than the cap at one moment")
	assert.Positive(t, maxOut, "the load leased nothing: it tested nothing")
	t.Logf("%d HTTP calls; at most %d of %d leased at once", calls.n.Load(), maxOut, loadDenseCap)
}

// requireLeasesAreTheLog replays the audit log, entry by entry, as
// grants (commit, apply) and ends (release, cancel, lease-expired) of
// leases: no host is granted twice while held, and what the log says is
// held is exactly the leases table, each lease from the entry that
// granted it (so no lease was lost and no apply is half there). It
// returns the most hosts held at once.
func requireLeasesAreTheLog(t *testing.T, f *actionFixture, when string) int {
	t.Helper()
	var log []struct {
		ID        int64
		Kind      string
		Committed bool
		Refused   string
		Approved  []string
		Lease     *struct{ Host string }
	}
	require.NoError(t, json.Unmarshal([]byte(f.ok("audit", "--format", "json")), &log))
	held := map[string]int64{} // host → the entry that granted its lease
	most := 0
	for _, e := range log {
		switch {
		case (e.Kind == "commit" || e.Kind == "apply") && e.Committed && e.Refused == "":
			for _, h := range e.Approved {
				require.NotContains(t, held, h, "%s: audit %d grants %s, held since audit %d", when, e.ID, h, held[h])
				held[h] = e.ID
			}
		case e.Kind == "release" || e.Kind == "cancel":
			for _, h := range e.Approved {
				delete(held, h)
			}
		case e.Kind == "lease-expired" && e.Lease != nil:
			delete(held, e.Lease.Host)
		}
		most = max(most, len(held))
	}
	var leases []struct {
		Host  string
		Audit int64
	}
	require.NoError(t, json.Unmarshal([]byte(f.ok("leases", "--all", "--format", "json")), &leases))
	table := map[string]int64{}
	for _, x := range leases {
		table[x.Host] = x.Audit
	}
	require.Equal(t, held, table, "%s: the leases table is not what the audit log says is held", when)
	t.Logf("%s: %d audit entries, %d leases held %v", when, len(log), len(held), slices.Sorted(maps.Keys(held)))
	return most
}

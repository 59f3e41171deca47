package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeSIGTERMFinishesInFlightRequest: a request waiting for the
// database lock (held by another process) when the server gets SIGTERM
// still completes once the lock is free, 200 with its leases granted;
// meanwhile the server takes no new connection, and it then exits 0.
func TestServeSIGTERMFinishesInFlightRequest(t *testing.T) {
	f := newActionFixture(t)
	rob := newToken(t, f.db, "rob", "requester")
	s := startServe(t, f.db, "--policy", f.policy, "--timeout", "5m")
	_, release := startHolder(t, f.db)

	type answer struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		body := fmt.Sprintf(`{"verb": "drain", "expr": %q, "reason": "in flight", "seed": 42, "commit": true}`, dense)
		req, err := http.NewRequest("POST", s.URL+"/v1/request", strings.NewReader(body))
		if err != nil {
			done <- answer{err: err}
			return
		}
		req.Header.Set("Authorization", "Bearer "+rob)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- answer{resp.StatusCode, b, err}
	}()
	waitOpen(t, s.cmd.Process.Pid, f.db) // the request's command is waiting for the lock

	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	waitRefused(t, s.URL) // draining: the listener is closed
	select {
	case a := <-done:
		t.Fatalf("the request ended while the lock was still held: %d %s", a.status, a.body)
	default:
	}
	require.NoError(t, release.Close()) // the holder lets the lock go

	var a answer
	select {
	case a = <-done:
	case <-time.After(time.Minute): // a hung request, not a timing assumption
		t.Fatalf("the in-flight request did not end a minute after the lock was free:\n%s", s.Logs())
	}
	require.NoError(t, a.err, "the in-flight request was cut off:\n%s", s.Logs())
	require.Equal(t, http.StatusOK, a.status, "%s\n%s", a.body, s.Logs())
	require.Equal(t, "approved", blockedOrApproved(t, a.body))
	select {
	case err := <-s.done:
		require.NoError(t, err, "fleetq serve exits 0 after the in-flight request:\n%s", s.Logs())
	case <-time.After(time.Minute): // a hung server, not a timing assumption
		t.Fatalf("fleetq serve did not exit after its last request:\n%s", s.Logs())
	}
	assert.Len(t, f.leases(), 7, "the in-flight decision committed")
}

// blockedOrApproved is "approved" when a decision's JSON approved hosts.
func blockedOrApproved(t *testing.T, b []byte) string {
	t.Helper()
	var d decisionJSON
	require.NoError(t, json.Unmarshal(b, &d), "%s", b)
	if len(d.Approved) > 0 && d.Committed {
		return "approved"
	}
	return fmt.Sprintf("approved %d, committed %t", len(d.Approved), d.Committed)
}

// waitOpen polls /proc until process pid has path open (the event: its
// command opened the database and waits for the lock). The poll has a
// deadline for a hung server only.
func waitOpen(t *testing.T, pid int, path string) {
	t.Helper()
	want, err := filepath.EvalSymlinks(path)
	require.NoError(t, err)
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		fds, err := os.ReadDir(fdDir)
		require.NoError(t, err)
		for _, fd := range fds {
			if target, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil && target == want {
				return
			}
		}
		time.Sleep(5 * time.Millisecond) // the poll's period
	}
	t.Fatalf("fleetq serve never opened %s", path)
}

// waitRefused polls until a new request to url is refused (the server
// stopped listening after SIGTERM) or answered 503 (draining).
func waitRefused(t *testing.T, url string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		resp, err := client.Get(url + "/healthz")
		if err != nil {
			return
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			return
		}
		time.Sleep(5 * time.Millisecond) // the poll's period
	}
	t.Fatalf("fleetq serve still answered new requests a minute after SIGTERM")
}

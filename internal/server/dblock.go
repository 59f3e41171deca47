package server

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// lockWrite waits for this process's turn to write and takes dbMu, at
// most Config.LockWait (503 locked) and until ctx ends (503
// interrupted). It returns what is left of LockWait, for the command's
// wait for the file's lock (0 when LockWait is 0: no bound), and the
// release.
func (s *Server) lockWrite(ctx context.Context) (func(), time.Duration, *Error) {
	start := time.Now()
	var expired <-chan time.Time
	if s.cfg.LockWait > 0 {
		t := time.NewTimer(s.cfg.LockWait)
		defer t.Stop()
		expired = t.C
	}
	select {
	case s.turn <- struct{}{}:
	case <-expired:
		return nil, 0, errorf(KindLocked, fmt.Sprintf("the database was not free within %s (--timeout): other writes of this server are waiting ahead of this one; retry", s.cfg.LockWait))
	case <-ctx.Done():
		return nil, 0, errorf(KindInterrupted, "the request was cancelled while it waited for its turn to write: nothing was written")
	}
	s.dbMu.Lock()
	release := func() {
		s.dbMu.Unlock()
		<-s.turn
	}
	if s.cfg.LockWait == 0 {
		return release, 0, nil
	}
	// At least a millisecond: the command tries the lock once.
	return release, max(time.Millisecond, s.cfg.LockWait-time.Since(start)), nil
}

// exitCodeOf is the exit status fleetq gives for an error of kind the
// server makes itself (docs: exit codes): 3 for a lock not had, 130 for
// an interrupted command.
func exitCodeOf(kind string) int {
	switch kind {
	case KindLocked:
		return 3
	case KindInterrupted:
		return 130
	}
	return 1
}

// WithDB runs fn holding the server's lock of the database as a call's
// command does (exec): a write alone, a read beside other reads. Work of
// this process that opens the database outside a call (the refusal
// audit's writes, /metrics' reads) goes through it, so it never polls for
// a file lock a request of this process holds.
func (s *Server) WithDB(write bool, fn func()) {
	if write {
		s.dbMu.Lock()
		defer s.dbMu.Unlock()
	} else {
		s.dbMu.RLock()
		defer s.dbMu.RUnlock()
	}
	fn()
}

// Reading wraps h to run under the server's shared database lock: for a
// mounted handler that reads the database itself (/metrics).
func (m *Mux) Reading(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.s.WithDB(false, func() { h.ServeHTTP(w, r) })
	})
}

package server

import "net/http"

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

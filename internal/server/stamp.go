package server

import (
	"context"
	"errors"
	"fmt"
)

// State is the database's state stamp: what changes when a new pass is
// ingested (Pass) or the ledger (leases, freezes, incident mode; Ledger)
// or the audit log (decisions, every entry but the server's own refusal
// batches; Audit) is written.
// Two reads with equal stamps saw the same pages.
type State struct {
	Pass   int64  `json:"pass"`
	Ledger uint64 `json:"ledger"`
	Audit  int64  `json:"audit"`
}

// String is the stamp as one word, "PASS.LEDGER.AUDIT".
func (s State) String() string { return fmt.Sprintf("%d.%d.%d", s.Pass, s.Ledger, s.Audit) }

// ErrNoState is Mux.State's error when the server was given no
// Config.State.
var ErrNoState = errors.New("the server reads no state stamp (Config.State is not set)")

// State reads the database's state stamp through Config.State, under
// the server's shared database lock as a read operation is, so it never
// polls for a file lock a write of this process holds.
func (m *Mux) State(ctx context.Context) (State, error) {
	if m.s.cfg.State == nil {
		return State{}, ErrNoState
	}
	var (
		st  State
		err error
	)
	m.s.WithDB(false, func() { st, err = m.s.cfg.State(ctx) })
	return st, err
}

// HasState says whether the server reads a state stamp.
func (m *Mux) HasState() bool { return m.s.cfg.State != nil }

// Draining is closed when the server's graceful shutdown begins: a
// handler that streams (server-sent events) ends its response then, so
// the shutdown does not wait --grace for it.
func (m *Mux) Draining() <-chan struct{} { return m.s.draining }

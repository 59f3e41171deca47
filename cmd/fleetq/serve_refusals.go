package main

import (
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/fleetq/fleetq/internal/server"
	"github.com/fleetq/fleetq/internal/store"
)

// refusalAudit records the requests fleetq serve refuses before a command
// runs (401, 403, 413, 429, a bad parameter) in the audit log, without
// letting a flood become a write per request: refusals are counted in
// memory, one refused entry per principal (or, unauthenticated, client
// address), operation and kind, and written in one write transaction at
// most once per interval, and at shutdown. A command the server runs
// audits itself.
type refusalAudit struct {
	// write appends entries in one write transaction.
	write    func([]*store.AuditEntry) error
	log      *slog.Logger
	interval time.Duration

	mu      sync.Mutex
	pending map[refusalKey]*store.AuditEntry
	order   []refusalKey // first refused first, so entries keep that order
	kick    chan struct{}
	done    chan struct{}
	stopped chan struct{}
}

type refusalKey struct{ who, op, kind string }

// maxRefusalKeys bounds the batch: past it, further callers of a flood
// from many addresses are counted together under manyCallers.
const (
	maxRefusalKeys = 10000
	manyCallers    = "(many callers)"
)

func newRefusalAudit(write func([]*store.AuditEntry) error, log *slog.Logger, interval time.Duration) *refusalAudit {
	r := &refusalAudit{write: write, log: log, interval: interval, pending: map[refusalKey]*store.AuditEntry{},
		kick: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	go r.run()
	return r
}

// add counts one refusal (server.Config.Refused).
func (r *refusalAudit) add(x server.Refusal) {
	remote := clientHost(x.Remote)
	who := x.Principal
	if who == "" {
		who = remote
	}
	r.mu.Lock()
	k := refusalKey{who, x.Op, x.Kind}
	if _, ok := r.pending[k]; !ok && len(r.pending) >= maxRefusalKeys {
		k.who = manyCallers
	}
	e := r.pending[k]
	if e == nil {
		e = &store.AuditEntry{Requester: k.who, Kind: store.KindRefused, Approved: []string{},
			Refusal: &store.AuditRefusal{Op: x.Op, Kind: x.Kind, First: x.Time}}
		r.pending[k] = e
		r.order = append(r.order, k)
	}
	e.Refusal.Count++
	e.Refusal.Last, e.Refusal.Remote, e.Refusal.Message = x.Time, remote, x.Message
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// clientHost is a remote address without its port: a client reconnecting
// is one caller.
func clientHost(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}

// run flushes after each first refusal, no sooner than interval after the
// previous flush, until stop.
func (r *refusalAudit) run() {
	defer close(r.stopped)
	var last time.Time
	for {
		select {
		case <-r.kick:
		case <-r.done:
			r.flush()
			return
		}
		if wait := time.Until(last.Add(r.interval)); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-r.done:
				t.Stop()
				r.flush()
				return
			}
		}
		r.flush()
		last = time.Now()
	}
}

// flush writes what was counted. A failed write (the database locked
// past --timeout) keeps the counts for the next flush.
func (r *refusalAudit) flush() {
	r.mu.Lock()
	pending, order := r.pending, r.order
	r.pending, r.order = map[refusalKey]*store.AuditEntry{}, nil
	r.mu.Unlock()
	if len(order) == 0 {
		return
	}
	entries := make([]*store.AuditEntry, len(order))
	now := time.Now().UTC()
	for i, k := range order {
		entries[i] = pending[k]
		entries[i].Time = now
	}
	if err := r.write(entries); err != nil {
		r.log.Warn("refusal audit: not written, kept for the next write", "entries", len(entries), "error", err.Error())
		r.requeue(pending, order)
		return
	}
	r.log.Info("refusal audit", "entries", len(entries))
}

// requeue merges a batch that was not written back into the pending one.
func (r *refusalAudit) requeue(batch map[refusalKey]*store.AuditEntry, order []refusalKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range order {
		old := batch[k]
		e, ok := r.pending[k]
		if !ok {
			r.pending[k] = old
			continue
		}
		e.Refusal.Count += old.Refusal.Count
		e.Refusal.First = old.Refusal.First
	}
	r.order = append(order, r.order...)
	r.order = dedupeKeys(r.order)
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func dedupeKeys(ks []refusalKey) []refusalKey {
	seen := map[refusalKey]bool{}
	out := ks[:0]
	for _, k := range ks {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// stop writes what is pending and ends the flusher.
func (r *refusalAudit) stop() {
	close(r.done)
	<-r.stopped
}

// appendAudit is the refusal audit's write: the entries in one write
// transaction of the served database.
func appendAudit(a *app, entries []*store.AuditEntry) error {
	return a.update(func(tx *store.Tx) error {
		for _, e := range entries {
			e.ID, e.LedgerVersion = 0, tx.LedgerVersion()
			if _, err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
}

package main

import (
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/metrics"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/server"
	"github.com/fleetq/fleetq/internal/store"
)

// serveObservers are what fleetq serve sees of its own requests and its
// database: the Prometheus metrics at /metrics, the audit of refused
// requests, and the readiness check.
type serveObservers struct {
	metrics  *metrics.Metrics
	refusals *refusalAudit
	public   bool
	srv      *server.Server
	// db is the served database as these observers open it.
	db *app
}

// refusalInterval is how often at most the refusal audit writes.
const refusalInterval = time.Second

// newServeObservers builds the metrics over the served database and
// starts the refusal audit's flusher; stop it with stop.
func newServeObservers(a *app, o *serveOptions, log *slog.Logger) *serveObservers {
	s := &serveObservers{public: o.metricsPublic}
	// The database as these observers open it: the served file, the lock
	// wait of --timeout, no notes on stderr (the request log is there).
	db := &app{db: a.dbPath(), timeout: a.timeout, stderr: io.Discard, command: "fleetq serve (refusal audit)"}
	s.db = db
	s.metrics = metrics.New(func() (*metrics.State, error) {
		st, err := readServeState(db, o.policy)
		if err != nil {
			log.Warn("metrics: the database was not read; fleetq_state_up 0", "error", err.Error())
		}
		return st, err
	})
	s.refusals = newRefusalAudit(func(entries []*store.AuditEntry) error {
		var err error
		s.withDB(true, func() { err = appendAudit(db, entries) })
		return err
	}, log, refusalInterval)
	return s
}

// configure hooks the observers into the server's configuration.
func (s *serveObservers) configure(cfg server.Config) server.Config {
	if x, ok := cfg.Executor.(*serveExec); ok {
		x.outcomes = s.metrics.ObserveOutcome
	}
	cfg.ObserveHTTP = s.metrics.ObserveHTTP
	cfg.Ready = serveReady(s.db)
	cfg.Refused = func(r server.Refusal) {
		s.metrics.ObserveRefusal(r.Op, r.Kind)
		s.refusals.add(r)
	}
	cfg.Mount = append(cfg.Mount, func(m *server.Mux) {
		h := m.Reading(s.metrics.Handler())
		if s.public {
			m.HandlePublic("GET /metrics", h)
			return
		}
		m.Handle("GET /metrics", h)
	})
	return cfg
}

// attach is given the server once built: the refusal audit's writes take
// its database lock.
func (s *serveObservers) attach(srv *server.Server) { s.srv = srv }

func (s *serveObservers) withDB(write bool, fn func()) {
	if s.srv == nil {
		fn()
		return
	}
	s.srv.WithDB(write, fn)
}

// stop writes the refusals still counted.
func (s *serveObservers) stop() { s.refusals.stop() }

// readServeState reads what the gauges say in one read transaction: the
// newest pass and its sources' ages, the leases by state, and every
// cluster's headroom for every verb (when there is a policy).
func readServeState(db *app, policyFlag string) (*metrics.State, error) {
	lo := &ledgerOptions{policy: policyFlag}
	pol, err := lo.loadPolicy(db)
	hasPolicy := err == nil
	if errors.Is(err, policy.ErrNoPolicy) {
		pol, err = lo.policyOrDefault(db)
	}
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	st := &metrics.State{}
	err = db.view(func(tx *store.Tx) error {
		pv, err := tx.Pass(0)
		if err != nil {
			return err
		}
		st.Pass, st.PassAge = pv.ID(), now.Sub(pv.Created())
		for _, src := range pv.Info().Sources {
			st.Sources = append(st.Sources, metrics.SourceAge{Source: src.Kind + ":" + src.Name, Age: now.Sub(src.ReadAt)})
		}
		l, err := tx.Ledger(now)
		if err != nil {
			return err
		}
		snap, err := tx.Snapshot(0)
		if err != nil {
			return err
		}
		if st.Leases, err = actions.ViewLeases(db.context(), snap, pol, l.Leases, now); err != nil {
			return err
		}
		if hasPolicy {
			st.Headroom, err = actions.Headroom(db.context(), tx, pol, policy.Verbs, nil, now)
		}
		return err
	})
	return st, err
}

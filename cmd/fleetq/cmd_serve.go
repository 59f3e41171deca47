package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/auth"
	"github.com/fleetq/fleetq/internal/dashboard"
	"github.com/fleetq/fleetq/internal/server"
	"github.com/fleetq/fleetq/internal/store"
)

type serveOptions struct {
	listen    string
	policy    string
	tokens    string
	tlsCert   string
	tlsKey    string
	clientCA  string
	insecure  bool
	rate      float64
	burst     int
	bodyLimit int64
	grace     time.Duration
	logFormat string
	fleetLock fleetLockOptions
	// metricsPublic serves /metrics without a token (serve_observe.go).
	metricsPublic bool
	// eventsPoll is how often the dashboard's live refresh reads the
	// database's state stamp (0: pages do not refresh themselves).
	eventsPoll time.Duration
}

func (o *serveOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8470", "`ADDR`ESS to listen on (host:port; port 0 picks one, printed)")
	fs.StringVar(&o.policy, "policy", "", "policy file or directory (default $FLEETQ_POLICY, else fleetq.policy.toml or fleetq.policy.d/ beside the database)")
	fs.StringVar(&o.tokens, "tokens", "", "tokens file (default $FLEETQ_TOKENS, else fleetq.tokens.json beside the database)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "the certificate's private key (PEM)")
	fs.StringVar(&o.clientCA, "tls-client-ca", "", "verify client certificates against the CAs in this PEM file (mutual TLS): a certificate's common name is a principal, with the role of the token of that name; any verified certificate may also call FleetLock")
	fs.BoolVar(&o.insecure, "insecure", false, "allow a non-loopback address without TLS and tokens (never in production)")
	fs.Float64Var(&o.rate, "rate", 20, "requests per second each principal may make on average (0: no limit)")
	fs.IntVar(&o.burst, "burst", 40, "requests a principal may make at once")
	fs.Int64Var(&o.bodyLimit, "body-limit", 1<<20, "largest request body in bytes (413 past it)")
	fs.DurationVar(&o.grace, "grace", 30*time.Second, "on SIGTERM, how long in-flight requests may take to finish")
	fs.StringVar(&o.logFormat, "log-format", "json", "request log on stderr: json or text")
	o.fleetLock.AddFlags(fs)
	fs.BoolVar(&o.metricsPublic, "metrics-public", false, "serve GET /metrics without a bearer token (default: any valid token; Prometheus sends one with its authorization scrape setting)")
	fs.DurationVar(&o.eventsPoll, "events-poll", 2*time.Second, "how often the dashboard looks for a new pass or a ledger change to refresh its open pages (GET /events; 0: pages never refresh themselves)")
}

func (o *serveOptions) Validate() error {
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return &usageError{"--tls-cert and --tls-key go together"}
	}
	if o.clientCA != "" && o.tlsCert == "" {
		return &usageError{"--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS)"}
	}
	if o.logFormat != "json" && o.logFormat != "text" {
		return &usageError{fmt.Sprintf("--log-format %q: expected json or text", o.logFormat)}
	}
	if o.eventsPoll < 0 {
		return &usageError{fmt.Sprintf("--events-poll %s: expected a duration of 0 (off) or more", o.eventsPoll)}
	}
	if o.bodyLimit <= 0 || o.burst < 1 || o.rate < 0 {
		return &usageError{"--body-limit and --burst must be positive, --rate at least 0"}
	}
	return o.fleetLock.Validate()
}

func newServeCommand(a *app) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR] [--tokens FILE] [--tls-cert F --tls-key F]",
		Short: "Serve the database as the fleet's arbiter: the HTTP API, FleetLock, /metrics and the dashboard",
		Long: `Serve the JSON API under /v1 (the same results as --format json on the
command line), for every operator and every piece of automation that asks
before draining, rebooting or restarting anything:

  POST /v1/request   decide: the allowed subset, per-host reasons, a plan token
  POST /v1/start     apply exactly that plan, granting leases
  POST /v1/stop      maintenance done: release, health-gated
  POST /v1/cancel    withdraw a plan, or end leases never started
  GET  /v1/query, /v1/explain, /v1/leases, /v1/headroom, /v1/audit, …
  GET  /v1/openapi.json  every operation (no token needed)
  GET  /metrics      Prometheus metrics (any valid token; --metrics-public)
  POST /fleetlock/v1/pre-reboot, /fleetlock/v1/steady-state
                     FleetLock (Zincati): a reboot lease per node, by the policy
  GET  /             the read-only web dashboard for a browser: sign in at
                     /login with a token (a viewer's is enough); docs/dashboard.md

Every request carries a bearer token (fleetq token create); its name is
the requester recorded in decisions, leases and the audit log. Run
'fleetq token create' as the user the server runs as, on its --db (or
--tokens). Without a tokens file every caller is an anonymous viewer, so
a non-loopback --listen needs TLS and tokens, or --insecure.

The server holds the database only for the length of each request (a
read transaction, or one write transaction for a decision), so a cron
'fleetq ingest' and local commands keep working beside it; see
docs/serve.md. SIGTERM or Ctrl-C stops taking requests, lets in-flight
ones finish (--grace) and exits 0.

It prints "listening on URL" on stderr once it accepts connections.

Examples:
  fleetq token create alice --role operator > alice.token
  fleetq serve --listen 127.0.0.1:8470
  curl -H "Authorization: Bearer $(cat alice.token)" 'http://127.0.0.1:8470/v1/query?expr=dead'
  fleetq token create ops --role viewer > ops.token   # then open http://127.0.0.1:8470/
  fleetq serve --listen 0.0.0.0:8470 --tls-cert s.pem --tls-key s.key --fleetlock-allow 10.20.0.0/16 --fleetlock-id-attr machine_id

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), a, o)
		},
	}
	a.bind(cmd, o)
	return cmd
}

func runServe(ctx context.Context, a *app, o *serveOptions) error {
	if _, err := os.Stat(a.dbPath()); err != nil {
		return missingDBHint(fmt.Errorf("%s: %w", a.dbPath(), errNoDB(err)), "the first fleetq ingest creates it")
	}
	tokens, err := serveTokens(a, o)
	if err != nil {
		return err
	}
	tlsCfg, err := o.tlsConfig()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	tuneServeGC()
	if err := o.checkExposure(ln.Addr(), tokens, tokensPath(a, o.tokens), tlsCfg); err != nil {
		ln.Close()
		return err
	}
	log := o.logger(a)
	obs := newServeObservers(a, o, log) // metrics, the refusal audit, readiness (serve_observe.go)
	defer obs.stop()
	srv, err := server.New(obs.configure(o.config(a, tokens, tlsCfg, log)))
	if err != nil {
		ln.Close()
		return err
	}
	obs.attach(srv)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
	}
	warnPolicy(a, o)
	fmt.Fprintf(a.stderr, "fleetq serve: listening on %s://%s (database %s)\n", scheme, ln.Addr(), a.dbPath())
	if err := srv.Serve(ctx, ln, o.grace); err != nil {
		return err
	}
	fmt.Fprintln(a.stderr, "fleetq serve: stopped")
	return nil
}

func errNoDB(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return store.ErrNoDatabase // so missingDBHint adds its hint
	}
	return err
}

// config is the server's configuration from the flags.
func (o *serveOptions) config(a *app, tokens *auth.Store, tlsCfg *tls.Config, log *slog.Logger) server.Config {
	cfg := server.Config{
		Executor:  &serveExec{db: a.dbPath(), policy: o.policy, tokens: tokensPath(a, o.tokens), lockWait: a.timeout},
		Tokens:    tokens,
		Anonymous: auth.Principal{Name: "anonymous", Role: auth.Viewer},
		TLS:       tlsCfg,
		BodyLimit: o.bodyLimit, Rate: o.rate, Burst: o.burst,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute,
		LockWait: a.timeout,
		Log:      log,
	}
	cfg.Mount = append(cfg.Mount, server.OpenAPI(readBuildInfo().Version)) // GET /v1/openapi.json
	// The web dashboard at / (docs/dashboard.md); its live refresh reads the state stamp (serve_state.go).
	cfg.Mount = append(cfg.Mount, dashboard.Mount(dashboard.Options{Poll: o.eventsPoll}))
	cfg.State = serveState(a.dbPath())
	if tokens != nil {
		tokens.OnRereadError(func(err error) {
			log.Warn("tokens file changed but does not read: the last good tokens stay in force", "error", err.Error())
		})
	}
	if tokens != nil && o.clientCA != "" {
		cfg.CertRoles = certRoles(tokens.Path())
	}
	if m := o.fleetLock.mount(a); m != nil {
		cfg.Mount = append(cfg.Mount, m)
	}
	return cfg
}

// serveTokens is the tokens store, or nil when the file holds none.
func serveTokens(a *app, o *serveOptions) (*auth.Store, error) {
	st, err := auth.NewStore(tokensPath(a, o.tokens))
	if err != nil {
		return nil, err
	}
	if st.Len() == 0 {
		return nil, nil
	}
	return st, nil
}

// certRoles finds the token named by a client certificate's common name.
func certRoles(path string) func(string) (auth.Principal, bool) {
	return func(cn string) (auth.Principal, bool) {
		ts, err := auth.Read(path)
		if err != nil {
			return auth.Principal{}, false
		}
		for _, t := range ts {
			if t.Name == cn {
				return t.Principal(), true
			}
		}
		return auth.Principal{}, false
	}
}

// checkExposure refuses a non-loopback address without TLS and tokens,
// unless --insecure. It names the address as given (0.0.0.0:8470), not
// as the listener reports it ([::]:8470).
func (o *serveOptions) checkExposure(addr net.Addr, tokens *auth.Store, tokensFile string, tlsCfg *tls.Config) error {
	tcp, ok := addr.(*net.TCPAddr)
	if ok && tcp.IP.IsLoopback() || o.insecure {
		return nil
	}
	switch {
	case tlsCfg == nil && tokens == nil:
		return fmt.Errorf("serve: %s is not a loopback address: give --tls-cert/--tls-key and create tokens (fleetq token create), or --insecure", o.listen)
	case tlsCfg == nil:
		return fmt.Errorf("serve: %s is not a loopback address: tokens would cross the network in clear; give --tls-cert/--tls-key, or --insecure", o.listen)
	case tokens == nil:
		return fmt.Errorf("serve: %s is not a loopback address and there are no tokens in %s: create one (fleetq token create NAME --role ROLE --tokens %s), or --insecure", o.listen, tokensFile, tokensFile)
	}
	return nil
}

func (o *serveOptions) tlsConfig() (*tls.Config, error) {
	if o.tlsCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %v", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if o.clientCA != "" {
		pem, err := os.ReadFile(o.clientCA)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-client-ca %s: no PEM certificates in it", o.clientCA)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}

func (o *serveOptions) logger(a *app) *slog.Logger {
	if o.logFormat == "text" {
		return slog.New(slog.NewTextHandler(a.stderr, nil))
	}
	return slog.New(slog.NewJSONHandler(a.stderr, nil))
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/agefmt"
	"github.com/fleetq/fleetq/internal/defs"
	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// Finding levels. ok and warn are not problems; stale and fail are, and
// make check exit 1.
const (
	levelOK    = "ok"
	levelWarn  = "warn"
	levelStale = "stale"
	levelFail  = "fail"
)

// finding is one line of fleetq check.
type finding struct {
	Level   string `json:"level"`
	Check   string `json:"check"`           // store, policy, defs, pass, source
	Where   string `json:"where,omitempty"` // FILE:LINE, a source KIND:NAME, a pass
	Message string `json:"message"`
}

func (f finding) problem() bool { return f.Level == levelStale || f.Level == levelFail }

type checkOptions struct {
	policy string
	defs   string
	now    string
	// staleGiven is set when --stale-after was given: it then judges
	// every source, instead of the policy's evidence ages.
	staleGiven bool
}

func (o *checkOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.policy, "policy", "", "policy file or directory (default $FLEETQ_POLICY, else fleetq.policy.toml or fleetq.policy.d/ beside the database)")
	fs.StringVar(&o.defs, "defs", "", "definitions file to check (default: the ones kept in the database, else those the newest pass was sealed with)")
	fs.StringVar(&o.now, "at", "", "judge ages as if the clock read `TIME` (RFC 3339; default now): check only reads, so another clock changes nothing")
}

func (o *checkOptions) Validate() error {
	if o.now != "" {
		if _, err := whatIfClock("--at", o.now); err != nil {
			return err
		}
	}
	return nil
}

func newCheckCommand(a *app) *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check [--policy FILE] [--defs FILE]",
		Short: "Check the database, the policy, the definitions and the freshness of the newest pass",
		Long: `Check everything a decision depends on, read-only, for cron and for an
operator's first minute. One line per finding:

  store    bbolt's page check and fleetq's invariants (every blob matches
           its hash and decodes, every record and audit entry its
           checksum, every pass's sets and attributes are whole, the host
           dictionary is sound); docs/storage.md says what is verified
           when, and what to do with a damaged file
  policy   the policy (--policy, $FLEETQ_POLICY, else fleetq.policy.toml
           or fleetq.policy.d/ beside the database) parses (a directory
           merges; 'fleetq policy check' runs this check alone), and every expression in it
           (unavailable, health, decommissioned, each archetype's
           clusters, rollout.health) compiles and evaluates against the
           newest pass; the attributes it names exist
  defs     the definitions (--defs FILE, else those kept in the database,
           else those the newest pass was sealed with) parse and evaluate
           against the newest pass
  pass     the newest pass is younger than the policy's max_evidence_age
           (what the verbs refuse past), else --stale-after
  source   every source of the newest pass was read within the policy's
           evidence age for its kind, else --stale-after; an explicit
           --stale-after judges every source by itself

Levels: ok; warn (worth a look, not a problem: a compared value no host
has while a near one exists, an attribute the policy names that the pass
lacks, no policy configured); stale and fail are problems. Stale counts:
a decision made on stale evidence is a dangerous one. Nothing is written;
the file is left byte-identical. After a store failure the other checks
are skipped (they would read the damaged data).

Examples:
  fleetq check
  fleetq check --policy examples/policy.toml --stale-after 6h
  fleetq check --format json | jq '.[] | select(.level != "ok")'
  fleetq check wave 1        # a rollout wave: see 'fleetq check wave --help'
  fleetq check windows       # every host has a maintenance window: see 'fleetq check windows --help'

Exit status of fleetq check: 0 when no finding is stale or fail (warnings
allowed), 1 otherwise (the problems are counted on stderr), 3 when the
database is locked; a missing database is an error (1).

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.staleGiven = cmd.Flags().Changed("stale-after")
			return runCheck(cmd.Context(), a, o, a.stdout)
		},
	}
	a.bind(cmd, o)
	cmd.AddCommand(newCheckWaveCommand(a), newCheckWindowsCommand(a), newCheckFreshnessCommand(a))
	return prints(cmd, findings(nil))
}

func runCheck(ctx context.Context, a *app, o *checkOptions, out io.Writer) error {
	now := time.Now().UTC()
	if o.now != "" {
		var err error
		if now, err = whatIfClock("--at", o.now); err != nil {
			return err
		}
	}
	fs, err := collectFindings(ctx, a, o, now)
	if err != nil {
		return err
	}
	if err := a.print(findings(fs)); err != nil {
		return err
	}
	if n := countProblems(fs); n > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("check: %s found", plural(n, "problem"))}
	}
	return nil
}

// collectFindings runs every check. Only an unusable database (missing,
// locked) is an error; everything else is a finding.
func collectFindings(ctx context.Context, a *app, o *checkOptions, now time.Time) ([]finding, error) {
	rep, err := store.CheckFile(a.context(), a.dbPath(), a.storeOptions(store.Options{}))
	if err != nil {
		return nil, err
	}
	fs := []finding{storeFinding(rep)}
	if rep.Err != nil {
		return append(fs, finding{levelWarn, "skipped", "", "policy, definitions and freshness are not checked on a damaged file"}), nil
	}
	pol, polFinding := loadCheckPolicy(a, o)
	defs, defsErr := loadDefinitions(o.defs)
	err = a.view(func(tx *store.Tx) error {
		p, err := tx.Pass(0)
		if errors.Is(err, store.ErrNoPasses) {
			fs = append(fs, finding{levelFail, "pass", "", err.Error()})
			return nil
		}
		if err != nil {
			return err
		}
		snap, err := tx.Snapshot(p.ID())
		if err != nil {
			return err
		}
		fs = append(fs, policyFindings(ctx, snap, pol, polFinding)...)
		fs = append(fs, defsFindings(ctx, tx, snap, defs, defsErr)...)
		fs = append(fs, freshnessFindings(p.Info(), now, freshnessLimits(pol, a.stale, o.staleGiven))...)
		return nil
	})
	return fs, err
}

func storeFinding(r *store.CheckReport) finding {
	if r.Err != nil {
		return finding{levelFail, "store", "", r.Err.Error()}
	}
	return finding{levelOK, "store", "", fmt.Sprintf("%s, %d hosts, %d blobs; bbolt check and fleetq invariants clean",
		passCount(r.Passes), r.Hosts, r.Blobs)}
}

// loadCheckPolicy resolves the policy as the action verbs do. No policy
// configured at all is a warning (the verbs will refuse); one that was
// named but is missing or invalid is a failure.
func loadCheckPolicy(a *app, o *checkOptions) (*policy.Policy, *finding) {
	path, err := policy.Find(o.policy, os.Getenv("FLEETQ_POLICY"), a.dbPath())
	if err != nil {
		return nil, &finding{levelWarn, "policy", "", err.Error()}
	}
	pol, err := policy.Load(path)
	if err != nil {
		where, msg := path, strings.TrimPrefix(err.Error(), path+": ")
		if m := pathLineRE.FindStringSubmatch(msg); m != nil && m[1] == path {
			where, msg = m[1]+":"+m[2], msg[len(m[0]):]
		}
		return nil, &finding{levelFail, "policy", where, msg}
	}
	return pol, nil
}

// pathLineRE is the FILE:LINE: in front of a single policy file's error.
var pathLineRE = regexp.MustCompile(`^(.+?):(\d+): `)

func policyFindings(ctx context.Context, snap fleet.Snapshot, pol *policy.Policy, loaded *finding) []finding {
	if pol == nil {
		return []finding{*loaded}
	}
	var fs []finding
	checks := pol.CheckExpressions(ctx, snap)
	bad := 0
	for _, c := range checks {
		where := fileLine(c.File, c.Line)
		switch {
		case c.Err != nil && c.Lenient:
			fs = append(fs, finding{levelWarn, "policy", where, exprLabel(c.Expr) + ": " + c.Err.Error() + " (the verbs read it as no host)"})
		case c.Err != nil:
			bad++
			fs = append(fs, finding{levelFail, "policy", where, exprLabel(c.Expr) + ": " + c.Err.Error()})
		}
		for _, w := range c.Warnings {
			fs = append(fs, finding{levelWarn, "policy", where, exprLabel(c.Expr) + ": " + w})
		}
	}
	pass := snap.Current()
	for _, r := range pol.AttrRefs() {
		if !slices.Contains(pass.AttrNames(), r.Name) {
			fs = append(fs, finding{levelWarn, "policy", fileLine(r.File, r.Line),
				fmt.Sprintf("%s = %q: no attribute %s in pass %d", r.Key, r.Name, r.Name, pass.ID())})
		}
	}
	if bad == 0 {
		fs = append([]finding{{levelOK, "policy", pol.Path, fmt.Sprintf("%s compile and evaluate against pass %d",
			plural(len(checks), "expression"), pass.ID())}}, fs...)
	}
	return fs
}

func exprLabel(e policy.Expr) string {
	label := fmt.Sprintf("%s = '%s'", e.Key, e.Text)
	switch {
	case e.Gate != "" && e.Of != "":
		label = fmt.Sprintf("archetype %s: gate %s: expr = '%s'", e.Of, e.Gate, e.Text)
	case e.Gate != "":
		label = fmt.Sprintf("cluster %s: gate %s: expr = '%s'", e.Cluster, e.Gate, e.Text)
	case e.Of != "":
		label = fmt.Sprintf("archetype %s: clusters = '%s'", e.Of, e.Text)
	}
	if e.Line == 0 {
		label += " (default or inline)"
	}
	return label
}

func fileLine(path string, line int) string {
	if line == 0 {
		return path
	}
	return fmt.Sprintf("%s:%d", path, line)
}

func defsFindings(ctx context.Context, tx *store.Tx, snap fleet.Snapshot, given *defs.File, loadErr error) []finding {
	if loadErr != nil {
		return []finding{{levelFail, "defs", "", loadErr.Error()}}
	}
	pass := snap.Current()
	d, err := defs.ToCheck(tx, pass.(*store.PassView), given)
	switch {
	case err != nil:
		return []finding{{levelFail, "defs", "", err.Error()}}
	case d == nil:
		return []finding{{levelOK, "defs", "", "no definitions kept or applied"}}
	}
	var fs []finding
	bad := 0
	for _, c := range defs.Check(&query.Env{Ctx: ctx, Snap: snap, Seed: uint64(pass.ID())}, d) {
		where := fileLine(d.From, c.Def.Line)
		if c.Err != nil {
			bad++
			fs = append(fs, finding{levelFail, "defs", where, c.Def.Name + ": " + c.Err.Error()})
		}
		for _, w := range c.Warnings {
			fs = append(fs, finding{levelWarn, "defs", where, c.Def.Name + ": " + w})
		}
	}
	if bad == 0 {
		from := d.From
		if d.Kept {
			from += " (kept in the database)"
		}
		fs = append([]finding{{levelOK, "defs", from, fmt.Sprintf("%s evaluate against pass %d", plural(len(d.Defs), "definition"), pass.ID())}}, fs...)
	}
	return fs
}

// freshnessLimits is the age limit of the pass ("" kind) and of a source
// of each kind: the policy's evidence ages, so check says stale exactly
// where the verbs refuse (invariant:stale-evidence); --stale-after when
// given or when there is no policy.
func freshnessLimits(pol *policy.Policy, stale time.Duration, given bool) func(kind string) time.Duration {
	if pol == nil || given {
		return func(string) time.Duration { return stale }
	}
	return func(kind string) time.Duration {
		if kind == "" {
			return pol.MaxEvidenceAge
		}
		return pol.EvidenceAgeOf(kind)
	}
}

// freshnessFindings judges the newest pass and each of its sources by
// age at now against its limit.
func freshnessFindings(p *store.PassInfo, now time.Time, limit func(kind string) time.Duration) []finding {
	r := freshnessOf(p, now, limit) // the rule of fleetq check freshness and the dashboard (cmd_check_freshness.go)
	fs := []finding{ageFinding("pass", fmt.Sprintf("%d", p.ID), "made", r.Created.age, r.Created.limit)}
	for _, s := range r.Sources {
		fs = append(fs, ageFinding("source", s.Source, carriedHow(s), s.age, s.limit))
	}
	return fs
}

func ageFinding(check, where, how string, age, limit time.Duration) finding {
	msg := fmt.Sprintf("%s %s ago (stale after %s)", how, agefmt.Age(age), agefmt.Age(limit))
	if age > limit {
		return finding{levelStale, check, where, msg}
	}
	return finding{levelOK, check, where, msg}
}

func countProblems(fs []finding) int {
	n := 0
	for _, f := range fs {
		if f.problem() {
			n++
		}
	}
	return n
}

// findings is the result of fleetq check: one finding per line.
type findings []finding

func (fs findings) jsonValue() any { return []finding(fs) }

func (fs findings) writeText(w *textWriter) {
	for _, f := range fs {
		fmt.Fprintln(w, f.line())
	}
}

func (fs findings) writeCSV(cw *csvWriter) {
	cw.Write([]string{"level", "check", "where", "message"})
	for _, f := range fs {
		cw.Write([]string{f.Level, f.Check, f.Where, f.Message})
	}
}

// line renders `LEVEL CHECK WHERE: MESSAGE`, problems in capitals so they
// stand out in a cron mail.
func (f finding) line() string {
	level := f.Level
	if level != levelOK {
		level = strings.ToUpper(level)
	}
	subject := f.Check
	if f.Where != "" {
		subject += " " + f.Where
	}
	return fmt.Sprintf("%-5s %s: %s", level, subject, firstLine(f.Message))
}

func passCount(n int) string {
	if n == 1 {
		return "1 pass"
	}
	return fmt.Sprintf("%d passes", n)
}

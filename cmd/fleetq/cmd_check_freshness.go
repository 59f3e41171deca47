package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/agefmt"
	"github.com/fleetq/fleetq/internal/store"
)

type checkFreshnessOptions struct {
	ledgerOptions
	at string
}

func (o *checkFreshnessOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.StringVar(&o.at, "at", "", "judge ages as if the clock read `TIME` (RFC 3339, or a duration from now): check only reads")
}

func (o *checkFreshnessOptions) Validate() error {
	if o.at != "" {
		if _, err := whatIfClock("--at", o.at); err != nil {
			return err
		}
	}
	return nil
}

func newCheckFreshnessCommand(a *app) *cobra.Command {
	o := &checkFreshnessOptions{}
	cmd := &cobra.Command{
		Use:   "freshness [--policy FILE] [--at TIME]",
		Short: "Check the age of the newest pass and of each of its sources against the policy's evidence ages",
		Long: `Judge the newest pass and every source it holds by age, as the action
verbs judge their evidence (invariant:stale-evidence) and as 'fleetq
check' does in its pass and source lines: the pass is stale when it was
made longer ago than the policy's max_evidence_age, a source when it was
read longer ago than the policy's [evidence_age] for its kind (at least
max_evidence_age); without a policy, the defaults the verbs use (2h).
Only the pass's record is read, never its sets: it is what the
dashboard's overview marks stale. Nothing is written.

Exit status: 0 when nothing is stale, 4 when the pass or a source is
stale (as a failed assert), 1 on an error.

Examples:
  fleetq check freshness
  fleetq check freshness --format json | jq -r '.sources[] | select(.stale) | .source'
  fleetq check freshness --at 6h      # which sources will be stale in six hours

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheckFreshness(a, o)
		},
	}
	a.bind(cmd, o)
	return prints(cmd, freshnessReport{})
}

// freshnessReport is the result of fleetq check freshness.
type freshnessReport struct {
	Pass    int64         `json:"pass"`
	Now     time.Time     `json:"now"`
	Created evidenceAge   `json:"created"`
	Sources []evidenceAge `json:"sources"`
}

// evidenceAge is one input judged by age: the pass ("pass N") or a
// source (KIND:NAME).
type evidenceAge struct {
	Source      string    `json:"source"`
	Kind        string    `json:"kind,omitempty"`
	Name        string    `json:"name,omitempty"`
	At          time.Time `json:"at"` // made (the pass) or read (a source)
	Age         string    `json:"age"`
	AgeSec      int64     `json:"age_seconds"`
	MaxAge      string    `json:"max_age"`
	MaxAgeSec   int64     `json:"max_age_seconds"`
	Stale       bool      `json:"stale"`
	CarriedFrom int64     `json:"carried_from,omitempty"` // the pass that read it, when an older one
	ReadFailed  string    `json:"read_failed,omitempty"`  // why fleetq collect could not read it for this pass
	age, limit  time.Duration
}

func runCheckFreshness(a *app, o *checkFreshnessOptions) error {
	pol, err := o.policyOrDefault(a)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if o.at != "" {
		if now, err = whatIfClock("--at", o.at); err != nil {
			return err
		}
	}
	var info *store.PassInfo
	if err := a.view(func(tx *store.Tx) error {
		p, err := tx.Pass(0)
		if err != nil {
			return err
		}
		info = p.Info()
		return nil
	}); err != nil {
		return err
	}
	r := freshnessOf(info, now, freshnessLimits(pol, 0, false))
	if err := a.print(r); err != nil {
		return err
	}
	if n := r.stale(); n > 0 {
		return &exitError{code: exitAssert, err: fmt.Errorf("check freshness: %s stale", plural(n, "input")), silent: true}
	}
	return nil
}

// freshnessOf judges pass p and each of its sources by age at now
// against limit (freshnessLimits): the one rule fleetq check's pass and
// source lines and the dashboard's overview apply.
func freshnessOf(p *store.PassInfo, now time.Time, limit func(kind string) time.Duration) freshnessReport {
	r := freshnessReport{Pass: p.ID, Now: now, Created: judgeAge(fmt.Sprintf("pass %d", p.ID), p.Created, now, limit(""))}
	for _, s := range p.Sources {
		e := judgeAge(s.Kind+":"+s.Name, s.ReadAt, now, limit(s.Kind))
		e.Kind, e.Name = s.Kind, s.Name
		if s.Carried(p.ID) {
			e.CarriedFrom = s.ReadBy
			e.ReadFailed = readFailure(p, s.Kind, s.Name)
		}
		r.Sources = append(r.Sources, e)
	}
	return r
}

// readFailure is why the collect that made p could not read source
// kind:name ("" when it did not try: an ingest carries what it is not
// given).
func readFailure(p *store.PassInfo, kind, name string) string {
	if p.Log == nil {
		return ""
	}
	for _, f := range p.Log.Failures {
		if f.Kind == kind && f.Name == name {
			return f.Reason
		}
	}
	return ""
}

func judgeAge(source string, at, now time.Time, limit time.Duration) evidenceAge {
	age := now.Sub(at)
	return evidenceAge{Source: source, At: at, Age: agefmt.Age(age), AgeSec: int64(age.Seconds()),
		MaxAge: agefmt.Age(limit), MaxAgeSec: int64(limit.Seconds()), Stale: age > limit, age: age, limit: limit}
}

func (r freshnessReport) stale() int {
	n := 0
	for _, e := range append([]evidenceAge{r.Created}, r.Sources...) {
		if e.Stale {
			n++
		}
	}
	return n
}

func (r freshnessReport) jsonValue() any { return r }

func (r freshnessReport) writeText(w *textWriter) {
	line := func(e evidenceAge, how string) {
		level := "ok   "
		if e.Stale {
			level = "STALE"
		}
		fmt.Fprintf(w, "%s %s: %s %s ago (stale after %s)\n", level, e.Source, how, e.Age, e.MaxAge)
	}
	line(r.Created, "made")
	for _, e := range r.Sources {
		line(e, carriedHow(e))
	}
}

// carriedHow says how a source's snapshot came to the pass: read, or
// carried from an older pass (and why, when a collect failed to read it).
func carriedHow(e evidenceAge) string {
	switch {
	case e.CarriedFrom == 0:
		return "read"
	case e.ReadFailed != "":
		return fmt.Sprintf("carried from pass %d (this pass's read failed: %s), read", e.CarriedFrom, e.ReadFailed)
	}
	return fmt.Sprintf("carried from pass %d, read", e.CarriedFrom)
}

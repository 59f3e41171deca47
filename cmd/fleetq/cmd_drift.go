package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/drift"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

// driftShown is how many drifted hosts per attribute the text lists
// without --all.
const driftShown = 20

type driftOptions struct {
	policy string
	pass   int64
	save   bool
	check  bool
	all    bool
}

func (o *driftOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.policy, "policy", "", "policy file or directory (default $FLEETQ_POLICY, else fleetq.policy.toml or fleetq.policy.d/ beside the database)")
	fs.Int64Var(&o.pass, "pass", 0, "compare in pass N (default: the newest)")
	fs.BoolVar(&o.save, "save", false, "store the sets drift.ATTR, drift.ATTR.safe, drift.ATTR.risky and drift.ATTR.unobserved in the pass")
	fs.BoolVar(&o.check, "check", false, "exit 4 when any drift is risky (for cron and CI)")
	fs.BoolVar(&o.all, "all", false, fmt.Sprintf("list every drifted host (text lists %d per attribute)", driftShown))
}

// Validate accepts any pass id and policy path: they are checked when
// read.
func (o *driftOptions) Validate() error { return nil }

func newDriftCommand(a *app) *cobra.Command {
	o := &driftOptions{}
	cmd := &cobra.Command{
		Use:   "drift [ATTR…]",
		Short: "Compare declared attributes with what the observers report, drifts classed safe or risky",
		Long: `Compare each declared attribute the policy's [drift] section maps (or
only the ATTRs given) with the attributes observers report it as, in the
newest pass (or --pass N):

  kernel = ["node_uname.release", "k8s.kernel"]

Every host that declares the attribute, or that an observer reports it
for, is in one of: agree (every observer that reports it agrees),
drifted (an observer reports another value), unobserved (no observer
reports it), undeclared (observed, but the host declares none). A host
whose observers disagree with each other is drifted and risky (rule
observers-disagree). Each other drift is classed by the first
[[drift.rule]] that matches it (attribute, hosts expression, declared
and observed value), and risky when none does: safe drifts are the ones
the executor may remediate (a host still on the previous kernel after an
update, which a reboot fixes); risky ones go to a person.

The text prints the counts first, then the drifted hosts (risky first,
at most 20 per attribute; --all lists every one) with both values and
the rule that classed each. --format json prints every host; --format
csv one row per drifted host and observer that reports it.

Nothing is written unless --save: then the sets drift.ATTR (the drifted
hosts), drift.ATTR.safe, drift.ATTR.risky and drift.ATTR.unobserved are
stored in the pass (replacing earlier ones; the sources' data stays as
it was), for queries and for a verb.

Examples:
  fleetq drift
  fleetq drift kernel --all
  fleetq drift --save && fleetq reboot drift.kernel.safe --reason "boot the declared kernel"
  fleetq drift --check --format json > drift.json   # exit 4: a risky drift

Exit status:
  0  the report was printed (drift is a fact, not an error)
  1  error: no [drift] in the policy, an ATTR it does not map, a bad
     policy, a rule's hosts expression that does not evaluate
  3  --save: the database is locked by another writer (after --timeout)
  4  --check was given and some drift is risky
`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDrift(cmd.Context(), a, o, args, a.stdout)
		},
	}
	a.bind(cmd, o)
	return prints(cmd, (*driftResult)(nil))
}

func runDrift(ctx context.Context, a *app, o *driftOptions, attrs []string, _ io.Writer) error {
	path, err := policy.Find(o.policy, os.Getenv("FLEETQ_POLICY"), a.dbPath())
	if err != nil {
		return err
	}
	pol, err := policy.Load(path)
	if err != nil {
		return err
	}
	res := &driftResult{pol: pol, all: o.all}
	fn := func(tx *store.Tx) error {
		snap, err := tx.Snapshot(o.pass)
		if err != nil {
			return err
		}
		rep, err := drift.Compute(ctx, snap, &pol.Drift, attrs)
		if err != nil {
			return locateRuleErr(pol, err)
		}
		rep.Detach() // printed after the transaction ends
		res.rep = rep
		if o.save {
			res.saved = driftSets(rep)
			return tx.SaveSets(rep.Pass, res.saved)
		}
		return nil
	}
	if err := driftTx(a, o.save, fn); err != nil {
		return err
	}
	if err := a.print(res); err != nil {
		return err
	}
	if n := res.risky(); o.check && n > 0 {
		return &exitError{code: exitAssert, err: fmt.Errorf("drift: %s", plural(int(n), "risky drift"))}
	}
	return nil
}

// driftTx runs fn in a read transaction, or in one write transaction
// with --save, so what is saved is exactly what was reported.
func driftTx(a *app, save bool, fn func(*store.Tx) error) error {
	if !save {
		return a.view(fn)
	}
	db, err := a.openWrite(false)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Update(fn)
}

// locateRuleErr names the file and line of a rule whose hosts
// expression does not evaluate.
func locateRuleErr(pol *policy.Policy, err error) error {
	var re *drift.RuleError
	if !errors.As(err, &re) {
		return err
	}
	for _, e := range pol.Expressions() {
		if e.Key == "drift.rule "+re.Rule+": hosts" {
			return fmt.Errorf("%s: %w", fileLine(e.File, e.Line), err)
		}
	}
	return err
}

// driftSets are the sets --save stores, by name.
func driftSets(rep *drift.Report) map[string]*roaring.Bitmap {
	out := map[string]*roaring.Bitmap{}
	for _, a := range rep.Attrs {
		n := "drift." + a.Declared
		out[n], out[n+".safe"], out[n+".risky"], out[n+".unobserved"] = a.Drifted, a.Safe, a.Risky, a.Unobserved
	}
	return out
}

// driftResult renders a drift.Report.
type driftResult struct {
	rep   *drift.Report
	pol   *policy.Policy
	saved map[string]*roaring.Bitmap
	all   bool
}

func (r *driftResult) risky() uint64 {
	var n uint64
	for _, a := range r.rep.Attrs {
		n += a.Risky.GetCardinality()
	}
	return n
}

// savedNames are the sets stored, sorted (nil when none).
func (r *driftResult) savedNames() []string {
	if r.saved == nil {
		return nil
	}
	names := make([]string, 0, len(r.saved))
	for n := range r.saved {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ruleCount is how many drifted hosts one rule classed.
type ruleCount struct {
	Rule  string `json:"rule"`
	Class string `json:"class"`
	Hosts int    `json:"hosts"`
}

// ruleCounts counts the drifted hosts per rule, in policy order, then
// observers-disagree and default.
func (r *driftResult) ruleCounts(a *drift.Attr) []ruleCount {
	n := map[string]int{}
	for _, h := range a.Hosts {
		n[h.Rule]++
	}
	var out []ruleCount
	for _, rule := range r.pol.Drift.Rules {
		if n[rule.Name] > 0 {
			out = append(out, ruleCount{rule.Name, rule.Class, n[rule.Name]})
		}
	}
	for _, name := range []string{drift.ConflictRule, policy.DriftDefaultRule} {
		if n[name] > 0 {
			out = append(out, ruleCount{name, policy.DriftRisky, n[name]})
		}
	}
	return out
}

func (r *driftResult) writeText(w *textWriter) {
	fmt.Fprintf(w, "drift in pass %d (policy %s, %s)\n", r.rep.Pass, r.pol.Path, r.pol.Short())
	for _, a := range r.rep.Attrs {
		fmt.Fprintln(w)
		r.writeAttr(w, a)
	}
	fmt.Fprintln(w)
	if names := r.savedNames(); names != nil {
		fmt.Fprintf(w, "saved in pass %d: %s\n", r.rep.Pass, strings.Join(names, ", "))
	} else {
		fmt.Fprintf(w, "nothing saved (--save stores drift.ATTR, drift.ATTR.safe, drift.ATTR.risky, drift.ATTR.unobserved in pass %d)\n", r.rep.Pass)
	}
}

func (r *driftResult) writeAttr(w *textWriter, a *drift.Attr) {
	obs := make([]string, len(a.Observers))
	for i, o := range a.Observers {
		obs[i] = fmt.Sprintf("%s (%d hosts)", o.Attr, o.Hosts)
	}
	fmt.Fprintf(w, "%s: observed as %s\n", a.Declared, strings.Join(obs, ", "))
	for _, n := range a.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	drifted := a.Drifted.GetCardinality()
	counts := []uint64{a.Agree.GetCardinality(), drifted, a.Unobserved.GetCardinality(), a.Undeclared.GetCardinality()}
	width := 0
	for _, n := range counts {
		width = max(width, len(strconv.FormatUint(n, 10)))
	}
	for i, label := range []string{"agree", "drifted", "unobserved", "undeclared"} {
		fmt.Fprintf(w, "  %-10s  %*d", label, width, counts[i])
		if i == 1 {
			fmt.Fprintf(w, "  (safe %d, risky %d)", a.Safe.GetCardinality(), a.Risky.GetCardinality())
		}
		fmt.Fprintln(w)
	}
	if drifted == 0 {
		return
	}
	rows := [][]string{}
	for _, c := range r.ruleCounts(a) {
		rows = append(rows, []string{"  " + c.Rule, c.Class, strconv.Itoa(c.Hosts)})
	}
	fmt.Fprintln(w)
	w.table([]string{"  RULE", "CLASS", "HOSTS"}, rows)
	fmt.Fprintln(w)
	r.writeHosts(w, a)
}

// writeHosts lists the drifted hosts, risky first, bounded unless --all.
func (r *driftResult) writeHosts(w *textWriter, a *drift.Attr) {
	hosts := slices.Clone(a.Hosts)
	slices.SortStableFunc(hosts, func(x, y drift.Host) int {
		return boolInt(x.Class == policy.DriftSafe) - boolInt(y.Class == policy.DriftSafe)
	})
	shown := len(hosts)
	if !r.all {
		shown = min(shown, driftShown)
	}
	rows := make([][]string, shown)
	for i, h := range hosts[:shown] {
		rows[i] = []string{"  " + h.Host, h.Class, h.Rule, h.Declared, observedText(h)}
	}
	w.table([]string{"  HOST", "CLASS", "RULE", "DECLARED", "OBSERVED"}, rows)
	if shown < len(hosts) {
		where := "--save stores them as drift." + a.Declared
		if r.saved != nil {
			where = "the set drift." + a.Declared + " holds them"
		}
		fmt.Fprintf(w, "  … %d of %d drifted hosts shown (--all lists every one; %s)\n", shown, len(hosts), where)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// observedText is "VALUE (ATTR)" for each observer that reports the host.
func observedText(h drift.Host) string {
	parts := make([]string, len(h.Observed))
	for i, o := range h.Observed {
		parts[i] = o.Value + " (" + o.Attr + ")"
	}
	return strings.Join(parts, ", ")
}

// The JSON of fleetq drift (docs/json.md).
type (
	driftJSON struct {
		Pass       int64           `json:"pass"`
		Policy     string          `json:"policy"`
		PolicyHash string          `json:"policy_hash"`
		Attrs      []driftAttrJSON `json:"attrs"`
		Saved      []string        `json:"saved"`
	}
	driftAttrJSON struct {
		Declared   string           `json:"declared"`
		Observers  []drift.Observer `json:"observers"`
		Agree      uint64           `json:"agree"`
		Drifted    uint64           `json:"drifted"`
		Safe       uint64           `json:"safe"`
		Risky      uint64           `json:"risky"`
		Unobserved uint64           `json:"unobserved"`
		Undeclared uint64           `json:"undeclared"`
		Rules      []ruleCount      `json:"rules"`
		Hosts      []driftHostJSON  `json:"hosts"`
		Notes      []string         `json:"notes"`
	}
	driftHostJSON struct {
		Host     string              `json:"host"`
		Declared string              `json:"declared"`
		Observed []drift.Observation `json:"observed"`
		Class    string              `json:"class"`
		Rule     string              `json:"rule"`
	}
)

func (r *driftResult) jsonValue() any {
	out := driftJSON{Pass: r.rep.Pass, Policy: r.pol.Path, PolicyHash: r.pol.Hash, Attrs: []driftAttrJSON{}, Saved: r.savedNames()}
	for _, a := range r.rep.Attrs {
		j := driftAttrJSON{Declared: a.Declared, Observers: a.Observers, Agree: a.Agree.GetCardinality(),
			Drifted: a.Drifted.GetCardinality(), Safe: a.Safe.GetCardinality(), Risky: a.Risky.GetCardinality(),
			Unobserved: a.Unobserved.GetCardinality(), Undeclared: a.Undeclared.GetCardinality(),
			Rules: r.ruleCounts(a), Hosts: []driftHostJSON{}, Notes: a.Notes}
		if j.Rules == nil {
			j.Rules = []ruleCount{}
		}
		if j.Notes == nil {
			j.Notes = []string{}
		}
		for _, h := range a.Hosts {
			j.Hosts = append(j.Hosts, driftHostJSON{h.Host, h.Declared, h.Observed, h.Class, h.Rule})
		}
		out.Attrs = append(out.Attrs, j)
	}
	return out
}

var driftCSVHeader = []string{"attr", "host", "class", "rule", "declared", "observer", "observed"}

// writeCSV writes one row per drifted host and observer that reports it.
func (r *driftResult) writeCSV(cw *csvWriter) {
	cw.Write(csvHeader(driftCSVHeader))
	for _, a := range r.rep.Attrs {
		for _, h := range a.Hosts {
			for _, o := range h.Observed {
				cw.Write([]string{a.Declared, h.Host, h.Class, h.Rule, h.Declared, o.Attr, o.Value})
			}
		}
	}
}

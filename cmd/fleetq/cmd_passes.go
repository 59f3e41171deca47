package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/store"
)

func newPassesCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "passes",
		Short: "List passes with their sources, counts and ages",
		Long: `List every pass, oldest first: id, creation time, label, host count, and
each source it holds with its record count. A source carried forward from
an earlier pass shows where it was read and how old it was when this pass
was made.

Examples:
  fleetq passes
  fleetq passes --format json

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPasses(a) },
	}
}

func runPasses(a *app) error {
	var passes []store.PassInfo
	var damaged []store.DamagedPass
	if err := a.view(func(tx *store.Tx) error {
		passes, damaged = tx.ScanPasses()
		return nil
	}); err != nil {
		return err
	}
	if err := listPasses(a, passes); err != nil {
		return err
	}
	return damagedPasses(damaged, len(passes))
}

// damagedPasses is the error for passes whose records are damaged, listed
// after the readable ones so one damaged record hides nothing else.
func damagedPasses(damaged []store.DamagedPass, readable int) error {
	if len(damaged) == 0 {
		return nil
	}
	what := make([]string, len(damaged))
	for i, d := range damaged {
		what[i] = d.Err.Error()
	}
	return fmt.Errorf("%w: %d pass record(s) damaged, the %d readable listed (%s)", store.ErrCorrupt, len(damaged), readable, strings.Join(what, "; "))
}

func listPasses(a *app, passes []store.PassInfo) error {
	w, flush := a.out()
	switch a.format {
	case "json":
		if passes == nil {
			passes = []store.PassInfo{}
		}
		if err := writeJSON(w, passes); err != nil {
			return err
		}
	default:
		rows := make([][]string, len(passes))
		for i, p := range passes {
			rows[i] = []string{strconv.FormatInt(p.ID, 10), p.Created.Format("2006-01-02T15:04:05Z"), p.Label, strconv.Itoa(p.Hosts), sourcesSummary(p)}
		}
		if err := a.writeRows(w, []string{"PASS", "CREATED", "LABEL", "HOSTS", "SOURCES"}, rows); err != nil {
			return err
		}
	}
	return flush()
}

func sourcesSummary(p store.PassInfo) string {
	parts := make([]string, len(p.Sources))
	for i, s := range p.Sources {
		part := fmt.Sprintf("%s:%s(%d)", s.Kind, s.Name, s.Hosts)
		if s.Carried(p.ID) {
			part += fmt.Sprintf("[from %d, %s old]", s.ReadBy, store.AgeString(p.Created.Sub(s.ReadAt)))
		}
		parts[i] = part
	}
	return strings.Join(parts, " ")
}

type setsOptions struct{ pass int64 }

func newSetsCommand(a *app) *cobra.Command {
	o := &setsOptions{}
	cmd := &cobra.Command{
		Use:   "sets [--pass N]",
		Short: "List the named sets of a pass with their sizes and origins",
		Long: `List every named set of the newest pass (or --pass N): the source host
sets (inventory, hdfs, …), imported host lists, bool attributes (their true
hosts) and stored sets, with host counts and where each comes from.

Examples:
  fleetq sets
  fleetq sets --pass 2 --format json

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSets(a, o) },
	}
	cmd.Flags().Int64Var(&o.pass, "pass", 0, "list the sets of pass N (default: the newest)")
	return cmd
}

type setRow struct {
	Name   string `json:"name"`
	Hosts  uint64 `json:"hosts"`
	Origin string `json:"origin"`
}

func runSets(a *app, o *setsOptions) error {
	var rows []setRow
	err := a.view(func(tx *store.Tx) error {
		p, err := tx.Pass(o.pass)
		if err != nil {
			return err
		}
		for _, name := range p.SetNames() {
			bm, _, err := p.Set(name)
			if err != nil {
				return err
			}
			rows = append(rows, setRow{name, bm.GetCardinality(), p.Origin(name)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	w, flush := a.out()
	if a.format == "json" {
		if err := writeJSON(w, rows); err != nil {
			return err
		}
		return flush()
	}
	table := make([][]string, len(rows))
	for i, r := range rows {
		table[i] = []string{r.Name, strconv.FormatUint(r.Hosts, 10), r.Origin}
	}
	if err := a.writeRows(w, []string{"SET", "HOSTS", "FROM"}, table); err != nil {
		return err
	}
	return flush()
}

type hostOptions struct{ pass int64 }

func newHostCommand(a *app) *cobra.Command {
	o := &hostOptions{}
	cmd := &cobra.Command{
		Use:   "host NAME",
		Short: "Show every attribute of one host and the sets it is in",
		Long: `Show one host in the newest pass (or --pass N): each attribute with its
value, type and source, and every named set that contains the host.

Examples:
  fleetq host dn00042.smf1
  fleetq host --format json dn00042.smf1

` + exitCodesHelp,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeHostArg,
		RunE:              func(cmd *cobra.Command, args []string) error { return runHost(a, o, args[0]) },
	}
	cmd.Flags().Int64Var(&o.pass, "pass", 0, "look in pass N (default: the newest)")
	return cmd
}

type hostView struct {
	Host  string      `json:"host"`
	Pass  int64       `json:"pass"`
	Attrs []attrValue `json:"attributes"`
	Sets  []string    `json:"sets"`
}

type attrValue struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

func runHost(a *app, o *hostOptions, name string) error {
	var hv hostView
	err := a.view(func(tx *store.Tx) error {
		p, err := tx.Pass(o.pass)
		if err != nil {
			return err
		}
		v, err := lookupHost(tx, p, hostkey.Normalize(name))
		hv = v
		return err
	})
	if err != nil {
		return err
	}
	w, flush := a.out()
	if a.format == "json" {
		if err := writeJSON(w, hv); err != nil {
			return err
		}
		return flush()
	}
	fmt.Fprintf(w, "host %s in pass %d\n\n", hv.Host, hv.Pass)
	rows := make([][]string, len(hv.Attrs))
	for i, at := range hv.Attrs {
		rows[i] = []string{at.Name, at.Value, at.Type, at.Source}
	}
	if err := a.writeRows(w, []string{"ATTRIBUTE", "VALUE", "TYPE", "FROM"}, rows); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nsets: %s\n", strings.Join(hv.Sets, " "))
	return flush()
}

func lookupHost(tx *store.Tx, p *store.PassView, name string) (hostView, error) {
	hv := hostView{Host: name, Pass: p.ID(), Sets: []string{}}
	ids, missing := tx.Hosts().Lookup([]string{name})
	if len(missing) > 0 || !p.All().Contains(ids.Minimum()) {
		return hv, fmt.Errorf("host %q is not in pass %d", name, p.ID())
	}
	id := ids.Minimum()
	for _, an := range p.AttrNames() {
		at, _, err := p.Attr(an)
		if err != nil {
			return hv, err
		}
		if v, ok := at.Value(id); ok {
			hv.Attrs = append(hv.Attrs, attrValue{an, at.Type().String(), v.String(), shortOrigin(p.Origin(an))})
		}
	}
	for _, sn := range p.SetNames() {
		bm, ok, err := p.Set(sn)
		if err != nil {
			return hv, err
		}
		if ok && bm.Contains(id) {
			hv.Sets = append(hv.Sets, sn)
		}
	}
	sort.Strings(hv.Sets)
	return hv, nil
}

// shortOrigin keeps "source KIND:PATH" of a long origin.
func shortOrigin(o string) string {
	f := strings.Fields(o)
	if len(f) >= 2 && f[0] == "source" {
		return f[1]
	}
	return o
}

package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/store"
)

type hostOptions struct{ pass int64 }

func (o *hostOptions) AddFlags(fs *pflag.FlagSet) {
	fs.Int64Var(&o.pass, "pass", 0, "look in pass N (default: the newest)")
}

// Validate accepts any pass id: one the database lacks is an error when
// it is read.
func (o *hostOptions) Validate() error { return nil }

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
	a.bind(cmd, o)
	return prints(cmd, (*hostView)(nil))
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
	return a.print(&hv)
}

func (hv *hostView) jsonValue() any { return hv }

func (hv *hostView) writeText(w *textWriter) {
	fmt.Fprintf(w, "host %s in pass %d\n\n", hv.Host, hv.Pass)
	rows := make([][]string, len(hv.Attrs))
	for i, at := range hv.Attrs {
		rows[i] = []string{at.Name, at.Value, at.Type, at.Source}
	}
	w.table([]string{"ATTRIBUTE", "VALUE", "TYPE", "FROM"}, rows)
	fmt.Fprintf(w, "\nsets: %s\n", strings.Join(hv.Sets, " "))
}

// lookupHost reads the host's value of each attribute in place, touching
// only the chunks of each blob that lead to it (store.PassView.HostValue).
func lookupHost(tx *store.Tx, p *store.PassView, name string) (hostView, error) {
	hv := hostView{Host: name, Pass: p.ID(), Sets: []string{}}
	ids, missing := tx.Hosts().Lookup([]string{name})
	if len(missing) > 0 || !p.All().Contains(ids.Minimum()) {
		return hv, fmt.Errorf("host %q is not in pass %d", name, p.ID())
	}
	id := ids.Minimum()
	for _, an := range p.AttrNames() {
		v, ok, err := p.HostValue(an, id)
		if err != nil {
			return hv, err
		}
		if ok {
			hv.Attrs = append(hv.Attrs, attrValue{an, v.Type.String(), v.String(), shortOrigin(p.Origin(an))})
		}
	}
	for _, sn := range p.SetNames() {
		in, err := p.SetContains(sn, id)
		if err != nil {
			return hv, err
		}
		if in {
			hv.Sets = append(hv.Sets, sn)
		}
	}
	sort.Strings(hv.Sets)
	return hv, nil
}

// shortOrigin keeps "KIND:PATH" of an origin "source KIND:PATH read
// TIME by pass N …"; the path of a collected command or URL may hold
// spaces ("hdfs:command: hdfs dfsadmin -report").
func shortOrigin(o string) string {
	rest, ok := strings.CutPrefix(o, "source ")
	if !ok {
		return o
	}
	if i := strings.LastIndex(rest, " read "); i >= 0 {
		return rest[:i]
	}
	return rest
}

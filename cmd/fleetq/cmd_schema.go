package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/store"
)

// schemaExamples is how many example values each attribute shows.
const schemaExamples = 3

type schemaOptions struct {
	pass int64
}

func (o *schemaOptions) AddFlags(fs *pflag.FlagSet) {
	fs.Int64Var(&o.pass, "pass", 0, "describe pass N (default: the newest)")
}

// Validate accepts any pass id: one the database lacks is an error when
// it is read.
func (o *schemaOptions) Validate() error { return nil }

func newSchemaCommand(a *app) *cobra.Command {
	o := &schemaOptions{}
	cmd := &cobra.Command{
		Use:   "schema [--pass N]",
		Short: "List every attribute of a pass with its type, source, coverage and example values",
		Long: `List every attribute of the newest pass (or --pass N), in name order:
its type (string, number, bool, time), the source it comes from
(KIND:NAME; when two sources give one name, the one queries read), how
many hosts have a value, how many distinct values there are, and up to
three example values, most common first (equal counts in value order),
each with its host count.

The formats are text, json and csv; folded is refused (it is for host
sets). In the REPL, :schema shows the same for the session's pass.

Examples:
  fleetq schema
  fleetq schema --pass 2 --format json | jq '.attributes[] | select(.distinct > 100)'
  fleetq schema --format csv > attributes.csv

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSchema(cmd.Context(), a, o)
		},
	}
	a.bind(cmd, o)
	return prints(cmd, (*schemaView)(nil))
}

// schemaView is the rendered result, the same in JSON everywhere.
type schemaView struct {
	Pass       int64        `json:"pass"`
	Attributes []schemaAttr `json:"attributes"`
}

type schemaAttr struct {
	Name     string          `json:"name"`
	Type     string          `json:"type"`
	Source   string          `json:"source"`
	Hosts    uint64          `json:"hosts"`
	Distinct int             `json:"distinct"`
	Examples []schemaExample `json:"examples"`
}

type schemaExample struct {
	Value string `json:"value"`
	Hosts uint64 `json:"hosts"`
}

func runSchema(_ context.Context, a *app, o *schemaOptions) error {
	var sv schemaView
	err := a.view(func(tx *store.Tx) error {
		p, err := tx.Pass(o.pass)
		if err != nil {
			return err
		}
		sums, err := p.Schema(schemaExamples)
		sv = newSchemaView(p.ID(), sums)
		return err
	})
	if err != nil {
		return err
	}
	return a.print(&sv)
}

func newSchemaView(pass int64, sums []store.AttrSummary) schemaView {
	sv := schemaView{Pass: pass, Attributes: make([]schemaAttr, len(sums))}
	for i, s := range sums {
		at := schemaAttr{Name: s.Name, Type: s.Type.String(), Source: s.SourceKind + ":" + s.SourceName,
			Hosts: s.Hosts, Distinct: s.Distinct, Examples: make([]schemaExample, len(s.Examples))}
		for j, e := range s.Examples {
			at.Examples[j] = schemaExample{e.Value.String(), e.Hosts}
		}
		sv.Attributes[i] = at
	}
	return sv
}

var schemaHeader = []string{"ATTRIBUTE", "TYPE", "SOURCE", "HOSTS", "DISTINCT", "EXAMPLES"}

func (sv *schemaView) rows() [][]string {
	rows := make([][]string, len(sv.Attributes))
	for i, at := range sv.Attributes {
		rows[i] = []string{at.Name, at.Type, at.Source, strconv.FormatUint(at.Hosts, 10), strconv.Itoa(at.Distinct), examplesCell(at.Examples)}
	}
	return rows
}

func (sv *schemaView) writeText(w *textWriter) { w.table(schemaHeader, sv.rows()) }

func (sv *schemaView) writeCSV(cw *csvWriter) {
	cw.Write(csvHeader(schemaHeader))
	cw.WriteAll(sv.rows())
}

func (sv *schemaView) jsonValue() any { return sv }

// examplesCell renders examples as `a (3), b (1)`; a value is quoted when
// it is empty or holds the separator, so the cell reads back unambiguously.
func examplesCell(es []schemaExample) string {
	parts := make([]string, len(es))
	for i, e := range es {
		v := e.Value
		if v == "" || strings.ContainsAny(v, ",() \"") {
			v = strconv.Quote(v)
		}
		parts[i] = fmt.Sprintf("%s (%d)", v, e.Hosts)
	}
	return strings.Join(parts, ", ")
}

package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

func newWhyCommand(a *app) *cobra.Command {
	o := &queryOptions{}
	cmd := &cobra.Command{
		Use:   "why HOST EXPR",
		Short: "Tell which term brought a host into a result and which removed it",
		Long: `Evaluate EXPR and, for HOST, show every node of the expression tree with
whether the host is in it, the host's value of each attribute tested, and
the pass and source behind each set; then one line saying which term
decided: the question every incident review asks.

Examples:
  fleetq why dn00412.smf1 'all - hadoop_exclude & responsive & puppet_ok'
  fleetq why --pass 2 dn00412.smf1 candidate_rekick

` + exitCodesHelp,
		Args:              exprArgs(2),
		ValidArgsFunction: a.completeWhyArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWhy(cmd, a, o, args[0], args[1])
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runWhy(cmd *cobra.Command, a *app, o *queryOptions, host, text string) error {
	host = hostkey.Normalize(host)
	var rep *query.WhyReport
	err := a.view(func(tx *store.Tx) error {
		env, err := newEnv(cmd.Context(), tx, o)
		if err != nil {
			return err
		}
		rep, err = whyIn(tx, env, host, text)
		return err
	})
	if err != nil {
		return err
	}
	if a.format == "json" {
		return writeJSON(a.stdout, rep)
	}
	w, flush := a.out()
	writeWhy(w, rep)
	return flush()
}

// treePrefix draws the branch in front of step i of a depth-first list.
func treePrefix(steps []query.WhyStep, i int) string {
	s := steps[i]
	if s.Depth == 0 {
		return ""
	}
	prefix := ""
	for d := 1; d < s.Depth; d++ {
		if ancestorHasMore(steps, i, d) {
			prefix += "│  "
		} else {
			prefix += "   "
		}
	}
	if s.Last {
		return prefix + "└─ "
	}
	return prefix + "├─ "
}

// ancestorHasMore reports whether the ancestor of step i at depth d is
// followed by a sibling.
func ancestorHasMore(steps []query.WhyStep, i, d int) bool {
	for j := i - 1; j >= 0; j-- {
		if steps[j].Depth == d {
			return !steps[j].Last
		}
	}
	return false
}

// writeWhy prints a why report: the tree with membership, then the verdict.
func writeWhy(w io.Writer, rep *query.WhyReport) {
	rows := make([][]string, len(rep.Steps))
	for i, st := range rep.Steps {
		in := "no"
		if st.In {
			in = "yes"
		}
		text := treePrefix(rep.Steps, i) + st.Text
		if st.Value != "" {
			text += "   [" + st.Value + "]"
		}
		rows[i] = []string{text, in, st.Origin}
	}
	writeTable(w, []string{"EXPRESSION", "IN", "FROM"}, rows)
	verdict := "NOT IN the result"
	if rep.In {
		verdict = "IN the result"
	}
	fmt.Fprintf(w, "\n%s is %s of pass %d: %s\n", rep.Host, verdict, rep.Pass, rep.Verdict)
}

// whyIn explains HOST's membership in the result of text, in one read
// transaction (fleetq why and the REPL's :why).
func whyIn(tx *store.Tx, env *query.Env, host, text string) (*query.WhyReport, error) {
	ids, missing := tx.Hosts().Lookup([]string{host})
	if len(missing) > 0 {
		return nil, fmt.Errorf("no host %q in the database", host)
	}
	st, err := parseStatement(env, text)
	if err != nil {
		return nil, err
	}
	return query.Why(env, st, host, ids.Minimum())
}

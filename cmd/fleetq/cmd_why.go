package main

import (
	"fmt"
	"io"
	"strings"

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
decided: the question every incident review asks. A chain of more than
eight terms is listed flat, as explain lists it.

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
	a.bind(cmd, o)
	return prints(cmd, whyResult{})
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
	return a.print(whyResult{rep})
}

// whyResult is the result of fleetq why (and :why): the tree with the
// host's membership at every node, and the verdict.
type whyResult struct{ *query.WhyReport }

func (r whyResult) jsonValue() any { return r.WhyReport }

func (r whyResult) writeText(w *textWriter) { writeWhy(w, r.WhyReport) }

// treeBranches draws the branches in front of the lines of a depth-first
// list, one line after the other, in time linear in the output.
type treeBranches struct {
	open []bool // per depth: the last line there has a sibling below
}

func (t *treeBranches) next(depth int, last bool) string {
	var b strings.Builder
	for d := 1; d < depth; d++ {
		if d < len(t.open) && t.open[d] {
			b.WriteString("│  ")
		} else {
			b.WriteString("   ")
		}
	}
	if depth > 0 && last {
		b.WriteString("└─ ")
	} else if depth > 0 {
		b.WriteString("├─ ")
	}
	for len(t.open) <= depth {
		t.open = append(t.open, false)
	}
	t.open[depth] = !last
	return b.String()
}

// writeWhy prints a why report: the tree with membership, then the verdict.
func writeWhy(w io.Writer, rep *query.WhyReport) {
	rows := make([][]string, len(rep.Steps))
	var tree treeBranches
	for i, st := range rep.Steps {
		in := "no"
		if st.In {
			in = "yes"
		}
		text := tree.next(st.Depth, st.Last) + st.Text
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

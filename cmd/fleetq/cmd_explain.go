package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

func newExplainCommand(a *app) *cobra.Command {
	o := &queryOptions{}
	cmd := &cobra.Command{
		Use:   "explain EXPR",
		Short: "Print the expression tree with the size of every intermediate set",
		Long: `Evaluate EXPR and print its tree: every operator and name with the number
of hosts at that point and where each named set or attribute comes from,
then each pipeline stage with its output size. Use it to see where a
candidate pool shrank. A chain of more than eight terms is listed flat:
each operator as "… OP TERM" with the hosts so far, TERM below it (see
"fleetq help language").

Examples:
  fleetq explain 'all - hadoop_exclude & responsive & puppet_ok | sample 5'

` + exitCodesHelp,
		Args:              exprArgs(1),
		ValidArgsFunction: a.completeExprArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplain(cmd.Context(), a, o, args[0])
		},
	}
	a.bind(cmd, o)
	return prints(cmd, explainResult(nil))
}

func runExplain(ctx context.Context, a *app, o *queryOptions, text string) error {
	var steps []query.Step
	var seed uint64
	var random bool
	err := a.view(func(tx *store.Tx) error {
		env, err := newEnv(ctx, tx, o)
		if err != nil {
			return err
		}
		st, err := parseStatement(env, text)
		if err != nil {
			return err
		}
		s, r, err := query.Explain(env, st)
		steps, seed, random = s, env.Seed, err == nil && r.Random
		return err
	})
	if err != nil {
		return err
	}
	if err := a.print(explainResult(steps)); err != nil {
		return err
	}
	if random && a.format != formatJSON {
		fmt.Fprintf(a.stderr, "# seed %d\n", seed)
	}
	return nil
}

// explainResult is the result of fleetq explain (and :explain): the
// expression tree, then the stages, each with its size.
type explainResult []query.Step

func (r explainResult) writeText(w *textWriter) { writeSteps(w, r) }

// jsonValue is the steps; null for none, as it always was.
func (r explainResult) jsonValue() any { return []query.Step(r) }

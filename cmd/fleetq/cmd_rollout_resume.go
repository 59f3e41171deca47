package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/store"
)

type resumeOptions struct {
	ledgerOptions
	reason string
}

func (o *resumeOptions) AddFlags(fs *pflag.FlagSet) {
	o.ledgerOptions.AddFlags(fs)
	fs.StringVar(&o.reason, "reason", "", "why the halt no longer holds (required; recorded)")
}

func (o *resumeOptions) Validate() error {
	if strings.TrimSpace(o.reason) == "" {
		return &usageError{"--reason is required: say why the halt no longer holds; it is recorded"}
	}
	return o.ledgerOptions.Validate()
}

func newRolloutResumeCommand(a *app) *cobra.Command {
	o := &resumeOptions{}
	cmd := &cobra.Command{
		Use:   "resume ROLLOUT --reason TEXT",
		Short: "Lift a rollout's halt: its later waves may be acted on again",
		Long: `Resume a halted rollout: the verbs stop refusing the hosts of its later
waves (invariant:rollout-halted). The reason is recorded in the audit log
(kind rollout) with the halt it lifts; the ledger version changes, so plan
tokens made during the halt no longer apply.

Examples:
  fleetq rollout resume r1 --reason "INC-42: bad PSU on the canary, not the kernel"

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRolloutResume(a, o, args[0])
		},
	}
	a.bind(cmd, o)
	return prints(cmd, (*rolloutResumed)(nil))
}

func runRolloutResume(a *app, o *resumeOptions, ref string) error {
	now := o.clock()
	var r *store.Rollout
	var err error
	err = a.update(func(tx *store.Tx) error {
		r, err = actions.ResumeRollout(tx, ref, o.reason, o.requester(a), now)
		return err
	})
	if err != nil {
		return err
	}
	return a.print(&rolloutResumed{r})
}

// rolloutResumed is the result of fleetq rollout resume: the rollout.
type rolloutResumed struct{ *store.Rollout }

func (r *rolloutResumed) jsonValue() any { return rolloutJSON(r.Rollout) }

func (r *rolloutResumed) writeText(w *textWriter) {
	fmt.Fprintf(w, "rollout %s resumed: %s\n", r.Label(), r.State)
}

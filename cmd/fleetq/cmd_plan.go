package main

import (
	"github.com/spf13/cobra"
)

// fleetq plan: the namespace of plan rollout (cmd_plan_rollout.go) and
// plan week (cmd_plan_week.go).

func newPlanCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plan rollout EXPR --waves 1%,5%,25%,100% --canary-by ATTR,… | plan week FILE",
		Short: "Plan a progressive rollout, or a one/few/many maintenance week, spread across racks",
		Long: `Plans recorded in the ledger. See 'fleetq plan rollout --help' and
'fleetq plan week --help'.

Examples:
  fleetq plan rollout 'role = "hadoop-worker"' --waves 1%,5%,25%,100% --canary-by sku,role
  fleetq plan week examples/week.toml

` + exitCodesHelp,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newPlanRolloutCommand(a))
	cmd.AddCommand(newPlanWeekCommand(a))
	return cmd
}

package main

import (
	"github.com/spf13/cobra"
)

// fleetq rollout: the namespace of rollout list, rollout status and
// rollout resume (cmd_rollout_list.go, cmd_rollout_status.go,
// cmd_rollout_resume.go).

func newRolloutCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout list|status|resume",
		Short: "Recorded rollouts: every wave's verdict, and resuming a halted one",
		Long: `Rollouts recorded by 'fleetq plan rollout'. See 'fleetq rollout list
--help', 'fleetq rollout status --help' and 'fleetq rollout resume --help'.

Examples:
  fleetq rollout list
  fleetq rollout status
  fleetq rollout resume r1 --reason "INC-42: the GPU canary failed on a bad PSU, not the kernel"

` + exitCodesHelp,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newRolloutListCommand(a), newRolloutStatusCommand(a), newRolloutResumeCommand(a))
	return cmd
}

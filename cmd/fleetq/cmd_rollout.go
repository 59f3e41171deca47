package main

import (
	"github.com/spf13/cobra"
)

// fleetq rollout: the namespace of rollout status and rollout resume
// (cmd_rollout_status.go, cmd_rollout_resume.go).

func newRolloutCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout status|resume",
		Short: "Recorded rollouts: every wave's verdict, and resuming a halted one",
		Long: `Rollouts recorded by 'fleetq plan rollout'. See 'fleetq rollout status
--help' and 'fleetq rollout resume --help'.

Examples:
  fleetq rollout status
  fleetq rollout resume r1 --reason "INC-42: the GPU canary failed on a bad PSU, not the kernel"

` + exitCodesHelp,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newRolloutStatusCommand(a), newRolloutResumeCommand(a))
	return cmd
}

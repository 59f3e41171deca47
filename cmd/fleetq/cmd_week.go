package main

import (
	"github.com/spf13/cobra"
)

// fleetq week: the namespace of a planned maintenance week's commands
// (`fleetq plan week FILE` plans one; docs/windows.md).

func newWeekCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "week",
		Short: "Show, list, export or cancel a planned maintenance week",
		Long: `A maintenance week gives every host of a location one slot in a
one/few/many schedule ('fleetq plan week FILE' plans one). While the week
runs, a host's slot is its maintenance window. See docs/windows.md.

Examples:
  fleetq plan week examples/week.toml
  fleetq week show
  fleetq week export notify/

` + exitCodesHelp,
		Args: cobra.NoArgs,
	}
	weekSubcommands(a, cmd)
	return cmd
}

// weekSubcommands adds the week's subcommands, one per line so each
// arrives in its own change.
func weekSubcommands(a *app, cmd *cobra.Command) {
	cmd.AddCommand(newWeekExportCommand(a))
	cmd.AddCommand(newWeekShowCommand(a))
	cmd.AddCommand(newWeekListCommand(a))
	cmd.AddCommand(newWeekCancelCommand(a))
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/docs"
)

func newHelpLanguageCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "language",
		Short: "Print the query language reference",
		Long: docs.Language + `
Examples:
  fleetq help language | less
  fleetq language

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(a.stdout, docs.Language)
			return err
		},
	}
	// The reference is the help: no usage block after it.
	cmd.SetHelpTemplate("{{.Long}}\n")
	return cmd
}

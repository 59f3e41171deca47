package main

import "github.com/spf13/cobra"

// actionCommands are the action verbs and the ledger commands (issue 5).
func actionCommands(a *app) []*cobra.Command { return nil }

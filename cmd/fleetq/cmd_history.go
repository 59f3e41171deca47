package main

import "github.com/spf13/cobra"

// historyCommands are diff, export and gc (issue 4).
func historyCommands(a *app) []*cobra.Command { return nil }

package main

import "github.com/spf13/cobra"

// replCommands are the REPL and shell completion (issue 6).
func replCommands(a *app) []*cobra.Command { return nil }

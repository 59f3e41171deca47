//go:build !man

package main

import "github.com/spf13/cobra"

// extraCommands are none in a plain build: `fleetq generate` (man and
// Markdown pages) is built by make man with -tags man (cmd_generate.go).
func extraCommands(*app) []*cobra.Command { return nil }

package main

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
)

// Every command's --help has a one-line summary, a description, examples
// and the exit codes (as restic's EXIT STATUS sections).
func TestEveryCommandHasFullHelp(t *testing.T) {
	root := newRootCommand(&app{stdout: io.Discard, stderr: io.Discard})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || strings.HasPrefix(sub.Name(), "__") {
				continue
			}
			t.Run(sub.CommandPath(), func(t *testing.T) {
				assert.NotEmpty(t, sub.Short, "summary")
				assert.NotContains(t, sub.Short, "\n", "one-line summary")
				long := sub.Long + sub.Example
				assert.Contains(t, long, "Example", "examples")
				assert.Contains(t, long, "Exit status:", "exit codes")
			})
			walk(sub)
		}
	}
	walk(root)
	assert.Contains(t, root.Long, "Exit status:")
	assert.Contains(t, root.Long, "Examples:")
}

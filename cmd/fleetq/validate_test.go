package main

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
)

// TestEveryCommandValidates: every command with flags of its own binds an
// options struct (app.bind), so the root's PersistentPreRunE validates it.
func TestEveryCommandValidates(t *testing.T) {
	a := &app{}
	root := newRootCommand(a)
	walkCommands(root, func(c *cobra.Command) {
		if c == root || !c.HasAvailableLocalFlags() {
			return
		}
		_, ok := a.options[c]
		assert.True(t, ok, "%s has flags but binds no options (a.bind)", c.CommandPath())
	})
}

// TestValidateIsUsage: a Validate error is a usage error, exit 2, one line,
// before the database is looked at.
func TestValidateIsUsage(t *testing.T) {
	db := t.TempDir() + "/missing.db"
	for _, args := range [][]string{
		{"freeze", "all"},
		{"release", "h1", "--force"},
		{"leases", "--what-if", "soon"},
		{"audit", "--kind", "nope"},
		{"plan", "rollout", "all", "--waves", "5%"},
		{"check", "--at", "soon"},
		{"gc"},
		{"ingest", "--at", "soon", "hosts:-"},
	} {
		var out, errOut strings.Builder
		code := run(context.Background(), append([]string{"--db", db}, args...), strings.NewReader(""), &out, &errOut)
		assert.Equal(t, exitUsage, code, "%v: %s", args, errOut.String())
		assert.Empty(t, out.String())
		assert.Equal(t, 1, strings.Count(errOut.String(), "\n"), "%v: %s", args, errOut.String())
		assert.NotContains(t, errOut.String(), "no database", "%v: validated before opening", args)
	}
}

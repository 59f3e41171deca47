package main

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/store"
)

// Completion reads the database read-only and briefly: a writer holding
// the lock means no dynamic candidates, not a hung Tab.
const completionTimeout = 300 * time.Millisecond

// maxHostCandidates bounds the host names offered for one Tab.
const maxHostCandidates = 2000

type completeFunc = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective)

// registerCompletions gives the flags that take a known vocabulary their
// candidates, on every command that has them.
func registerCompletions(root *cobra.Command, a *app) {
	a.completeFlag(root, "format", fixedValues(formatNames))
	walkCommands(root, func(c *cobra.Command) {
		if ownFlag(c, "pass") {
			a.completeFlag(c, "pass", a.completePassIDs)
		}
	})
}

// ownFlag reports whether c declares the non-persistent flag name itself:
// what c.LocalNonPersistentFlags().Lookup(name) says, without merging
// every parent's persistent flags into every command (a third of the
// time it took to build the command tree, in every process).
func ownFlag(c *cobra.Command, name string) bool {
	if c.Flags().Lookup(name) == nil || c.PersistentFlags().Lookup(name) != nil {
		return false
	}
	for p := c.Parent(); p != nil; p = p.Parent() {
		if p.PersistentFlags().Lookup(name) != nil {
			return false
		}
	}
	return true
}

// completeFlag gives cmd's flag name its candidates, except in a tree
// fleetq serve builds to run one call: that tree never completes, and
// cobra keeps every flag given candidates in a package-level map for the
// life of the process, so each call's whole command tree (about 200 KB)
// would stay in memory for good.
func (a *app) completeFlag(cmd *cobra.Command, name string, fn completeFunc) {
	if a.served() {
		return
	}
	_ = cmd.RegisterFlagCompletionFunc(name, fn)
}

func walkCommands(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walkCommands(sub, fn)
	}
}

func fixedValues(vals []string) completeFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return vals, cobra.ShellCompDirectiveNoFileComp
	}
}

// completionApp is a with the short lock timeout of completion.
func (a *app) completionApp() *app {
	c := *a
	c.timeout = min(a.timeout, completionTimeout)
	return &c
}

// completePassIDs offers the pass ids of the database, newest first.
func (a *app) completePassIDs(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	ids := reversedNames(loadVocab(a.completionApp(), 0).passes)
	return namesWithPrefix(ids, toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
}

// completeHostArgs completes every argument as a host name (release).
func (a *app) completeHostArgs(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return a.hostNames(cmd, toComplete), cobra.ShellCompDirectiveNoFileComp
}

// completeHostArg completes the first argument as a host name (host).
func (a *app) completeHostArg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return a.completeHostArgs(cmd, args, toComplete)
}

// completeWhyArgs completes why's HOST, then its EXPR.
func (a *app) completeWhyArgs(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return a.completeHostArgs(cmd, args, toComplete)
	}
	return a.completeExprArg(cmd, args[1:], toComplete)
}

// hostNames lists the hosts of the command's --pass (default the newest)
// that start with prefix, sorted, at most maxHostCandidates.
func (a *app) hostNames(cmd *cobra.Command, prefix string) []string {
	prefix = strings.ToLower(prefix)
	var out []string
	_ = a.completionApp().view(func(tx *store.Tx) error {
		p, err := tx.Pass(passFlag(cmd))
		if err != nil {
			return err
		}
		out = namesWithPrefix(tx.Hosts().Names(p.All()), prefix)
		return nil
	})
	sort.Strings(out)
	return out[:min(len(out), maxHostCandidates)]
}

// passFlag is the command's --pass, or 0 (the newest).
func passFlag(cmd *cobra.Command) int64 {
	f := cmd.Flags().Lookup("pass")
	if f == nil {
		return 0
	}
	n, _ := strconv.ParseInt(f.Value.String(), 10, 64)
	return n
}

// completeExprArg completes the EXPR argument of query, explain and the
// action verbs: the set, attribute and value names of the newest pass (or
// --pass), stages after |, pass ids after @. Each candidate is the whole
// argument (what was typed before the word, then the word), as the shell
// replaces the whole argument. It offers nothing when there is no
// database.
func (a *app) completeExprArg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	start, cands := loadVocab(a.completionApp(), passFlag(cmd)).expr(toComplete, false)
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = toComplete[:start] + c
	}
	// An expression goes on after a name: no space, no closing quote.
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newCompletionCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print a script that makes the shell complete fleetq's commands and flags,
and the set and attribute names of the database (--db, $FLEETQ_DB or
./fleetq.db, read-only) in 'fleetq query' and 'fleetq explain' arguments.

Load it for the current shell, or install it once:

  bash:  source <(fleetq completion bash)
         fleetq completion bash > ~/.local/share/bash-completion/completions/fleetq
         (the bash script uses the bash-completion package: apt-get install
         bash-completion, or brew install bash-completion@2)
  zsh:   fleetq completion zsh > "${fpath[1]}/_fleetq"   (needs compinit)
  fish:  fleetq completion fish > ~/.config/fish/completions/fleetq.fish

Examples:
  source <(fleetq completion bash)
  fleetq completion zsh > ~/.zsh/completions/_fleetq

` + exitCodesHelp,
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompletion(cmd.Root(), args[0], a)
		},
	}
}

func runCompletion(root *cobra.Command, shell string, a *app) error {
	switch shell {
	case "bash":
		return root.GenBashCompletionV2(a.stdout, true)
	case "zsh":
		return root.GenZshCompletion(a.stdout)
	case "fish":
		return root.GenFishCompletion(a.stdout, true)
	case "powershell":
		return root.GenPowerShellCompletionWithDesc(a.stdout)
	}
	return &usageError{fmt.Sprintf("completion %q: expected bash, zsh, fish or powershell", shell)}
}

// completeExprArg completes the EXPR argument of query and explain: the
// set, attribute and value names of the newest pass (or --pass). It reads
// the database read-only and offers nothing when there is none.
func (a *app) completeExprArg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var pass int64
	if f := cmd.Flags().Lookup("pass"); f != nil {
		fmt.Sscan(f.Value.String(), &pass)
	}
	start, cands := loadVocab(a, pass).expr(toComplete, false)
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = toComplete[:start] + c
	}
	dir := cobra.ShellCompDirectiveNoFileComp
	if strings.ContainsAny(toComplete, " ") || len(out) == 1 && out[0] != toComplete {
		dir |= cobra.ShellCompDirectiveNoSpace
	}
	return out, dir
}

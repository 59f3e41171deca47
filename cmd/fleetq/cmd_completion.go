package main

import (
	_ "embed"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// The bash and zsh scripts are fleetq's own: cobra's need the
// bash-completion package (bash) and split a quoted argument at its
// spaces (zsh). Both call the hidden __shellcomplete command.
var (
	//go:embed completion.bash
	bashCompletion string
	//go:embed completion.zsh
	zshCompletion string
)

func newCompletionCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print a script that makes the shell complete fleetq's commands and flags,
and what the database holds (--db on the line, else $FLEETQ_DB, else
./fleetq.db, opened read-only; with no database there are just no such
candidates):

  - inside a quoted expression (query, explain, why, the action verbs,
    plan rollout, and the short form 'fleetq EXPR'): set and attribute
    names, attribute values after = == != and in (, pipeline stages after
    |, pass ids after @, e.g.
      fleetq query 'all - hadoop_ex<TAB>    ->  hadoop_exclude
      fleetq query 'role = "hadoop-w<TAB>   ->  "hadoop-worker"
      fleetq query 'dead | sa<TAB>          ->  sample
  - flag values: --format (text json csv folded), --pass (pass ids)
  - host names: host NAME, why HOST, release HOST…

Load it for the current shell, or install it once:

  bash:  source <(fleetq completion bash)       (in ~/.bashrc)
         fleetq completion bash > ~/.local/share/bash-completion/completions/fleetq
         (works with or without the bash-completion package)
  zsh:   source <(fleetq completion zsh)        (in ~/.zshrc, after compinit)
         fleetq completion zsh > "${fpath[1]}/_fleetq"
  fish:  fleetq completion fish > ~/.config/fish/completions/fleetq.fish
         (fish and powershell get cobra's generated scripts, which are
         not tested here; bash and zsh are tested in real shells)

Examples:
  source <(fleetq completion bash)
  fleetq completion zsh > ~/.zsh/completions/_fleetq

` + exitCodesHelp,
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompletion(cmd.Root(), args[0], a.stdout)
		},
	}
}

func runCompletion(root *cobra.Command, shell string, w io.Writer) error {
	switch shell {
	case "bash":
		_, err := io.WriteString(w, bashCompletion)
		return err
	case "zsh":
		_, err := io.WriteString(w, zshCompletion)
		return err
	case "fish":
		return root.GenFishCompletion(w, true)
	case "powershell":
		return root.GenPowerShellCompletionWithDesc(w)
	}
	return &usageError{fmt.Sprintf("completion %q: expected bash, zsh, fish or powershell", shell)}
}

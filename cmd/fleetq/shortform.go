package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/query"
)

// shorthand is `fleetq [FLAGS] EXPR [FLAGS]` read as `fleetq query …`.
type shorthand struct {
	args []string // what cobra runs
	word string   // the expression when it is one bare word, else ""
}

// shortForm turns `fleetq EXPR` into `fleetq query EXPR` when the first
// argument after the global flags is not a command. An expression split
// over several arguments (the shell split an unquoted one) is refused
// with the quoted form to type instead.
func shortForm(root *cobra.Command, args []string) (shorthand, error) {
	i := firstPositional(anyFlags(root), args)
	if i < 0 || isCommand(root, args[i]) {
		return shorthand{args: args}, nil
	}
	flags := pflag.NewFlagSet("query", pflag.ContinueOnError)
	flags.AddFlagSet(root.PersistentFlags())
	if q := findCommand(root, "query"); q != nil {
		flags.AddFlagSet(q.Flags())
	}
	if words := positionals(flags, args[i:]); len(words) > 1 {
		return shorthand{}, quoteHint("query", words)
	}
	sh := shorthand{args: append(append(args[:i:i], "query"), args[i:]...)}
	if bareWord().MatchString(args[i]) {
		sh.word = args[i]
	}
	return sh, nil
}

// bareWord is a lone word that could be a misspelt command.
var bareWord = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`) })

// flagLookup finds a flag by name or by its one-letter shorthand.
type flagLookup interface {
	Lookup(name string) *pflag.Flag
	ShorthandLookup(name string) *pflag.Flag
}

// anyFlags is every flag of the root and its commands: cobra accepts a
// command's flag before the command's name (`fleetq --pass 1 query …`), so
// finding the first word needs to know which flags take a value. The
// first definition of a name wins, the root's persistent flags first,
// then the commands in order; looked up in place, not copied into a new
// flag set in every process.
func anyFlags(root *cobra.Command) flagLookup { return allFlags{root} }

type allFlags struct{ root *cobra.Command }

func (a allFlags) Lookup(name string) *pflag.Flag {
	return a.find(func(fs *pflag.FlagSet) *pflag.Flag { return fs.Lookup(name) })
}

func (a allFlags) ShorthandLookup(name string) *pflag.Flag {
	return a.find(func(fs *pflag.FlagSet) *pflag.Flag { return fs.ShorthandLookup(name) })
}

func (a allFlags) find(in func(*pflag.FlagSet) *pflag.Flag) *pflag.Flag {
	if f := in(a.root.PersistentFlags()); f != nil {
		return f
	}
	for _, c := range a.root.Commands() {
		if f := in(c.Flags()); f != nil {
			return f
		}
	}
	return nil
}

// isCommand reports whether word names a command (or one of cobra's own).
func isCommand(root *cobra.Command, word string) bool {
	switch word {
	case "help", "completion", "__complete", "__completeNoDesc":
		return true
	}
	return findCommand(root, word) != nil
}

func findCommand(root *cobra.Command, name string) *cobra.Command {
	for _, c := range root.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return c
		}
	}
	return nil
}

// firstPositional is the index of the first argument that is not a flag
// or a flag's value, or -1.
func firstPositional(flags flagLookup, args []string) int {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) {
				return i + 1
			}
			return -1
		case a == "-" || !strings.HasPrefix(a, "-"):
			return i
		case takesValue(flags, a):
			i++
		}
	}
	return -1
}

// positionals lists the arguments that are neither flags nor their values.
func positionals(flags flagLookup, args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(out, args[i+1:]...)
		case a == "-" || !strings.HasPrefix(a, "-"):
			out = append(out, a)
		case takesValue(flags, a):
			i++
		}
	}
	return out
}

// takesValue reports whether the flag argument a (`--db`, `-o`) is
// followed by its value as the next argument.
func takesValue(flags flagLookup, a string) bool {
	if strings.Contains(a, "=") {
		return false
	}
	var f *pflag.Flag
	if name, ok := strings.CutPrefix(a, "--"); ok {
		f = flags.Lookup(name)
	} else if len(a) == 2 {
		f = flags.ShorthandLookup(a[1:])
	}
	return f != nil && f.NoOptDefVal == ""
}

// quoteHint is the error for an expression the shell split into words.
func quoteHint(cmd string, words []string) error {
	return &usageError{fmt.Sprintf("quote the expression: fleetq %s '%s' (the shell split it into %d arguments)", cmd, strings.Join(words, " "), len(words))}
}

// exprArgs is the Args check of commands whose last argument is an
// expression: extra arguments are an unquoted expression, answered with
// the quoted form rather than "accepts 1 arg(s)".
func exprArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return quoteHint(strings.Join(append([]string{cmd.Name()}, args[:n-1]...), " "), args[n-1:])
		}
		return cobra.ExactArgs(n)(cmd, args)
	}
}

// misspeltCommand turns the unknown-name error of a one-word shorthand
// that is close to a command ("fleetq pases") into "unknown command". A
// word that is a set of the pass never gets here: its query succeeds.
func misspeltCommand(root *cobra.Command, sh shorthand, err error) error {
	if sh.word == "" || !errors.Is(err, query.ErrUnknownName) {
		return err
	}
	var names []string
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	sugg := query.Closest(sh.word, names)
	if sugg == "" {
		return err
	}
	return &usageError{fmt.Sprintf("unknown command %q (did you mean %s?); for a set of that name: fleetq query %s", sh.word, sugg, sh.word)}
}

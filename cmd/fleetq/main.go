// Command fleetq is a fleet state store with a set-expression query
// language: ingest inventory, metrics and control-plane state into passes,
// then ask which hosts are safe to act on.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"sync"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// Exit codes, documented in `fleetq --help`.
const (
	exitOK      = 0
	exitFailure = 1 // bad input, unknown name, failed command
	exitUsage   = 2 // unknown command or flag, wrong arguments
	exitLocked  = 3 // the database lock could not be had in time
	exitAssert  = 4 // an assert in `fleetq run` failed
	exitNoMatch = 5 // reserved: --fail-empty and an empty result

	exitInterrupted = 130 // Ctrl-C (SIGINT): 128+2, as a shell reports it
)

const exitCodesHelp = `Exit status:
  0  success (an empty result, or an action that approves nothing, is success)
  1  error: bad input, unknown set or attribute, failed command
  2  usage error: unknown command or flag, wrong arguments
  3  the database is locked by another writer (after --timeout)
  4  an assert in a query file failed (fleetq run)
  5  --fail-empty was given and the result was empty
  6  no source could be read (fleetq collect, fleetq loop --passes N): no
     pass was made
  130  interrupted (Ctrl-C): the command stopped; what it had not committed
       was rolled back (the interactive REPL cancels the line instead)`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	go func() {
		<-ctx.Done()
		stop() // the first Ctrl-C stops the command; a second kills fleetq
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run builds the root command, runs it and maps its error to an exit code
// in one place. Its stdout and stderr escape what is not printable
// (safetext.go): no output of any command writes input raw to a terminal.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	so, se := newSafeWriter(stdout), newSafeWriter(stderr)
	code := execute(ctx, args, stdin, so, se)
	so.Flush()
	se.Flush()
	return code
}

func execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	code, _ := executeErr(ctx, &app{}, args, stdin, stdout, stderr)
	return code
}

// executeErr runs one command line with a (its fields beyond the streams
// preset: fleetq serve sets the principal) and returns the exit code and
// the error it reported on stderr, nil on success.
func executeErr(ctx context.Context, a *app, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	stdin = interruptibleStdin(ctx, stdin)
	a.stdin, a.stdout, a.stderr = stdin, stdout, stderr
	root := newRootCommand(a)
	sh, err := shortForm(root, args)
	if err != nil {
		return report(stderr, err), err
	}
	a.shorthand = sh.word
	root.SetArgs(sh.args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		if interrupted(ctx, err) {
			fmt.Fprintln(stderr, "fleetq: interrupted")
			return exitInterrupted, err
		}
		err = misspeltCommand(root, sh, err)
		return report(stderr, err), err
	}
	return exitOK, nil
}

// report prints an error as one line, then detail, and returns its code.
func report(w io.Writer, err error) int {
	var ee *exitError
	if errors.As(err, &ee) && ee.silent {
		return ee.code
	}
	fmt.Fprintln(w, "fleetq: "+firstLine(err.Error()))
	var qe *query.Error
	if errors.As(err, &qe) && qe.Input != "" {
		fmt.Fprintln(w, qe.Detail())
	}
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, store.ErrLocked):
		return exitLocked
	case isUsage(err):
		return exitUsage
	}
	return exitFailure
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// exitError carries a specific exit code.
type exitError struct {
	code   int
	err    error
	silent bool // already reported
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// cobraUnknownCommand is the one usage error cobra makes where no hook
// reaches: a root command's unknown subcommand (flags and arguments are
// made usage errors at their source, app.go usageAtSource).
// Compiled on first use, as every pattern of this package: a process
// compiles only what it needs.
var cobraUnknownCommand = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^unknown command `) })

func isUsage(err error) bool {
	var ue *usageError
	return errors.As(err, &ue) || cobraUnknownCommand().MatchString(err.Error())
}

package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/actions"
	"github.com/fleetq/fleetq/internal/auth"
	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/server"
	"github.com/fleetq/fleetq/internal/store"
)

// serveExec runs the API's calls as fleetq commands in this process, each
// with a fresh command tree (as the REPL runs a line), the served database
// and policy, and the principal as the requester: the API prints exactly
// what the CLI prints, through the same code.
type serveExec struct {
	db, policy string
	// tokens is the served tokens file, which the token commands of the
	// API (POST /v1/tokens, …) manage.
	tokens   string
	lockWait time.Duration
	// outcomes sees every decision a call made (the metrics' counters).
	outcomes func(*actions.Outcome)

	flagsOnce sync.Once
	hasPolicy map[string]bool // command path → it has --policy
}

func (x *serveExec) Exec(ctx context.Context, c server.Call) server.Result {
	argv := append([]string{}, c.Op.Command...)
	wait := x.lockWait
	if c.LockWait > 0 {
		wait = c.LockWait // what the wait for this process's turn left
	}
	argv = append(argv, "--db="+x.db, "--format="+c.Format, "--timeout="+wait.String())
	if x.policy != "" && x.takesPolicy(c.Op.Command) {
		argv = append(argv, "--policy="+x.policy)
	}
	if x.tokens != "" && c.Op.Command[0] == "token" {
		argv = append(argv, "--tokens="+x.tokens)
	}
	argv = append(argv, c.Args...)
	var stdout, stderr bytes.Buffer
	a := &app{principal: c.Principal.Name, outcomes: x.outcomes, actsForOthers: c.Principal.Role.Allows(auth.Operator),
		compactJSON: c.Compact}
	code, err := executeErr(ctx, a, argv, strings.NewReader(""), &stdout, &stderr)
	return server.Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Code: code, Err: apiError(code, err)}
}

// takesPolicy says whether the command at path has a --policy flag (read
// once from the command tree).
func (x *serveExec) takesPolicy(path []string) bool {
	x.flagsOnce.Do(func() {
		x.hasPolicy = map[string]bool{}
		walkCommands(newRootCommand(&app{}), func(c *cobra.Command) {
			if c.Flags().Lookup("policy") != nil {
				x.hasPolicy[strings.TrimPrefix(c.CommandPath(), "fleetq ")] = true
			}
		})
	})
	return x.hasPolicy[strings.Join(path, " ")]
}

// apiError is the API's error for a command's exit: the kind its exit
// code and error type say.
func apiError(code int, err error) *server.Error {
	if code == exitOK {
		return nil
	}
	msg := "command failed"
	if err != nil {
		msg = firstLine(err.Error())
	}
	e := &server.Error{Kind: server.KindFailed, Message: msg}
	var qe *query.Error
	var refused *actions.RefusedApply
	var kept *keptLeases
	var forbidden *actions.ForbiddenError
	var uncancelled *notCancelled
	switch {
	case errors.As(err, &qe):
		e.Kind, e.Position = server.KindExpression, qe.Pos.Col
		if qe.Input != "" {
			e.Caret = qe.Detail()
		}
	case errors.As(err, &forbidden):
		e.Kind = server.KindForbidden
	case errors.As(err, &refused), errors.As(err, &kept), errors.As(err, &uncancelled),
		errors.Is(err, actions.ErrAlreadyApplied), errors.Is(err, actions.ErrCancelled): // a cancel of a plan that ended
		e.Kind = server.KindRefused
	case code == exitUsage:
		e.Kind = server.KindUsage
	case code == exitLocked || errors.Is(err, store.ErrLocked):
		e.Kind = server.KindLocked
	case code == exitAssert:
		e.Kind = server.KindCheckFailed
	case code == exitInterrupted:
		e.Kind = server.KindInterrupted
	}
	return e
}

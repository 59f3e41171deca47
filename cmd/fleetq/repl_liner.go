package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/peterh/liner"

	"github.com/fleetq/fleetq/internal/query"
)

// interactive is the REPL on a terminal: liner line editing, history and
// Tab completion. Ctrl-C at the prompt clears the line; during a
// statement it cancels the statement; Ctrl-D leaves.
func (s *session) interactive(ctx context.Context) error {
	ln := liner.NewLiner()
	defer ln.Close()
	ln.SetCtrlCAborts(true)
	ln.SetTabCompletionStyle(liner.TabPrints)
	ln.SetWordCompleter(s.complete)
	hist := historyPath()
	loadHistory(ln, hist)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)

	fmt.Fprintln(s.a.stderr, "fleetq repl: :help for help, Tab to complete, Ctrl-D to leave")
	histErr := false
	for {
		line, err := ln.Prompt(s.prompt())
		switch {
		case errors.Is(err, liner.ErrPromptAborted):
			continue
		case errors.Is(err, io.EOF):
			fmt.Fprintln(s.a.stdout)
			return nil
		case err != nil:
			return err
		}
		if strings.TrimSpace(line) != "" {
			ln.AppendHistory(line)
			if err := writeHistory(ln, hist); err != nil && !histErr {
				fmt.Fprintf(s.a.stderr, "fleetq: warning: history not saved: %v\n", err)
				histErr = true
			}
		}
		err = s.interruptible(ctx, line, sigs)
		if errors.Is(err, errQuit) {
			return nil
		}
		if errors.Is(err, query.ErrCanceled) {
			fmt.Fprintln(s.a.stdout) // end a half-printed line
		}
		if err != nil {
			s.report("", err)
		}
	}
}

// interruptible runs one line with a context that SIGINT cancels. It does
// not derive from ctx: the process-wide interrupt context stays canceled
// after the first Ctrl-C, and the REPL must outlive it.
func (s *session) interruptible(ctx context.Context, line string, sigs chan os.Signal) error {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	prev := s.a.ctx
	s.a.ctx = ctx // the line's database opens wait under the line's context
	defer func() { s.a.ctx = prev }()
	for len(sigs) > 0 {
		<-sigs
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-done:
		}
	}()
	return s.exec(ctx, line)
}

// historyPath is $FLEETQ_HISTORY, else $XDG_STATE_HOME/fleetq/history,
// else ~/.local/state/fleetq/history; "" when none can be had.
func historyPath() string {
	if p := os.Getenv("FLEETQ_HISTORY"); p != "" {
		return p
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "fleetq", "history")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "fleetq", "history")
	}
	return ""
}

func loadHistory(ln *liner.State, path string) {
	if path == "" {
		return
	}
	if f, err := os.Open(path); err == nil {
		defer f.Close()
		_, _ = ln.ReadHistory(f)
	}
}

// writeHistory writes the whole history after every line, through a
// temporary file, so a killed REPL loses nothing and a crash mid-write
// leaves the old history.
func writeHistory(ln *liner.State, path string) error {
	if path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".history-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := ln.WriteHistory(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

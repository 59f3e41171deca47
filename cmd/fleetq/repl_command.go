package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// replHidden are commands a REPL line does not run.
var replHidden = map[string]bool{"repl": true, "completion": true}

// commandNames lists the fleetq commands a REPL line may start with,
// sorted, from a fresh root (so new commands appear without registration).
func commandNames() []string {
	names := []string{"help"}
	for _, c := range newRootCommand(&app{}).Commands() {
		if !replHidden[c.Name()] && !c.Hidden {
			names = append(names, c.Name())
		}
	}
	sort.Strings(names)
	return names
}

func (s *session) isCommand(name string) bool { return sortedHas(s.commandList(), name) }

// command runs a fleetq command line through a fresh root with the
// session's database and format, as if typed at the shell.
func (s *session) command(ctx context.Context, line string) error {
	words, err := splitWords(line)
	if err != nil {
		return &usageError{err.Error()}
	}
	// --server "": a session's lines run on its database, whatever
	// $FLEETQ_SERVER says (the session itself runs only locally).
	args := []string{"--db", s.a.dbPath(), "--server", "", "--format", s.formatFor(words), "--timeout", s.a.timeout.String()}
	if s.a.noColor {
		args = append(args, "--no-color")
	}
	if s.pass != 0 && takesPass(words) {
		args = append(args, "--pass", strconv.FormatInt(s.pass, 10))
	}
	if code := run(ctx, append(args, words...), s.a.stdin, s.a.stdout, s.a.stderr); code != exitOK {
		return &exitError{code: code, err: fmt.Errorf("%s: exit status %d", words[0], code), silent: true}
	}
	s.vocab.reset()
	return nil
}

// formatFor is the session's format for the command line words, or text
// when the command has no renderer for it: the session's format is a
// preference for results that have one (:format folded, then host NAME),
// while the same command line given --format folded is refused.
func (s *session) formatFor(words []string) string {
	cmd, _, err := newRootCommand(&app{}).Find(words)
	if err != nil || slices.Contains(commandFormats(cmd), s.a.format) {
		return s.a.format
	}
	return formatText
}

// takesPass reports whether the command line has a --pass flag that the
// user did not give, so the REPL's current pass applies.
func takesPass(words []string) bool {
	cmd, _, err := newRootCommand(&app{}).Find(words)
	if err != nil || cmd.Flags().Lookup("pass") == nil {
		return false
	}
	for _, w := range words {
		if w == "--pass" || strings.HasPrefix(w, "--pass=") {
			return false
		}
	}
	return true
}

// splitWords splits a line like a shell: blanks separate words; single
// quotes keep everything; double quotes keep all but \" and \\; a
// backslash outside quotes escapes the next character.
func splitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	esc := false
	for _, r := range line {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				esc = true
			default:
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '\\':
			esc, inWord = true, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// silent reports whether err was already reported to the user.
func alreadyReported(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.silent
}

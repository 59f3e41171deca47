package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// The bash and zsh scripts hand the command line to the hidden
// __shellcomplete command, which splits it as the shell does, asks
// cobra's __complete for whole-argument candidates and renders them for
// the shell: inside a quoted expression the shell replaces only part of
// the argument, and neither cobra script handles that.

// shellWord is one word of a command line as the shell reads it.
type shellWord struct {
	raw    string // as typed
	value  string // quotes and escapes removed
	quote  byte   // the quote still open at the end of the line, or 0
	rlFrom int    // where in raw readline's completion word starts
}

// splitLine splits a bash command line (up to the cursor) into words.
// The last word is the one being completed; it is empty after a space.
// breaks are readline's word break characters ($COMP_WORDBREAKS).
func splitLine(line, breaks string) []shellWord {
	var words []shellWord
	var w shellWord
	var val strings.Builder
	esc, inWord := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		if !esc && w.quote == 0 && (c == ' ' || c == '\t' || c == '\n') {
			if inWord {
				w.value = val.String()
				words = append(words, w)
			}
			w, inWord = shellWord{}, false
			val.Reset()
			continue
		}
		inWord = true
		esc = splitByte(&w, &val, c, esc, nextByte(line, i), breaks)
		w.raw += string(c)
	}
	w.value = val.String()
	return append(words, w)
}

// splitByte reads byte c of word w (not yet added to w.raw) and reports
// whether it escapes the next byte.
func splitByte(w *shellWord, val *strings.Builder, c byte, esc bool, next byte, breaks string) bool {
	switch {
	case esc:
		val.WriteByte(c)
	case w.quote != 0 && c == w.quote:
		w.quote = 0
	case w.quote == '\'':
		val.WriteByte(c)
	case c == '\\' && (w.quote == 0 || strings.IndexByte("\"\\$`", next) >= 0):
		return true
	case w.quote == '"':
		val.WriteByte(c)
	case c == '\'' || c == '"':
		w.quote = c
		w.rlFrom = len(w.raw) + 1
	default:
		val.WriteByte(c)
		if strings.IndexByte(breaks, c) >= 0 {
			w.rlFrom = len(w.raw) + 1
		}
	}
	return false
}

func nextByte(s string, i int) byte {
	if i+1 < len(s) {
		return s[i+1]
	}
	return 0
}

// cobraComplete runs cobra's __complete for the arguments of a fleetq
// line (the program name left off, the word being completed last) and
// returns its candidates and directive.
func cobraComplete(ctx context.Context, a *app, args []string) ([]string, cobra.ShellCompDirective) {
	args = completionShortForm(newRootCommand(&app{}), args)
	var out bytes.Buffer
	run(ctx, append([]string{cobra.ShellCompNoDescRequestCmd}, args...), strings.NewReader(""), &out, &bytes.Buffer{})
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, ":") {
		return nil, cobra.ShellCompDirectiveError
	}
	dir, err := strconv.Atoi(last[1:])
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var cands []string
	for _, l := range lines[:len(lines)-1] {
		if l != "" && !strings.HasPrefix(l, "_activeHelp_ ") {
			cands = append(cands, l)
		}
	}
	return cands, cobra.ShellCompDirective(dir)
}

// completionShortForm applies `fleetq EXPR` = `fleetq query EXPR` to a
// line being completed: a first word still being typed is an expression
// only once it is more than a name (a command name is a name). A line the
// short form would refuse is completed as it is.
func completionShortForm(root *cobra.Command, args []string) []string {
	if i := firstPositional(anyFlags(root), args); i == len(args)-1 && isPlainName(args[i]) {
		return args
	}
	sh, err := shortForm(root, args)
	if err != nil {
		return args
	}
	return sh.args
}

// isPlainName reports whether s is only name characters.
func isPlainName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

// newShellCompleteCommand is the hidden command of the bash and zsh
// scripts:
//
//	fleetq __shellcomplete bash COMP_TYPE COMP_WORDBREAKS LINE
//	fleetq __shellcomplete zsh WORD… CURRENT_WORD
//
// It prints one line of options (nospace, nofiles), then for bash the
// COMPREPLY words, for zsh ">" and the hidden prefix, then the matches.
func newShellCompleteCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:                "__shellcomplete bash|zsh ARG…",
		Hidden:             true,
		DisableFlagParsing: true,
		Args:               cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShellComplete(cmd.Context(), a, args[0], args[1:])
		},
	}
}

func runShellComplete(ctx context.Context, a *app, shell string, args []string) error {
	switch shell {
	case "bash":
		if len(args) != 3 {
			return &usageError{"__shellcomplete bash COMP_TYPE COMP_WORDBREAKS LINE"}
		}
		compType, _ := strconv.Atoi(args[0])
		words := splitLine(args[2], args[1])
		cur := words[len(words)-1]
		cands, dir := cobraComplete(ctx, a, wordValues(words[1:]))
		return writeLines(a, renderBash(cur, compType, cands, dir))
	case "zsh":
		cur := shellWord{value: args[len(args)-1]}
		cands, dir := cobraComplete(ctx, a, args)
		return writeLines(a, renderZsh(cur, cands, dir))
	}
	return &usageError{"__shellcomplete: expected bash or zsh"}
}

func wordValues(words []shellWord) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = w.value
	}
	return out
}

func writeLines(a *app, lines []string) error {
	w, flush := a.out()
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	return flush()
}

// completion is cobra's answer for one word: the whole-argument
// candidates that extend what was typed, and the part of the word
// they all keep (the text before the name being completed).
type completion struct {
	cands   []string
	keep    string
	nospace bool
	nofiles bool
}

func newCompletion(value string, cands []string, dir cobra.ShellCompDirective) completion {
	flag := ""
	if strings.HasPrefix(value, "-") && strings.Contains(value, "=") {
		flag = value[:strings.IndexByte(value, '=')+1] // cobra answers --flag=V with values
	}
	c := completion{
		keep:    value[:wordStart(value)],
		nospace: dir&cobra.ShellCompDirectiveNoSpace != 0,
		nofiles: dir&cobra.ShellCompDirectiveNoFileComp != 0 || dir&cobra.ShellCompDirectiveError != 0,
	}
	if dir&cobra.ShellCompDirectiveError != 0 {
		return c
	}
	for _, s := range cands {
		if s = flag + s; strings.HasPrefix(s, value) && strings.HasPrefix(s, c.keep) {
			c.cands = append(c.cands, s)
		}
	}
	return c
}

func (c completion) options() string {
	var o []string
	if c.nospace {
		o = append(o, "nospace")
	}
	if c.nofiles {
		o = append(o, "nofiles")
	}
	return strings.Join(o, " ")
}

// readline's COMP_TYPE for listing the matches (the second Tab): nothing
// is inserted, so the list can show names instead of whole arguments.
const bashListMatches = '?'

// renderBash turns whole-argument candidates into COMPREPLY words:
// readline replaces the text from its word start (after an open quote,
// or after a COMP_WORDBREAKS character such as = : @) to the cursor.
func renderBash(cur shellWord, compType int, cands []string, dir cobra.ShellCompDirective) []string {
	c := newCompletion(cur.value, cands, dir)
	out := []string{c.options()}
	for _, s := range c.cands {
		if compType == bashListMatches {
			out = append(out, s[len(c.keep):])
		} else {
			out = append(out, cur.raw[cur.rlFrom:]+shellQuote(cur.quote, s[len(cur.value):]))
		}
	}
	// readline closes an open quote after the only match, even with
	// nospace; a second match equal but for a trailing space makes it
	// insert the match alone.
	if len(c.cands) == 1 && cur.quote != 0 && c.nospace && compType != bashListMatches {
		out = append(out, out[1]+" ")
	}
	return out
}

// renderZsh gives compadd a hidden prefix (-p) and the names: zsh
// matches and quotes them against the word itself.
func renderZsh(cur shellWord, cands []string, dir cobra.ShellCompDirective) []string {
	c := newCompletion(cur.value, cands, dir)
	out := []string{c.options(), ">" + c.keep}
	for _, s := range c.cands {
		out = append(out, s[len(c.keep):])
	}
	return out
}

// shellQuote writes s as it must be typed inside the open quote q (0:
// none).
func shellQuote(q byte, s string) string {
	switch q {
	case '\'':
		return strings.ReplaceAll(s, "'", `'\''`)
	case '"':
		return shellEscape(s, "\"\\$`")
	}
	return shellEscape(s, " \t\n'\"\\$`!&;|<>()*?[]#~{}")
}

func shellEscape(s, special string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(special, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

package main

import (
	"sort"
	"strings"
)

// vocab is what Tab can complete to: the names of one pass, the session's
// bindings, pass ids and commands. values lists an attribute's distinct
// values as literals (quoted strings), or nil for a name that is not an
// attribute.
type vocab struct {
	sets     []string // sets of the pass and the session's bindings
	attrs    []string
	passes   []string // pass ids, oldest first
	commands []string // fleetq commands a line may start with
	values   func(attr string) []string
}

var (
	stageNames   = []string{"by", "count", "head", "sample", "show", "split", "spread", "stratify", "where"}
	exprKeywords = []string{"and", "exists", "in", "not", "notin", "or"}
	formatNames  = []string{"csv", "folded", "json", "text"}
)

// complete is liner's word completer: for the cursor at rune pos of line,
// the text before the word being completed, the candidates for the word,
// and the text after the cursor.
func (v *vocab) complete(line string, pos int) (head string, cands []string, tail string) {
	rs := []rune(line)
	pos = min(max(pos, 0), len(rs))
	before, tail := string(rs[:pos]), string(rs[pos:])
	trimmed := strings.TrimLeft(before, " \t")
	if strings.HasPrefix(trimmed, ":") {
		off := len(before) - len(trimmed)
		h, c := v.meta(trimmed)
		return before[:off] + h, c, tail
	}
	if name, _, ok := strings.Cut(trimmed, " "); ok && sortedHas(v.commands, name) && !sortedHas(v.sets, name) {
		return before, nil, tail // a fleetq command line: its arguments are the shell's business
	}
	start, cands := v.expr(before, true)
	return before[:start], cands, tail
}

// meta completes a :command line.
func (v *vocab) meta(line string) (string, []string) {
	name, arg, ok := strings.Cut(line, " ")
	if !ok {
		return "", namesWithPrefix(metaCommands, name)
	}
	head := name + " "
	lead := len(arg) - len(strings.TrimLeft(arg, " "))
	head, arg = head+arg[:lead], arg[lead:]
	switch name {
	case ":pass":
		return head, namesWithPrefix(append([]string{"latest", "-1", "+1"}, reversedNames(v.passes)...), arg)
	case ":format":
		return head, namesWithPrefix(formatNames, arg)
	case ":seed":
		return head, namesWithPrefix([]string{"random"}, arg)
	case ":explain":
		start, c := v.expr(arg, false)
		return head + arg[:start], c
	case ":why":
		host, expr, ok := strings.Cut(arg, " ")
		if !ok {
			return head + arg, nil // host names: too many to list
		}
		head += host + " "
		start, c := v.expr(expr, false)
		return head + expr[:start], c
	}
	return head + arg, nil
}

// expr completes the word at the end of before inside a statement and
// returns where that word starts. atStart allows command names at the
// start of the line.
func (v *vocab) expr(before string, atStart bool) (int, []string) {
	start := wordStart(before)
	word, prev := before[start:], strings.TrimRight(before[:start], " \t")
	if strings.HasSuffix(prev, "@") {
		return start, namesWithPrefix(append([]string{"-1", "-2"}, reversedNames(v.passes)...), word)
	}
	if seg, ok := lastStage(prev); ok {
		if c, done := v.stage(seg, word); done {
			return start, c
		}
	}
	if attr, ok := valueContext(prev); ok && v.values != nil {
		if vals := v.values(attr); vals != nil {
			return start, matchValues(vals, word)
		}
	}
	if strings.HasPrefix(word, `"`) || strings.HasPrefix(word, `'`) {
		return start, nil // a host literal
	}
	names := mergeNames(v.sets, v.attrs)
	if word != "" {
		names = mergeNames(names, exprKeywords)
	}
	if atStart && prev == "" {
		names = mergeNames(names, v.commands)
	}
	return start, namesWithPrefix(names, word)
}

// stage completes inside a pipeline stage: the stage name after |, the
// attributes of by/spread/show/stratify. done is false for where, whose
// argument is an expression.
func (v *vocab) stage(seg, word string) ([]string, bool) {
	f := strings.Fields(seg)
	if len(f) == 0 {
		return namesWithPrefix(stageNames, word), true
	}
	switch f[0] {
	case "where":
		return nil, false
	case "by", "spread":
		if len(f) == 1 {
			return namesWithPrefix(v.attrs, word), true
		}
	case "show", "stratify":
		if len(f) == 1 || (len(f) == 2 && strings.HasSuffix(seg, ",")) {
			return namesWithPrefix(v.attrs, word), true
		}
	case "sample":
		if len(f) == 2 {
			return namesWithPrefix([]string{"stable"}, word), true
		}
	}
	return nil, true
}

// wordStart finds the start of the word being completed: an open quoted
// literal, or a run of name characters.
func wordStart(s string) int {
	if q := openQuote(s); q >= 0 {
		return q
	}
	i := len(s)
	for i > 0 && isNameByte(s[i-1]) {
		i--
	}
	return i
}

// openQuote is the offset of an unterminated quote in s, or -1.
func openQuote(s string) int {
	open := -1
	var q byte
	for i := 0; i < len(s); i++ {
		switch {
		case q != 0 && s[i] == q:
			q, open = 0, -1
		case q == 0 && (s[i] == '"' || s[i] == '\''):
			q, open = s[i], i
		}
	}
	return open
}

func isNameByte(c byte) bool {
	return c == '_' || c == '.' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// lastStage returns the text of the pipeline stage being written, if the
// cursor is after a top-level |.
func lastStage(prev string) (string, bool) {
	depth, i := 0, -1
	var q byte
	for j := 0; j < len(prev); j++ {
		c := prev[j]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			i = j
		}
	}
	if i < 0 {
		return "", false
	}
	return strings.TrimSpace(prev[i+1:]), true
}

// valueContext reports the attribute whose value is being written: after
// ATTR =, ==, != or inside ATTR in ( … / ATTR notin ( ….
func valueContext(prev string) (string, bool) {
	for _, op := range []string{"!=", "==", "="} {
		if strings.HasSuffix(prev, op) {
			rest := prev[:len(prev)-len(op)]
			if strings.HasSuffix(rest, "<") || strings.HasSuffix(rest, ">") || strings.HasSuffix(rest, "!") {
				return "", false
			}
			return lastName(strings.TrimRight(rest, " \t"))
		}
	}
	open := strings.LastIndexByte(prev, '(')
	if open < 0 || strings.ContainsAny(prev[open:], ")|") {
		return "", false
	}
	before := strings.TrimRight(prev[:open], " \t")
	for _, kw := range []string{"notin", "in"} {
		if strings.HasSuffix(before, kw) && (len(before) == len(kw) || !isNameByte(before[len(before)-len(kw)-1])) {
			return lastName(strings.TrimRight(before[:len(before)-len(kw)], " \t"))
		}
	}
	return "", false
}

// lastName is the name at the end of s.
func lastName(s string) (string, bool) {
	i := len(s)
	for i > 0 && isNameByte(s[i-1]) {
		i--
	}
	return s[i:], i < len(s)
}

// matchValues keeps the literals that start with word; a word typed
// without its quote matches the unquoted value.
func matchValues(vals []string, word string) []string {
	var out []string
	for _, v := range vals {
		if strings.HasPrefix(v, word) || strings.HasPrefix(strings.Trim(v, `"`), word) {
			out = append(out, v)
		}
	}
	return out
}

func namesWithPrefix(names []string, prefix string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// merge returns the sorted union of two lists.
func mergeNames(a, b []string) []string {
	out := append(append([]string{}, a...), b...)
	sort.Strings(out)
	k := 0
	for i, s := range out {
		if i == 0 || s != out[k-1] {
			out[k] = s
			k++
		}
	}
	return out[:k]
}

func sortedHas(sorted []string, s string) bool {
	i := sort.SearchStrings(sorted, s)
	return i < len(sorted) && sorted[i] == s
}

func reversedNames(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[len(ss)-1-i] = s
	}
	return out
}

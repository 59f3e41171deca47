package ansible

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/fleetq/fleetq/internal/excerpt"
	"github.com/fleetq/fleetq/internal/ingest/source"
)

// maxRange caps how many hosts one host pattern may expand to, so a
// typo such as web[0:99999999] fails instead of exhausting memory. A
// variable only so the fuzz target can lower it.
var maxRange = 100000

var (
	headerRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$`) })
)

// iniReader is the state of the INI reader: the section being read.
type iniReader struct {
	file  string
	inv   *inventory
	group *group
	kind  string // "hosts", "vars" or "children"
}

// parseINI reads an INI inventory the way ansible-core's ini plugin
// does: [group], [group:vars] and [group:children] sections, host lines
// with inline key=value vars (shell-like quoting, # comments), and host
// lines before any section in the implicit ungrouped group.
func parseINI(file string, data []byte, maxExpand int) (*inventory, error) {
	p := &iniReader{file: file, inv: newInventory(maxExpand), kind: "hosts"}
	p.group = p.inv.group("ungrouped")
	p.group.defined = true
	p.inv.group("all").defined = true
	for i, line := range strings.Split(string(data), "\n") {
		if err := p.line(i+1, strings.TrimSpace(line)); err != nil {
			return nil, err
		}
	}
	return p.inv, nil
}

func (p *iniReader) line(n int, line string) error {
	if line == "" || line[0] == '#' || line[0] == ';' {
		return nil
	}
	if m := headerRe().FindStringSubmatch(line); m != nil {
		return p.section(n, m[1], m[2])
	}
	if line[0] == '[' && line[len(line)-1] == ']' {
		return p.errf(n, "invalid section header %q (no spaces or extra ':' allowed)", line)
	}
	switch p.kind {
	case "vars":
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return p.errf(n, "expected key=value in [%s:vars], got %q", p.group.name, line)
		}
		p.inv.setVar(p.group.vars, strings.TrimSpace(k), source.TextValue(strings.TrimSpace(v)))
	case "children":
		child := p.inv.group(line)
		if child == p.group {
			return p.errf(n, "group %s lists itself as a child", line)
		}
		p.group.children = append(p.group.children, child.name)
	default:
		return p.hostLine(n, line)
	}
	return nil
}

func (p *iniReader) section(n int, name, kind string) error {
	switch kind {
	case "":
		kind = "hosts"
	case "vars", "children":
	default:
		return p.errf(n, "section [%s:%s] has unknown type %q (expected :vars or :children)", name, kind, kind)
	}
	p.group, p.kind = p.inv.group(name), kind
	if kind != "vars" {
		p.group.defined = true
	}
	return nil
}

func (p *iniReader) errf(n int, format string, args ...any) error {
	return source.NewLineError(p.file, n, fmt.Sprintf(format, excerpt.Args(args)...)+" (expected "+expected+")")
}

// hostLine reads `pattern [key=value ...]`.
func (p *iniReader) hostLine(n int, line string) error {
	toks, err := shellSplit(line)
	if err != nil {
		return p.errf(n, "host line: %v", err)
	}
	if len(toks) == 0 {
		return nil
	}
	hosts, port, err := p.inv.expand(p.file, n, toks[0].text)
	if errors.Is(err, source.ErrTooManyExpansions) {
		return err
	}
	if err != nil {
		return p.errf(n, "%v", err)
	}
	vars := map[string]any{}
	if port != "" {
		v, _ := strconv.ParseFloat(port, 64)
		vars["ansible_port"] = v
	}
	for _, t := range toks[1:] {
		k, v, ok := strings.Cut(t.text, "=")
		if !ok || k == "" {
			return p.errf(n, "expected key=value after host %s, got %q", toks[0].text, t.text)
		}
		if t.quoted {
			vars[k] = v
		} else {
			vars[k] = source.TextValue(v)
		}
	}
	for _, h := range hosts {
		p.inv.addHost(p.group, h, vars)
	}
	return nil
}

// hostPattern splits off a port and expands the ranges of a host
// pattern, rejecting characters no host name has (a CSV header, a shell
// line) so that other files are not taken for inventories.
func hostPattern(pattern string) (hosts []string, port string, err error) {
	for _, r := range pattern {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r >= 0x80 ||
			strings.ContainsRune("._-:[]%@~", r)
		if !ok {
			return nil, "", fmt.Errorf("host name %q has a character host names cannot have (%q)", excerpt.Text(pattern), r)
		}
	}
	host, port := splitPort(pattern)
	hosts, err = expandRange(host)
	if err != nil {
		return nil, "", fmt.Errorf("host pattern %q: %v", excerpt.Text(pattern), err)
	}
	return hosts, port, nil
}

// token is one shell-split word; quoted reports that its value part
// (after the first '=') was written in quotes.
type token struct {
	text   string
	quoted bool
}

// shellSplit splits a line like Python's shlex.split(line,
// comments=True): blanks separate words, quotes group, a backslash escapes,
// a # at the start of a word starts a comment.
func shellSplit(line string) ([]token, error) {
	var toks []token
	var cur strings.Builder
	in, quoted, seenEq := false, false, false
	flush := func() {
		if in {
			toks = append(toks, token{cur.String(), quoted})
		}
		cur.Reset()
		in, quoted, seenEq = false, false, false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '#' && !in:
			return toks, nil
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			in = true
		case c == '"' || c == '\'':
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("no closing quotation")
			}
			cur.WriteString(line[i+1 : i+1+j])
			quoted = quoted || seenEq
			i += j + 1
			in = true
		default:
			if c == '=' && !seenEq {
				seenEq = true
			}
			cur.WriteByte(c)
			in = true
		}
	}
	flush()
	return toks, nil
}

// splitPort splits `host:port` (and `[v6addr]:port`); a bare IPv6
// address and a host range keep their colons.
func splitPort(s string) (host, port string) {
	if strings.HasPrefix(s, "[") {
		if j := strings.IndexByte(s, ']'); j > 0 {
			if a, err := netip.ParseAddr(s[1:j]); err == nil && a.Is6() {
				rest := s[j+1:]
				if p, ok := strings.CutPrefix(rest, ":"); ok && digits(p) {
					return s[1:j], p
				}
				if rest == "" {
					return s[1:j], ""
				}
			}
		}
	}
	depth, colons, last := 0, 0, -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ':':
			if depth == 0 {
				colons, last = colons+1, i
			}
		}
	}
	if colons == 1 && digits(s[last+1:]) {
		return s[:last], s[last+1:]
	}
	return s, ""
}

func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// expandRange expands Ansible host ranges: [01:03] keeps the zero
// padding of its start, [a:c] runs over letters, [1:9:2] has a step;
// several ranges in one pattern multiply.
func expandRange(pattern string) ([]string, error) {
	out := []string{pattern}
	for {
		var next []string
		changed := false
		for _, p := range out {
			open := strings.IndexByte(p, '[')
			if open < 0 {
				next = append(next, p)
				continue
			}
			closeAt := strings.IndexByte(p[open:], ']')
			if closeAt < 0 {
				return nil, fmt.Errorf("unclosed '[' in host range")
			}
			seq, err := rangeSeq(p[open+1 : open+closeAt])
			if err != nil {
				return nil, err
			}
			for _, s := range seq {
				next = append(next, p[:open]+s+p[open+closeAt+1:])
			}
			changed = true
			if len(next) > maxRange {
				return nil, fmt.Errorf("expands to more than %d hosts", maxRange)
			}
		}
		out = next
		if !changed {
			return out, nil
		}
	}
}

const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// rangeSeq expands the inside of one [beg:end(:step)].
func rangeSeq(r string) ([]string, error) {
	parts := strings.Split(r, ":")
	if len(parts) != 2 && len(parts) != 3 {
		return nil, fmt.Errorf("range [%s] is not [begin:end] or [begin:end:step]", r)
	}
	beg, end, step := parts[0], parts[1], 1
	if beg == "" {
		beg = "0"
	}
	if len(parts) == 3 {
		s, err := strconv.Atoi(parts[2])
		if err != nil || s <= 0 {
			return nil, fmt.Errorf("range step %q is not a positive number", parts[2])
		}
		step = s
	}
	if end == "" {
		return nil, fmt.Errorf("range [%s] has no end", r)
	}
	bi, ei := strings.Index(letters, beg), strings.Index(letters, end)
	if len(beg) == 1 && len(end) == 1 && bi >= 0 && ei >= 0 {
		if bi > ei {
			return nil, fmt.Errorf("range [%s] has begin after end", r)
		}
		var seq []string
		for i := bi; i <= ei; i += step {
			seq = append(seq, letters[i:i+1])
		}
		return seq, nil
	}
	return numSeq(r, beg, end, step)
}

func numSeq(r, beg, end string, step int) ([]string, error) {
	b, err1 := strconv.Atoi(beg)
	e, err2 := strconv.Atoi(end)
	if err1 != nil || err2 != nil || b < 0 {
		return nil, fmt.Errorf("range [%s] is neither numeric nor single letters", r)
	}
	width := 0
	if len(beg) > 1 && beg[0] == '0' {
		if len(beg) != len(end) {
			return nil, fmt.Errorf("range [%s]: zero-padded begin and end must have equal length", r)
		}
		width = len(beg)
	}
	if b > e {
		return nil, fmt.Errorf("range [%s] has begin after end", r)
	}
	if (e-b)/step >= maxRange {
		return nil, fmt.Errorf("expands to more than %d hosts", maxRange)
	}
	var seq []string
	for k := 0; k <= (e-b)/step; k++ {
		seq = append(seq, fmt.Sprintf("%0*d", width, b+k*step))
	}
	return seq, nil
}

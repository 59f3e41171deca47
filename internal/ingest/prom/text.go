package prom

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/store"
)

const textExpected = "a text exposition sample `name{label=\"value\"} value [timestamp_ms]`"

// sample is one sample line of the text exposition format.
type sample struct {
	labels map[string]string // with __name__
	v      float64
	ts     int64 // milliseconds, when hasTS
	hasTS  bool
}

// parseText reads one scrape (one node) in the text exposition format.
func parseText(file string, data []byte) (*store.SourceData, error) {
	var samples []sample
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, source.Errorf(file, i+1, "%v (expected %s)", err, textExpected)
		}
		samples = append(samples, s)
	}
	b := source.NewBuilder("prom", "metrics")
	b.Records(len(samples))
	if len(samples) == 0 {
		return b.Finish(file, data)
	}
	key, alt, err := scrapeHost(file, b, samples)
	if err != nil {
		return nil, err
	}
	h := b.Host(key, alt)
	agg := newAggregator(b)
	for _, s := range samples {
		agg.add(h, s.labels, s.v, s.ts, s.hasTS)
	}
	agg.finish()
	return b.Finish(file, data)
}

// scrapeHost names the host a scrape came from: node_uname_info's
// nodename label (with nodename.domainname as alternative identity when a
// domain is set), else the file's base name without its extension.
func scrapeHost(file string, b *source.Builder, samples []sample) (key, alt string, err error) {
	var uname []map[string]string
	for _, s := range samples {
		if s.labels["__name__"] == "node_uname_info" {
			uname = append(uname, s.labels)
		}
	}
	if len(uname) == 1 && hostkey.Normalize(uname[0]["nodename"]) != "" {
		key = uname[0]["nodename"]
		if d := uname[0]["domainname"]; d != "" && d != "(none)" {
			alt = key + "." + d
		}
		b.Warn(fmt.Sprintf("host %q named by node_uname_info{nodename}", hostkey.Normalize(key)))
		return key, alt, nil
	}
	base := filepath.Base(file)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	switch hostkey.Normalize(base) {
	case "", ".", "-", "<stdin>", "stdin", "/":
		return "", "", source.Errorf(file, 0, "cannot tell which host this scrape is from: no node_uname_info{nodename=...} sample and no file name to name it by (save the scrape as HOST.prom)")
	}
	b.Warn(fmt.Sprintf("host %q named after the file (the scrape has no node_uname_info{nodename})", hostkey.Normalize(base)))
	return base, "", nil
}

// lexer scans one sample line.
type lexer struct {
	s string
	i int
}

// parseSample parses `name{labels} value [timestamp]`, including the
// quoted UTF-8 name form `{"my.metric", "a.b"="c"} value`, escaped label
// values (\\, \", \n) and a trailing OpenMetrics exemplar (`# {...} v`).
func parseSample(line string) (sample, error) {
	p := &lexer{s: line}
	s := sample{labels: map[string]string{}}
	if name := p.ident(true); name != "" {
		s.labels["__name__"] = name
	}
	if p.peek() == '{' {
		if err := p.labelSet(s.labels); err != nil {
			return s, err
		}
	}
	name := s.labels["__name__"]
	if name == "" {
		return s, fmt.Errorf("no metric name at %q", p.rest())
	}
	if !p.space() {
		if p.i >= len(p.s) {
			return s, fmt.Errorf("sample %s has no value", name)
		}
		return s, fmt.Errorf("unexpected %q after %s", p.rest(), name)
	}
	tok := p.token()
	v, err := strconv.ParseFloat(tok, 64)
	if err != nil {
		return s, fmt.Errorf("value %q of %s is not a number", tok, name)
	}
	s.v = v
	p.space()
	if p.i < len(p.s) && p.s[p.i] != '#' {
		tok = p.token()
		if s.ts, err = strconv.ParseInt(tok, 10, 64); err != nil {
			return s, fmt.Errorf("timestamp %q of %s is not integer milliseconds", tok, name)
		}
		s.hasTS = true
		p.space()
	}
	if p.i < len(p.s) && p.s[p.i] != '#' {
		return s, fmt.Errorf("unexpected %q after the sample of %s", p.rest(), name)
	}
	return s, nil
}

func (p *lexer) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *lexer) eat(c byte) bool {
	if p.peek() == c && c != 0 {
		p.i++
		return true
	}
	return false
}

func (p *lexer) rest() string {
	r := p.s[p.i:]
	if len(r) > 40 {
		r = r[:40] + "…"
	}
	return r
}

// space skips blanks and reports whether there were any.
func (p *lexer) space() bool {
	start := p.i
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
	return p.i > start
}

// token reads up to the next blank.
func (p *lexer) token() string {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != ' ' && p.s[p.i] != '\t' {
		p.i++
	}
	return p.s[start:p.i]
}

// ident reads a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or, when metric is
// false, a label name (no ':').
func (p *lexer) ident(metric bool) string {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' ||
			(metric && c == ':') || (p.i > start && c >= '0' && c <= '9')
		if !ok {
			break
		}
		p.i++
	}
	return p.s[start:p.i]
}

// labelSet reads `{a="b",...}` into out. A quoted string with no '=' as
// the first item is the metric name (the UTF-8 name form).
func (p *lexer) labelSet(out map[string]string) error {
	p.i++ // '{'
	for first := true; ; first = false {
		p.space()
		if p.eat('}') {
			return nil
		}
		name, isName, err := p.labelName(first)
		if err != nil {
			return err
		}
		if isName {
			if out["__name__"] != "" {
				return fmt.Errorf("metric name given twice (%s and %q)", out["__name__"], name)
			}
			out["__name__"] = name
		} else if err := p.labelValue(name, out); err != nil {
			return err
		}
		p.space()
		if !p.eat(',') && p.peek() != '}' {
			return fmt.Errorf("expected ',' or '}' in labels, found %q", p.rest())
		}
	}
}

// labelName reads a label name, plain or quoted; isName reports the quoted
// metric name form.
func (p *lexer) labelName(first bool) (name string, isName bool, err error) {
	if p.peek() != '"' {
		if name = p.ident(false); name == "" {
			return "", false, fmt.Errorf("expected a label name, found %q", p.rest())
		}
		return name, false, nil
	}
	if name, err = p.quoted(); err != nil {
		return "", false, err
	}
	p.space()
	if first && (p.peek() == ',' || p.peek() == '}') {
		return name, true, nil
	}
	return name, false, nil
}

func (p *lexer) labelValue(name string, out map[string]string) error {
	p.space()
	if !p.eat('=') {
		return fmt.Errorf("expected '=' after label %s, found %q", name, p.rest())
	}
	p.space()
	if p.peek() != '"' {
		return fmt.Errorf("label %s: expected a quoted value, found %q", name, p.rest())
	}
	v, err := p.quoted()
	if err != nil {
		return err
	}
	if _, dup := out[name]; dup {
		return fmt.Errorf("label %s given twice", name)
	}
	out[name] = v
	return nil
}

// quoted reads a double-quoted string with the escapes \\, \" and \n.
func (p *lexer) quoted() (string, error) {
	p.i++ // '"'
	var sb strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch c {
		case '"':
			return sb.String(), nil
		case '\\':
			if p.i >= len(p.s) {
				return "", fmt.Errorf("unterminated quoted string")
			}
			e := p.s[p.i]
			p.i++
			switch e {
			case '\\', '"':
				sb.WriteByte(e)
			case 'n':
				sb.WriteByte('\n')
			default:
				return "", fmt.Errorf("invalid escape \\%c in a quoted string", e)
			}
		default:
			sb.WriteByte(c)
		}
	}
	return "", fmt.Errorf("unterminated quoted string")
}

package collect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/fleetq/fleetq/internal/ingest"
	"github.com/fleetq/fleetq/internal/ingest/source"
)

// DefaultFile is the sources file fleetq collect reads when none is named.
const DefaultFile = "fleetq.sources.toml"

// The defaults of a file that sets no timeout or deadline: a source that
// has not answered in a minute is down, and a collect that cron runs
// every few minutes ends well before the next one.
const (
	DefaultTimeout  = time.Minute
	DefaultDeadline = 5 * time.Minute
)

// File is a parsed sources file.
type File struct {
	Path     string        // as given to Load
	Deadline time.Duration // the whole collect's bound; 0 when the file sets none
	Sources  []*Source     // one per snapshot: a prom source's queries are one each
}

// Source is one snapshot to read: exactly one of Path, Command and URL
// is set. Paths (Path, Dir, TokenFile, CAFile) are resolved against the
// sources file's directory.
type Source struct {
	Name string // the source's name in the pass (its host set)
	Kind string // an ingest kind
	Line int    // the line of its [[source]] in the file

	Path string

	Command []string
	Dir     string
	Env     []string // KEY=VALUE, added to fleetq's environment

	URL         string // for a prom query, the query URL
	Query       string // the PromQL query of a prom source, "" otherwise
	Headers     map[string]string
	TokenFile   string
	TokenEnv    string
	TokenScheme string // "Bearer" unless the file says (NetBox: "Token")
	CAFile      string
	SkipVerify  bool

	Timeout time.Duration
	// AllowEmpty accepts a snapshot of no hosts (a query of down hosts
	// when none is); otherwise one fails, as ingest refuses it.
	AllowEmpty bool
}

// Origin is where the source is read from, as a pass records it: the
// path, the command line, or the URL without credentials.
func (s *Source) Origin() string {
	switch {
	case s.Path != "":
		return s.Path
	case len(s.Command) > 0:
		return "command: " + argvLine(s.Command)
	}
	if u, err := url.Parse(s.URL); err == nil {
		return u.Redacted()
	}
	return s.URL
}

// rawFile is the file as decoded: each [[source]] is kept whole and
// decoded on its own, so that a value of the wrong type is reported at
// its own source's line (the decoder knows only the last line of each
// key path, the same for every [[source]]).
type rawFile struct {
	Deadline toml.Primitive   `toml:"deadline"`
	Sources  []toml.Primitive `toml:"source"`
}

type rawSource struct {
	Name        string      `toml:"name"`
	Kind        string      `toml:"kind"`
	Path        string      `toml:"path"`
	Command     []string    `toml:"command"`
	Dir         string      `toml:"dir"`
	Env         stringTable `toml:"env"`
	URL         string      `toml:"url"`
	Query       string      `toml:"query"`
	Queries     []string    `toml:"queries"`
	Headers     stringTable `toml:"headers"`
	TokenFile   string      `toml:"token_file"`
	TokenEnv    string      `toml:"token_env"`
	TokenScheme string      `toml:"token_scheme"`
	CAFile      string      `toml:"ca_file"`
	SkipVerify  bool        `toml:"tls_skip_verify"`
	Timeout     string      `toml:"timeout"`
	AllowEmpty  bool        `toml:"allow_empty"`
}

// sourceKeys are the keys of a [[source]], as the error for an unknown
// one lists them.
const sourceKeys = "name, kind, path, command, dir, env, url, query, queries, headers, token_file, token_env, token_scheme, ca_file, tls_skip_verify, timeout, allow_empty"

// Load reads and checks a sources file. Every error is one line naming
// FILE:LINE and what was expected.
func Load(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	text, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	case len(text) > MaxFileBytes:
		return nil, fmt.Errorf("%s: more than %d bytes: expected a sources file a person writes (docs/limits.md)", path, MaxFileBytes)
	}
	return Parse(path, text)
}

// MaxFileBytes bounds a sources file, as a definitions file is bounded:
// --sources /dev/zero is refused, not read until memory runs out.
const MaxFileBytes = 16 << 20

// Parse checks the text of a sources file read from path (relative
// paths inside it are resolved against path's directory).
func Parse(path string, text []byte) (*File, error) {
	p := &parser{file: path, dir: filepath.Dir(path), idx: indexLines(text)}
	var raw rawFile
	md, err := toml.NewDecoder(bytes.NewReader(text)).Decode(&raw)
	if err != nil {
		if key, found, ok := typeMismatch(err); ok && key == "source" {
			return nil, p.errf(tableLine(text, "source"), "source: expected [[source]] tables, one per source (found %s: write [[source]], with two brackets)", found)
		}
		return nil, p.decodeErr(err)
	}
	deadline, err := p.deadline(md, raw.Deadline)
	if err != nil {
		return nil, err
	}
	sources := make([]rawSource, len(raw.Sources))
	for i := range raw.Sources {
		if err := md.PrimitiveDecode(raw.Sources[i], &sources[i]); err != nil {
			return nil, p.sourceTypeErr(md, i, raw.Sources[i], err)
		}
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, p.unknownKey(und[0])
	}
	f := &File{Path: path}
	if deadline != "" {
		if f.Deadline, err = parseDuration(deadline); err != nil {
			return nil, p.errf(p.idx.top["deadline"], "deadline %q: %v", deadline, err)
		}
	}
	if len(sources) == 0 {
		return nil, p.errf(0, "no [[source]]: expected at least one, with a name, a kind and one of path, command or url")
	}
	seen := map[string]int{}
	for i := range sources {
		srcs, err := p.source(i, &sources[i])
		if err != nil {
			return nil, err
		}
		for _, s := range srcs {
			key := s.Kind + ":" + s.Name
			if line, dup := seen[key]; dup {
				return nil, p.errf(s.Line, "source %s is also the source at line %d: expected each kind:name once (give one a different name)", key, line)
			}
			seen[key] = s.Line
		}
		f.Sources = append(f.Sources, srcs...)
	}
	return f, nil
}

// deadline decodes the file's deadline, "" when it has none.
func (p *parser) deadline(md toml.MetaData, prim toml.Primitive) (string, error) {
	var d string
	if !md.IsDefined("deadline") {
		return "", nil
	}
	if err := md.PrimitiveDecode(prim, &d); err != nil {
		_, found, _ := typeMismatch(err)
		return "", p.errf(p.idx.top["deadline"], "deadline: expected %s (found %s)", `a duration in quotes, deadline = "5m"`, found)
	}
	return d, nil
}

type parser struct {
	file string
	dir  string
	idx  lineIndex
}

func (p *parser) errf(line int, format string, args ...any) error {
	where := p.file
	if line > 0 {
		where += ":" + strconv.Itoa(line)
	}
	return fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...))
}

var tomlLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^toml: line (\d+)(?: \(last key "([^"]*)"\))?: (.*)$`)
})

// decodeErr turns the decoder's error into FILE:LINE: message.
func (p *parser) decodeErr(err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := pe.Message
		if pe.LastKey != "" {
			msg = pe.LastKey + ": " + msg
		}
		return p.errf(pe.Position.Line, "%s", oneLine(msg))
	}
	if m := tomlLine().FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		if m[2] != "" {
			return p.errf(n, "%s: %s", m[2], oneLine(m[3]))
		}
		return p.errf(n, "%s", oneLine(m[3]))
	}
	return p.errf(0, "%s", oneLine(err.Error()))
}

// unknownKey names the first key the file has that no field takes.
func (p *parser) unknownKey(k toml.Key) error {
	if len(k) >= 2 && k[0] == "source" {
		key := k[1]
		return p.errf(p.idx.firstKey(key), "unknown key %q in a [[source]] (expected %s)", strings.Join(k[1:], "."), sourceKeys)
	}
	return p.errf(p.idx.top[k[0]], "unknown key %q (expected deadline or [[source]])", k.String())
}

// source checks the i-th [[source]] and returns what it reads: one
// source, or one per query of a prom source.
func (p *parser) source(i int, r *rawSource) ([]*Source, error) {
	line := p.idx.sourceLine(i)
	at := func(key string) int {
		if n := p.idx.key(i, key); n > 0 {
			return n
		}
		return line
	}
	s := &Source{Name: r.Name, Kind: r.Kind, Line: line, TokenScheme: "Bearer", AllowEmpty: r.AllowEmpty}
	if r.Name == "" {
		return nil, p.errf(line, "[[source]] without a name: expected name = \"NAME\", the source's host set in the pass")
	}
	if !source.ValidSetName(r.Name) {
		return nil, p.errf(at("name"), "name %q: expected a set name (letters, digits, _ . -, starting with a letter or _; not all)", r.Name)
	}
	if r.Kind == "" {
		return nil, p.errf(line, "source %s has no kind: expected kind = one of %s", r.Name, strings.Join(ingest.KindNames(), ", "))
	}
	if !slices.Contains(ingest.KindNames(), r.Kind) {
		return nil, p.errf(at("kind"), "source %s: unknown kind %q (expected one of %s)", r.Name, r.Kind, strings.Join(ingest.KindNames(), ", "))
	}
	for _, t := range []struct {
		key string
		tab stringTable
	}{{"env", r.Env}, {"headers", r.Headers}} {
		if t.tab.found != "" {
			return nil, p.errf(at(t.key), "source %s: %s: expected %s (found %s)", r.Name, t.key, keyTypes[t.key], t.tab.found)
		}
	}
	if err := p.origin(s, r, at); err != nil {
		return nil, err
	}
	s.Timeout = DefaultTimeout
	if r.Timeout != "" {
		d, err := parseDuration(r.Timeout)
		if err != nil {
			return nil, p.errf(at("timeout"), "source %s: timeout %q: %v", r.Name, r.Timeout, err)
		}
		s.Timeout = d
	}
	return p.queries(s, r, at)
}

// origin checks that exactly one of path, command and url is given, and
// the options that go with it.
func (p *parser) origin(s *Source, r *rawSource, at func(string) int) error {
	var given []string
	for _, o := range []struct {
		key string
		set bool
	}{{"path", r.Path != ""}, {"command", r.Command != nil}, {"url", r.URL != ""}} {
		if o.set {
			given = append(given, o.key)
		}
	}
	switch len(given) {
	case 0:
		return p.errf(s.Line, "source %s: expected one of path, command or url", s.Name)
	case 1:
	default:
		return p.errf(at(given[1]), "source %s has both %s and %s: expected exactly one of path, command or url", s.Name, given[0], given[1])
	}
	if err := p.onlyWith(s.Name, given[0], r, at); err != nil {
		return err
	}
	if err := p.noNUL(s.Name, r, at); err != nil {
		return err
	}
	switch given[0] {
	case "path":
		s.Path = p.resolve(r.Path)
		return nil
	case "command":
		return p.command(s, r, at)
	}
	return p.url(s, r, at)
}

// onlyWith refuses an option of another origin than the one given.
func (p *parser) onlyWith(name, origin string, r *rawSource, at func(string) int) error {
	for _, o := range []struct {
		key, with string
		set       bool
	}{
		{"dir", "command", r.Dir != ""}, {"env", "command", r.Env.set()},
		{"query", "url", r.Query != ""}, {"queries", "url", r.Queries != nil}, {"headers", "url", r.Headers.set()},
		{"token_file", "url", r.TokenFile != ""}, {"token_env", "url", r.TokenEnv != ""}, {"token_scheme", "url", r.TokenScheme != ""},
		{"ca_file", "url", r.CAFile != ""}, {"tls_skip_verify", "url", r.SkipVerify},
	} {
		if o.set && o.with != origin {
			return p.errf(at(o.key), "source %s: %s goes with %s, not %s", name, o.key, o.with, origin)
		}
	}
	return nil
}

// noNUL refuses a NUL byte (TOML's "\u0000") in a path, an argument or
// a variable: no system call takes one, so the source would fail at
// every collect instead of the file failing once, here.
func (p *parser) noNUL(name string, r *rawSource, at func(string) int) error {
	type value struct{ key, what, v string }
	vals := []value{{"path", "path", r.Path}, {"dir", "dir", r.Dir}, {"token_file", "token_file", r.TokenFile}, {"ca_file", "ca_file", r.CAFile}}
	for i, a := range r.Command {
		vals = append(vals, value{"command", "command argument " + strconv.Itoa(i+1), a})
	}
	for _, k := range sortedKeys(r.Env.m) {
		vals = append(vals, value{"env", "env " + k, r.Env.m[k]})
	}
	for _, v := range vals {
		if strings.IndexByte(v.v, 0) >= 0 {
			return p.errf(at(v.key), "source %s: %s %q: expected no NUL byte in it", name, v.what, v.v)
		}
	}
	return nil
}

// headerName is an HTTP header name: RFC 9110's token.
var headerName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$") })

// hasControl reports whether s has a control character other than a
// tab: what an HTTP header value cannot carry.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r != '\t' && (r < 0x20 || r == 0x7f) })
}

var envName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

func (p *parser) command(s *Source, r *rawSource, at func(string) int) error {
	if len(r.Command) == 0 || r.Command[0] == "" {
		return p.errf(at("command"), "source %s: command = []: expected the program and its arguments, [\"hdfs\", \"dfsadmin\", \"-report\"] (no shell)", s.Name)
	}
	s.Command = slices.Clone(r.Command)
	if r.Dir != "" {
		s.Dir = p.resolve(r.Dir)
	}
	for _, k := range sortedKeys(r.Env.m) {
		if !envName().MatchString(k) {
			return p.errf(at("env"), "source %s: env %q: expected a variable name (letters, digits, _)", s.Name, k)
		}
		s.Env = append(s.Env, k+"="+r.Env.m[k])
	}
	return nil
}

func (p *parser) url(s *Source, r *rawSource, at func(string) int) error {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return p.errf(at("url"), "source %s: url %q: expected an http:// or https:// URL with a host", s.Name, r.URL)
	}
	s.URL = r.URL
	if r.TokenFile != "" && r.TokenEnv != "" {
		return p.errf(at("token_env"), "source %s has both token_file and token_env: expected one", s.Name)
	}
	if r.TokenEnv != "" && !envName().MatchString(r.TokenEnv) {
		return p.errf(at("token_env"), "source %s: token_env %q: expected a variable name", s.Name, r.TokenEnv)
	}
	if r.TokenScheme != "" {
		if r.TokenFile == "" && r.TokenEnv == "" {
			return p.errf(at("token_scheme"), "source %s: token_scheme without token_file or token_env", s.Name)
		}
		if strings.ContainsAny(r.TokenScheme, " \t") || hasControl(r.TokenScheme) {
			return p.errf(at("token_scheme"), "source %s: token_scheme %q: expected one word (Bearer, Token)", s.Name, r.TokenScheme)
		}
		s.TokenScheme = r.TokenScheme
	}
	for _, k := range sortedKeys(r.Headers.m) {
		if !headerName().MatchString(k) || hasControl(r.Headers.m[k]) {
			return p.errf(at("headers"), "source %s: header %q: expected a header name and a one-line value without control characters", s.Name, k)
		}
	}
	s.Headers, s.TokenEnv, s.SkipVerify = r.Headers.m, r.TokenEnv, r.SkipVerify
	if r.TokenFile != "" {
		s.TokenFile = p.resolve(r.TokenFile)
	}
	if r.CAFile != "" {
		s.CAFile = p.resolve(r.CAFile)
	}
	return nil
}

// queries expands a prom source's queries into one source each: the
// first keeps the source's name, each other one is NAME_METRIC when the
// query is a bare metric name (metrics_node_uname_info), else NAME_N
// (its 1-based place in the list).
func (p *parser) queries(s *Source, r *rawSource, at func(string) int) ([]*Source, error) {
	if r.Query == "" && r.Queries == nil {
		return []*Source{s}, nil
	}
	if s.Kind != "prom" {
		return nil, p.errf(at("queries"), "source %s: queries go with kind prom, not %s", s.Name, s.Kind)
	}
	if r.Query != "" && r.Queries != nil {
		return nil, p.errf(at("queries"), "source %s has both query and queries: expected one", s.Name)
	}
	qs := r.Queries
	if r.Query != "" {
		qs = []string{r.Query}
	}
	if len(qs) == 0 {
		return nil, p.errf(at("queries"), "source %s: queries = []: expected one or more PromQL queries, [\"up\", \"node_uname_info\"]", s.Name)
	}
	var out []*Source
	for i, q := range qs {
		if strings.TrimSpace(q) == "" {
			return nil, p.errf(at("queries"), "source %s: query %d is empty: expected a PromQL query", s.Name, i+1)
		}
		c := *s
		c.Query, c.URL = q, queryURL(s.URL, q)
		if i > 0 {
			c.Name = queryName(s.Name, i, q)
		}
		out = append(out, &c)
	}
	return out, nil
}

var metricName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`) })

// queryName is the source name of the i-th (0-based, i > 0) query q of
// source name.
func queryName(name string, i int, q string) string {
	q = strings.TrimSpace(q)
	if metricName().MatchString(q) {
		return name + "_" + strings.ReplaceAll(q, ":", "_")
	}
	return name + "_" + strconv.Itoa(i+1)
}

// queryURL is the instant-query URL of q on the Prometheus server at
// server (a base URL, perhaps with a path prefix).
func queryURL(server, q string) string {
	u, _ := url.Parse(server) // checked by url
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v1/query"
	u.RawQuery = url.Values{"query": {q}}.Encode()
	return u.String()
}

// resolve makes a path of the file relative to the file's directory.
func (p *parser) resolve(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.dir, path)
}

// parseDuration reads a Go duration ("10s", "2m", "1m30s") that is
// positive.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, errors.New("expected a positive duration such as 10s, 2m or 1m30s")
	}
	return d, nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

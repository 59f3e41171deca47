package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/store"
)

// Kind is one source kind: how to parse it and how to recognise it.
type Kind struct {
	Name  string
	Parse func(file string, data []byte) (*store.SourceData, error)
	Looks func(data []byte) bool
	Help  string
}

// sniffBytes is how much of a file content sniffing looks at: enough for
// any header, and cheap on a 100 MB inventory.
const sniffBytes = 64 << 10

// Kinds lists the source kinds, in the order content sniffing tries them
// (most specific first; inventory CSV and host lists last).
func Kinds() []Kind {
	return []Kind{
		{"hdfs", ParseHDFS, LooksLikeHDFS, "hdfs dfsadmin -report text (Hadoop 2.7, 3.x, filtered reports)"},
		{"yarn", ParseYARN, LooksLikeYARN, "yarn node -list -all text"},
		{"k8s", ParseK8s, LooksLikeK8s, "kubectl get nodes -o json, or the API NodeList"},
		{"prom", ParseProm, LooksLikeProm, "Prometheus HTTP API query JSON, or the text exposition format"},
		{"netbox", ParseNetBox, LooksLikeNetBox, "NetBox device CSV export or API device list JSON"},
		{"ansible", ParseAnsible, LooksLikeAnsible, "Ansible INI or YAML inventory, or ansible-inventory --list JSON"},
		{"inventory", ParseInventory, looksLikeInventory, "CSV with a host column, or JSON lines with a host field"},
		{"hosts", nil, looksLikeHostList, "one host per line; the set is named after the file"},
	}
}

// KindNames lists the kind names.
func KindNames() []string {
	var out []string
	for _, k := range Kinds() {
		out = append(out, k.Name)
	}
	return out
}

func kindByName(name string) (Kind, bool) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// Spec is one source argument: KIND:PATH, KIND:NAME=PATH (a host list
// named NAME), or a bare PATH whose kind is detected from its content.
type Spec struct {
	Kind string // "" to detect
	Name string // set name for host lists; "" for the default
	Path string // "-" for standard input
}

// kindWord is what a mistyped kind looks like (`hfds:` in hfds:report.txt):
// a path's directory part has a slash or a dot, a kind has neither.
var kindWord = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ParseSpec parses a source argument. A KIND: prefix that is not a kind is
// an error, unless the whole argument names an existing file.
func ParseSpec(arg string) (Spec, error) {
	if i := strings.IndexByte(arg, ':'); i > 0 {
		if _, ok := kindByName(arg[:i]); ok {
			s := Spec{Kind: arg[:i], Path: arg[i+1:]}
			if j := strings.IndexByte(s.Path, '='); j > 0 && ValidName(s.Path[:j]) {
				s.Name, s.Path = s.Path[:j], s.Path[j+1:]
			}
			if s.Path == "" {
				return s, fmt.Errorf("%s: no path after the kind (expected KIND:PATH)", arg)
			}
			return s, nil
		}
		if kindWord.MatchString(arg[:i]) && !exists(arg) {
			return Spec{}, fmt.Errorf("%s: unknown source kind %q (expected KIND:PATH with a kind of %s)", arg, arg[:i], strings.Join(KindNames(), ", "))
		}
	}
	if arg == "-" {
		return Spec{}, errors.New("-: standard input needs a kind (expected KIND:-, e.g. inventory:-)")
	}
	return Spec{Path: arg}, nil
}

// Options control how one source is read.
type Options struct {
	Stdin      io.Reader
	AllowEmpty bool
	Now        func() time.Time
	// Wrap, when set, wraps the reader of the file or standard input, so
	// a caller can count the bytes as they are read (a progress line).
	Wrap func(io.Reader) io.Reader
	// Limits bound the source; zero fields take their defaults.
	Limits Limits
}

// Read reads and parses one source. Nothing is written anywhere.
func Read(spec Spec, opts Options) (*store.SourceData, error) {
	file := spec.Path
	if file == "-" {
		file = "<stdin>"
	}
	if spec.Kind == "hosts" { // refuse a bad set name before reading stdin
		if _, err := hostSetName(spec, file); err != nil {
			return nil, err
		}
	}
	lim := opts.Limits.withDefaults()
	data, err := readInput(spec, file, opts.Stdin, bounded(opts.Wrap, file, lim, spec.Kind))
	if err != nil {
		return nil, err
	}
	kind, err := resolveKind(spec, data, file)
	if err != nil {
		return nil, err
	}
	src, err := parseAs(kind, spec, file, data, lim)
	if err != nil && !(errors.Is(err, ErrEmpty) && opts.AllowEmpty && src != nil) {
		return nil, err
	}
	if err := checkBounds(file, data, src, lim); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	src.Path, src.Hash, src.ReadAt = spec.Path, hex.EncodeToString(sum[:]), now()
	return src, nil
}

// bounded wraps the reader of a source in wrap (when set), then in a
// boundedReader: the caller counts the bytes the bounds let through.
func bounded(wrap func(io.Reader) io.Reader, file string, lim Limits, kind string) func(io.Reader) io.Reader {
	return func(r io.Reader) io.Reader {
		if wrap != nil {
			r = wrap(r)
		}
		return newBoundedReader(r, file, lim, kind)
	}
}

func readInput(spec Spec, file string, stdin io.Reader, wrap func(io.Reader) io.Reader) ([]byte, error) {
	if spec.Path == "-" {
		if stdin == nil {
			return nil, errors.New("<stdin>: no standard input")
		}
		return readAll(wrap(stdin))
	}
	data, err := readFile(spec.Path, wrap)
	var le *LineError
	if err != nil && !errors.As(err, &le) {
		return nil, fmt.Errorf("%s: %w", spec.Path, unwrapPathError(err))
	}
	return data, err
}

// readAll is io.ReadAll into a bytes.Buffer, which grows by doubling.
func readAll(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// readFile is os.ReadFile through wrap: one buffer of the file's size.
// A regular file larger than the source bound is refused before reading.
func readFile(path string, wrap func(io.Reader) io.Reader) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := wrap(f)
	var buf bytes.Buffer
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if err := checkSize(r, fi.Size()); err != nil {
			return nil, err
		}
		buf.Grow(int(fi.Size()) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkSize refuses a file whose size is over the bound of r, when r is
// a boundedReader, without reading it.
func checkSize(r io.Reader, size int64) error {
	if b, ok := r.(*boundedReader); ok && size > b.max {
		return boundError(b.file, 0, ErrSourceTooLarge, fmt.Sprintf("%d bytes", size), b.max, "--max-source-bytes")
	}
	return nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func resolveKind(spec Spec, data []byte, file string) (Kind, error) {
	if spec.Kind != "" {
		k, ok := kindByName(spec.Kind)
		if !ok {
			return Kind{}, fmt.Errorf("%s: unknown kind %q (expected one of %s)", file, spec.Kind, strings.Join(KindNames(), ", "))
		}
		return k, nil
	}
	if !hasDataLine(data) {
		return Kind{}, Errorf(file, 0, "empty file: its kind cannot be detected (an empty CMDB dump is an outage; for an empty host list say hosts:%s)", spec.Path)
	}
	if !isText(data) {
		return Kind{}, Errorf(file, 1, "binary data (expected a text report, JSON, CSV or a host list)")
	}
	head := data[:min(len(data), sniffBytes)]
	for _, k := range Kinds() {
		if k.Looks(head) {
			return k, nil
		}
	}
	return Kind{}, Errorf(file, 1, "cannot tell what kind of source this is (name it: KIND:PATH, KIND one of %s)", strings.Join(KindNames(), ", "))
}

// splitLines splits data at LF, CRLF or a lone CR (old Mac and some
// exporters' line ends), so a CR-only file is not one long line.
func splitLines(data []byte) [][]byte {
	if bytes.IndexByte(data, '\r') < 0 {
		return bytes.Split(data, []byte("\n"))
	}
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	return bytes.Split(bytes.ReplaceAll(data, []byte("\r"), []byte("\n")), []byte("\n"))
}

// hasDataLine reports whether data has a line that is neither blank nor a
// # comment, whatever its line endings (LF, CRLF or a lone CR): a file of
// comments and blank lines is empty, not a host list of no hosts.
// It stops at the first data line, so a real file costs nothing.
func hasDataLine(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	for len(data) > 0 {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			i = len(data) - 1
		}
		if line := bytes.TrimSpace(data[:i+1]); len(line) > 0 && line[0] != '#' {
			return true
		}
		data = data[i+1:]
	}
	return false
}

func parseAs(k Kind, spec Spec, file string, data []byte, lim Limits) (*store.SourceData, error) {
	if k.Name == "hosts" {
		name, err := hostSetName(spec, file)
		if err != nil {
			return nil, err
		}
		return ParseHosts(file, name, data)
	}
	parse := k.Parse
	if k.Name == "ansible" { // the one kind whose input expands
		parse = func(file string, data []byte) (*store.SourceData, error) {
			return parseAnsible(file, data, lim.Expansions)
		}
	}
	src, err := parse(file, data)
	if src != nil && spec.Name != "" {
		src.Name = spec.Name
	}
	return src, err
}

// hostSetName is the set name of a host list: the one given, else the
// file's base name.
func hostSetName(spec Spec, file string) (string, error) {
	name := spec.Name
	if name == "" {
		name = SetNameFor(spec.Path)
	}
	if !ValidSetName(name) {
		return "", Errorf(file, 0, "%q cannot be a set name (rename the file, or give hosts:NAME=%s)", name, spec.Path)
	}
	return name, nil
}

func looksLikeInventory(data []byte) bool {
	if looksLikeJSONLines(data) {
		return strings.Contains(firstLines(data, 5), `"host"`)
	}
	header := strings.ToLower(strings.TrimPrefix(firstLines(data, 1), "\ufeff"))
	for _, f := range strings.Split(header, ",") {
		if strings.Trim(strings.TrimSpace(f), `"`) == "host" {
			return true
		}
	}
	return false
}

func looksLikeHostList(data []byte) bool {
	for _, line := range strings.Split(firstLines(data, 50), "\n") {
		s := strings.TrimSpace(line)
		if s != "" && s[0] != '#' && strings.ContainsAny(s, " \t,{}[]:=") {
			return false
		}
	}
	return true
}

// firstLines returns up to n non-comment, non-blank lines.
func firstLines(data []byte, n int) string {
	var out []string
	for _, line := range strings.SplitN(string(data[:min(len(data), 64<<10)]), "\n", 200) {
		s := strings.TrimSpace(line)
		if s == "" || s[0] == '#' {
			continue
		}
		if out = append(out, s); len(out) == n {
			break
		}
	}
	return strings.Join(out, "\n")
}

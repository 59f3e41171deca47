package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/fleetq/fleetq/internal/ingest/hosts"
	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/store"
)

// Options control how one source is read.
type Options struct {
	Stdin io.Reader
	// StdinName names standard input in messages ("<stdin>" when empty):
	// fleetq collect feeds a command's output or a response body as
	// standard input and names it after the source.
	StdinName  string
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
		if opts.StdinName != "" {
			file = opts.StdinName
		}
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
			return nil, fmt.Errorf("%s: no standard input", file)
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
		return source.BoundError(b.file, 0, ErrSourceTooLarge, fmt.Sprintf("%d bytes", size), b.max, "--max-source-bytes")
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

func parseAs(k Kind, spec Spec, file string, data []byte, lim Limits) (*store.SourceData, error) {
	if k.Name == "hosts" {
		name, err := hostSetName(spec, file)
		if err != nil {
			return nil, err
		}
		return hosts.Parse(file, name, data)
	}
	parse := k.Parse
	if k.Name == "ansible" { // the one kind whose input expands
		parse = parseAnsible(lim.Expansions)
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
		name = hosts.SetNameFor(spec.Path)
	}
	if !source.ValidSetName(name) {
		return "", source.Errorf(file, 0, "%q cannot be a set name (rename the file, or give hosts:NAME=%s)", name, spec.Path)
	}
	return name, nil
}

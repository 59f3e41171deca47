package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/store"
)

// manifestName is the file export writes last, listing every set file.
const manifestName = "MANIFEST"

type exportOptions struct{ pass int64 }

func (o *exportOptions) AddFlags(fs *pflag.FlagSet) {
	fs.Int64Var(&o.pass, "pass", 0, "export pass N (default: the newest)")
}

// Validate accepts any pass id: one the database lacks is an error when
// it is read.
func (o *exportOptions) Validate() error { return nil }

func newExportCommand(a *app) *cobra.Command {
	o := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export [--pass N] DIR",
		Short: "Write every named set of a pass as a sorted host-list file",
		Long: `Write every named set of the newest pass (or --pass N) to DIR/NAME: one
host per line in byte order (what LC_ALL=C sort gives), with a trailing
newline; an empty set is an empty file. The files work with comm, join,
grep and diff as they are.

DIR/MANIFEST, written after the set files, lists the pass, its creation
time and label, and per set: name, host count, sha256 of the file and
where the set comes from. Each file is written to a temporary name and
renamed, so a reader never sees half a file; files are created 0666 less
the umask. DIR/.fleetq-export.json records the files export wrote: a set
file of an earlier export that this one does not write is removed when it
still holds what that export wrote, and no other file is ever removed.

Examples:
  fleetq export /srv/fleet/now
  fleetq export --pass 41 /tmp/p41 && fleetq export /tmp/p42
  comm -13 /tmp/p41/dead /tmp/p42/dead        # newly dead hosts

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runExport(a, o, args[0]) },
	}
	a.bind(cmd, o)
	return prints(cmd, (*exported)(nil))
}

// exportManifest is what MANIFEST records (and --format json prints).
type exportManifest struct {
	Pass    int64         `json:"pass"`
	Created string        `json:"created"`
	Label   string        `json:"label,omitempty"`
	Sets    []exportedSet `json:"sets"`
	// Skipped are sets whose names cannot be file names (MANIFEST, from a
	// database older than the rule that refuses it at ingest).
	Skipped []string `json:"skipped,omitempty"`
	hosts   [][]string
}

type exportedSet struct {
	Name   string `json:"name"`
	Hosts  int    `json:"hosts"`
	SHA256 string `json:"sha256"`
	Origin string `json:"origin"`
}

func runExport(a *app, o *exportOptions, dir string) error {
	var m *exportManifest
	err := a.view(func(tx *store.Tx) (err error) {
		m, err = collectExport(tx, o.pass)
		return err
	})
	if err != nil {
		return err
	}
	if err := writeExport(dir, m); err != nil {
		return err
	}
	for _, name := range m.Skipped {
		fmt.Fprintf(a.stderr, "fleetq: warning: set %q not exported: its name cannot be a file of the export\n", name)
	}
	return a.print(&exported{m, dir})
}

// exported is the result of fleetq export: the manifest it wrote.
type exported struct {
	*exportManifest
	dir string
}

func (e *exported) jsonValue() any { return e.exportManifest }

func (e *exported) writeText(w *textWriter) {
	fmt.Fprintf(w, "exported pass %d: %d sets to %s\n", e.Pass, len(e.Sets), e.dir)
	rows := make([][]string, len(e.Sets))
	for i, s := range e.Sets {
		rows[i] = []string{s.Name, strconv.Itoa(s.Hosts)}
	}
	writeTable(w, []string{"SET", "HOSTS"}, rows)
}

// collectExport reads every named set of a pass as sorted names.
func collectExport(tx *store.Tx, pass int64) (*exportManifest, error) {
	p, err := tx.Pass(pass)
	if err != nil {
		return nil, err
	}
	info := p.Info()
	m := &exportManifest{Pass: info.ID, Created: info.Created.Format("2006-01-02T15:04:05Z"), Label: info.Label, Sets: []exportedSet{}}
	for _, name := range p.SetNames() {
		if safeSetFile(name) != nil {
			m.Skipped = append(m.Skipped, name)
			continue
		}
		bm, ok, err := p.Set(name)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("set %s of pass %d does not load: %w", name, info.ID, store.ErrCorrupt)
		}
		hosts := tx.Hosts().Names(bm)
		m.Sets = append(m.Sets, exportedSet{Name: name, Hosts: len(hosts), Origin: p.Origin(name)})
		m.hosts = append(m.hosts, hosts)
	}
	return m, nil
}

// writeExport writes the set files, then MANIFEST, then the export's own
// record of what it wrote (recordName), then removes the files an earlier
// export wrote that this one does not, when they still hold what that
// export wrote: a file export did not write, or that was changed since,
// is never removed.
func writeExport(dir string, m *exportManifest) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	stale := previousExport(dir, recordName, func(name string) bool { return safeSetFile(name) == nil })
	rec := exportRecord{Files: []exportedFile{}}
	for i := range m.Sets {
		sum, err := writeHostFile(filepath.Join(dir, m.Sets[i].Name), m.hosts[i])
		if err != nil {
			return err
		}
		m.Sets[i].SHA256 = sum
		rec.Files = append(rec.Files, exportedFile{Name: m.Sets[i].Name, SHA256: sum})
		delete(stale, m.Sets[i].Name)
	}
	if _, err := writeExportFile(filepath.Join(dir, manifestName), m.writeText); err != nil {
		return err
	}
	if _, err := writeExportFile(filepath.Join(dir, recordName), rec.write); err != nil {
		return err
	}
	removeStale(dir, stale)
	return nil
}

// recordName is where export records the files it wrote, as JSON, so a
// later export knows what it may remove. A set name never starts with a
// dot, so no set file can take its place.
const recordName = ".fleetq-export.json"

type exportRecord struct {
	Files []exportedFile `json:"files"`
}

type exportedFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

func (r *exportRecord) write(w io.Writer) error { return json.NewEncoder(w).Encode(r) }

// previousExport maps each file the previous export into dir recorded
// in its record file to the sha256 it wrote; names safe refuses (ones
// that could leave dir) are dropped.
func previousExport(dir, record string, safe func(name string) bool) map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile(filepath.Join(dir, record))
	if err != nil {
		return out
	}
	var r exportRecord
	if json.Unmarshal(b, &r) != nil {
		return out
	}
	for _, f := range r.Files {
		if safe(f.Name) {
			out[f.Name] = f.SHA256
		}
	}
	return out
}

// removeStale removes each file of stale whose content still has the
// recorded sha256.
func removeStale(dir string, stale map[string]string) {
	for name, sum := range stale {
		path := filepath.Join(dir, name)
		if got, err := fileSHA256(path); err == nil && got == sum {
			_ = os.Remove(path)
		}
	}
}

// fileSHA256 hashes a regular file; anything else (a link, a fifo) is an
// error, so it is neither read nor removed.
func fileSHA256(path string) (string, error) {
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s: not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeHostFile writes one host per line and returns the file's sha256.
func writeHostFile(path string, hosts []string) (string, error) {
	return writeExportFile(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 256<<10)
		for _, h := range hosts {
			bw.WriteString(h)
			bw.WriteByte('\n')
		}
		return bw.Flush()
	})
}

// writeExportFile writes path through a temporary file in the same
// directory and a rename, and returns the hex sha256 of what it wrote.
// The file is created 0666 less the umask, as any tool's output is.
func writeExportFile(path string, fill func(io.Writer) error) (string, error) {
	f, err := createTemp(filepath.Dir(path))
	if err != nil {
		return "", fmt.Errorf("export %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	h := sha256.New()
	err = fill(io.MultiWriter(f, h))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return "", fmt.Errorf("export %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// createTemp is os.CreateTemp with mode 0666 (os.CreateTemp uses 0600,
// which no umask widens).
func createTemp(dir string) (*os.File, error) {
	for {
		name := filepath.Join(dir, fmt.Sprintf(".export-%016x", rand.Uint64()))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
}

// writeText is the MANIFEST format: "key<TAB>value" header lines, then
// one "name<TAB>hosts<TAB>sha256<TAB>origin" line per set. It is for
// people and scripts to read; export itself never reads it back. A label
// or origin holding a tab, a newline or another control character is
// written quoted, with escapes, so it stays on its line.
func (m *exportManifest) writeText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# fleetq export: one file per named set, hosts in byte order\n")
	fmt.Fprintf(bw, "pass\t%d\ncreated\t%s\n", m.Pass, m.Created)
	if m.Label != "" {
		fmt.Fprintf(bw, "label\t%s\n", manifestField(m.Label))
	}
	fmt.Fprintf(bw, "sets\t%d\n# name\thosts\tsha256\torigin\n", len(m.Sets))
	for _, s := range m.Sets {
		fmt.Fprintf(bw, "%s\t%d\t%s\t%s\n", s.Name, s.Hosts, s.SHA256, manifestField(s.Origin))
	}
	return bw.Flush()
}

// manifestField is s as it is, or Go-quoted when it holds a control
// character, a quote or a backslash (or is not valid UTF-8).
func manifestField(s string) string {
	plain := utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || r == '"' || r == '\\' || !unicode.IsPrint(r) && r != ' '
	})
	if plain {
		return s
	}
	return strconv.Quote(s)
}

func safeSetFile(name string) error {
	if name == "" || strings.ContainsAny(name, "/\\\x00") || strings.HasPrefix(name, ".") || strings.EqualFold(name, manifestName) {
		return fmt.Errorf("set %q cannot be exported as a file name", name)
	}
	return nil
}

package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetq/fleetq/internal/store"
)

// manifestName is the file export writes last, listing every set file.
const manifestName = "MANIFEST"

type exportOptions struct{ pass int64 }

func (o *exportOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().Int64Var(&o.pass, "pass", 0, "export pass N (default: the newest)")
}

func newExportCommand(a *app) *cobra.Command {
	o := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export [--pass N] DIR",
		Short: "Write every named set of a pass as a sorted host-list file",
		Long: `Write every named set of the newest pass (or --pass N) to DIR/NAME: one
host per line in byte order (what LC_ALL=C sort gives), with a trailing
newline; an empty set is an empty file. The files work with comm, join,
grep and diff as they are.

DIR/MANIFEST, written last, lists the pass, its creation time and label,
and per set: name, host count, sha256 of the file and where the set comes
from. Each file is written to a temporary name and renamed, so a reader
never sees half a file; files of an earlier export that the new MANIFEST
does not list are removed.

Examples:
  fleetq export /srv/fleet/now
  fleetq export --pass 41 /tmp/p41 && fleetq export /tmp/p42
  comm -13 /tmp/p41/dead /tmp/p42/dead        # newly dead hosts

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runExport(a, o, args[0]) },
	}
	o.AddFlags(cmd)
	return cmd
}

// exportManifest is what MANIFEST records (and --format json prints).
type exportManifest struct {
	Pass    int64         `json:"pass"`
	Created string        `json:"created"`
	Label   string        `json:"label,omitempty"`
	Sets    []exportedSet `json:"sets"`
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
	w, flush := a.out()
	if a.format == "json" {
		if err := writeJSON(w, m); err != nil {
			return err
		}
		return flush()
	}
	fmt.Fprintf(w, "exported pass %d: %d sets to %s\n", m.Pass, len(m.Sets), dir)
	rows := make([][]string, len(m.Sets))
	for i, s := range m.Sets {
		rows[i] = []string{s.Name, strconv.Itoa(s.Hosts)}
	}
	writeTable(w, []string{"SET", "HOSTS"}, rows)
	return flush()
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
		if err := safeSetFile(name); err != nil {
			return nil, err
		}
		bm, ok := p.Set(name)
		if !ok {
			return nil, fmt.Errorf("set %s of pass %d does not load: %w", name, info.ID, store.ErrCorrupt)
		}
		hosts := tx.Hosts().Names(bm)
		m.Sets = append(m.Sets, exportedSet{Name: name, Hosts: len(hosts), Origin: p.Origin(name)})
		m.hosts = append(m.hosts, hosts)
	}
	return m, nil
}

// writeExport writes the set files, then MANIFEST, then removes files of
// an earlier export that are no longer listed.
func writeExport(dir string, m *exportManifest) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	stale := previousExport(dir)
	for i := range m.Sets {
		sum, err := writeHostFile(filepath.Join(dir, m.Sets[i].Name), m.hosts[i])
		if err != nil {
			return err
		}
		m.Sets[i].SHA256 = sum
		delete(stale, m.Sets[i].Name)
	}
	if _, err := writeExportFile(filepath.Join(dir, manifestName), func(w io.Writer) error {
		return m.writeText(w)
	}); err != nil {
		return err
	}
	for name := range stale {
		if safeSetFile(name) == nil {
			_ = os.Remove(filepath.Join(dir, name))
		}
	}
	return nil
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
func writeExportFile(path string, fill func(io.Writer) error) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".export-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	h := sha256.New()
	err = fill(io.MultiWriter(f, h))
	if err == nil {
		err = f.Chmod(0o644)
	}
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

// writeText is the MANIFEST format: "key<TAB>value" header lines, then
// one "name<TAB>hosts<TAB>sha256<TAB>origin" line per set.
func (m *exportManifest) writeText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# fleetq export: one file per named set, hosts in byte order\n")
	fmt.Fprintf(bw, "pass\t%d\ncreated\t%s\n", m.Pass, m.Created)
	if m.Label != "" {
		fmt.Fprintf(bw, "label\t%s\n", m.Label)
	}
	fmt.Fprintf(bw, "sets\t%d\n# name\thosts\tsha256\torigin\n", len(m.Sets))
	for _, s := range m.Sets {
		fmt.Fprintf(bw, "%s\t%d\t%s\t%s\n", s.Name, s.Hosts, s.SHA256, strings.ReplaceAll(s.Origin, "\t", " "))
	}
	return bw.Flush()
}

// previousExport lists the set files an earlier MANIFEST in dir names.
func previousExport(dir string) map[string]bool {
	out := map[string]bool{}
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if errors.Is(err, os.ErrNotExist) || err != nil {
		return out
	}
	inSets := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "# name\t"):
			inSets = true
		case inSets && line != "":
			out[strings.SplitN(line, "\t", 2)[0]] = true
		}
	}
	return out
}

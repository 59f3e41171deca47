package policy

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// DirName is the policy directory looked for beside the database.
const DirName = "fleetq.policy.d"

// MaxDirFiles bounds the files of a policy directory: one per role and
// cluster is a few hundred in the largest fleets.
const MaxDirFiles = 4096

// srcFile is one file of a policy: its name as a policy directory lists
// it ("base.toml", "kafka/kafka-a.toml"), or the path of a single file.
type srcFile struct {
	Name string
	Text []byte
	// InDir is set for a file of a policy directory (its name is
	// relative to the directory).
	InDir bool
}

// Cluster is the cluster a DIR/ROLE/CLUSTER.toml file is about, or "".
func (f srcFile) Cluster() string {
	if !f.InDir || !strings.Contains(f.Name, "/") {
		return ""
	}
	return strings.TrimSuffix(path.Base(f.Name), ".toml")
}

// LoadDir reads a policy directory: DIR/*.toml in name order, then
// DIR/ROLE/CLUSTER.toml in role then cluster order (bytewise). Files not
// ending in .toml and names starting with "." are skipped (README.md,
// OWNERS, .git); a directory below DIR/ROLE/ is an error, so a file
// there is never silently ignored.
func LoadDir(dir string) (*Policy, error) {
	files, err := readDir(dir)
	if err != nil {
		return nil, err
	}
	p, err := parseFiles(files)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	p.Path = dir
	return p, nil
}

func readDir(dir string) ([]srcFile, error) {
	top, roles, err := listDir(dir, "")
	if err != nil {
		return nil, err
	}
	names := top
	for _, role := range roles {
		files, sub, err := listDir(dir, role)
		if err != nil {
			return nil, err
		}
		if len(sub) > 0 {
			return nil, fmt.Errorf("%w: %s: %s/%s is a directory (a policy directory holds DIR/*.toml and DIR/ROLE/CLUSTER.toml only)",
				ErrInvalid, dir, role, sub[0])
		}
		names = append(names, files...)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: %s holds no *.toml file (expected DIR/*.toml and DIR/ROLE/CLUSTER.toml)", ErrNoPolicy, dir)
	}
	if len(names) > MaxDirFiles {
		return nil, fmt.Errorf("%s: %w: %d files, at most %d", dir, ErrTooLarge, len(names), MaxDirFiles)
	}
	return readFiles(dir, names)
}

// listDir lists the .toml files (as names relative to dir) and the
// subdirectories of dir/sub, each sorted.
func listDir(dir, sub string) (files, dirs []string, err error) {
	entries, err := os.ReadDir(filepath.Join(dir, sub))
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		info, err := os.Stat(filepath.Join(dir, sub, name)) // follows symlinks
		if err != nil {
			return nil, nil, err
		}
		switch {
		case info.IsDir():
			dirs = append(dirs, name)
		case strings.HasSuffix(name, ".toml") && info.Mode().IsRegular():
			if !validBundledName(path.Join(sub, name)) {
				return nil, nil, fmt.Errorf("%w: %s: file name %q: no spaces or backslashes in a policy file name", ErrInvalid, dir, path.Join(sub, name))
			}
			files = append(files, path.Join(sub, name))
		}
	}
	slices.Sort(files)
	slices.Sort(dirs)
	return files, dirs, nil
}

func readFiles(dir string, names []string) ([]srcFile, error) {
	out := make([]srcFile, len(names))
	total := 0
	for i, n := range names {
		text, err := readFile(filepath.Join(dir, filepath.FromSlash(n)))
		if err != nil {
			return nil, err
		}
		if total += len(text); total > MaxFileBytes {
			return nil, fmt.Errorf("%s: %w: more than %d bytes in all (a policy is files people write; see docs/limits.md)", dir, ErrTooLarge, MaxFileBytes)
		}
		out[i] = srcFile{Name: n, Text: text, InDir: true}
	}
	return out, nil
}

// parseFiles merges the files of a directory and builds the policy; its
// text is their bundle, so its hash covers names, contents and order.
func parseFiles(files []srcFile) (*Policy, error) {
	if err := checkClusterFiles(files); err != nil {
		return nil, err
	}
	m, err := mergeFiles(files)
	if err != nil {
		return nil, err
	}
	p, err := m.build()
	if err != nil {
		return nil, err
	}
	p.Text = bundle(files)
	p.Hash = Hash(p.Text)
	p.src = m
	return p, nil
}

// checkClusterFiles refuses two role directories holding a file for one
// cluster: each cluster has one owner.
func checkClusterFiles(files []srcFile) error {
	seen := map[string]string{}
	for _, f := range files {
		c := f.Cluster()
		if c == "" {
			continue
		}
		if prev, ok := seen[c]; ok {
			return fmt.Errorf("%w: cluster %q has two files, %s and %s (one file per cluster, in its role's directory)", ErrInvalid, c, prev, f.Name)
		}
		seen[c] = f.Name
	}
	return nil
}

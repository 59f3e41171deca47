package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoTestReadsOutsideTheModule keeps the repository self-contained: a
// user who clones it has nothing beside it, so no test (and no script the
// tests or the Makefile run) may name a path that leaves the module.
//
// It reads every string literal of every Go file and every line of the
// shell scripts and the Makefile, and resolves each relative path that
// climbs with "../" against the directory of the file that names it.
func TestNoTestReadsOutsideTheModule(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	var checked int
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return skipDir(root, path, d)
		}
		if d.Name() == "selfcontained_test.go" {
			return nil // its own table names such paths on purpose
		}
		var lits []string
		switch {
		case strings.HasSuffix(path, ".go"):
			lits = goStringLiterals(t, path)
		case strings.HasSuffix(path, ".sh"), d.Name() == "Makefile", filepath.Base(filepath.Dir(path)) == ".ci":
			lits = shellWords(t, path)
		default:
			return nil
		}
		checked++
		for _, lit := range lits {
			if p, ok := leavesModule(root, filepath.Dir(path), lit); ok {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s names %q, which resolves to %s outside the module", rel, lit, p)
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, checked, 100, "files checked")
}

// skipDir skips VCS metadata, build output and generated demo data.
func skipDir(root, path string, d fs.DirEntry) error {
	rel, _ := filepath.Rel(root, path)
	switch rel {
	case ".git", "bin", "demo", ".bench":
		return filepath.SkipDir
	}
	return nil
}

func goStringLiterals(t *testing.T, path string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	require.NoError(t, err)
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil {
				out = append(out, s)
			}
		}
		return true
	})
	return out
}

var shellPathWord = regexp.MustCompile(`[^\s"'=:;()]*\.\./[^\s"';()]*`)

func shellWords(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return shellPathWord.FindAllString(string(data), -1)
}

// leavesModule reports whether lit, read as a path relative to dir (or
// containing such a path after a separator), climbs out of root.
func leavesModule(root, dir, lit string) (string, bool) {
	for _, field := range strings.FieldsFunc(lit, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == ',' }) {
		if !strings.Contains(field, "../") || filepath.IsAbs(field) {
			continue
		}
		field = field[strings.Index(field, ".."):]
		p := filepath.Join(dir, field)
		if rel, err := filepath.Rel(root, p); err != nil || strings.HasPrefix(rel, "..") {
			return p, true
		}
	}
	return "", false
}

func TestLeavesModule(t *testing.T) {
	root := "/repo"
	for lit, want := range map[string]bool{
		"../../../beside/fixtures":  true,
		"testdata/fixtures":         false,
		"../../docs/cookbook.md":    false,
		"see ../../../beside/x.txt": true,
		"a/../../..":                true,
		"..":                        false,
	} {
		_, got := leavesModule(root, "/repo/internal/ingest", lit)
		assert.Equal(t, want, got, lit)
	}
}

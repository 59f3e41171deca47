package ingest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImportsFlowOneWay keeps the layout: every kind package imports
// package source (and leaves such as store and hostkey), never this
// package or another kind; source imports no ingest package at all.
func TestImportsFlowOneWay(t *testing.T) {
	const self = "github.com/fleetq/fleetq/internal/ingest"
	dirs, err := os.ReadDir(".")
	require.NoError(t, err)
	kinds := 0
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "testdata" || d.Name() == "sourcetest" {
			continue
		}
		allowed := map[string]bool{self + "/source": d.Name() != "source"}
		files, err := filepath.Glob(filepath.Join(d.Name(), "*.go"))
		require.NoError(t, err)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			require.NoError(t, err)
			for _, imp := range ast.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if path == self || strings.HasPrefix(path, self+"/") {
					assert.True(t, allowed[path], "%s imports %s", f, path)
				}
			}
		}
		kinds++
	}
	assert.Equal(t, 9, kinds, "the kind packages and source")
}

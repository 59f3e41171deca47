package fleet_test

import (
	"go/build"
	"strings"
	"testing"
)

const module = "github.com/fleetq/fleetq/"

// The contract is a leaf below the language and the storage: it imports
// nothing of fleetq, and the store (outside its tests) does not import the
// language nor what is built on it (definitions); the query-file
// interpreter reads passes only through the contract.
func TestImportsFlowOneWay(t *testing.T) {
	for dir, banned := range map[string][]string{
		".":          {module},
		"../store":   {module + "internal/query", module + "internal/defs", module + "internal/runfile"},
		"../query":   {module + "internal/store"},
		"../runfile": {module + "internal/store"},
		"../setops":  {module},
	} {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pkg.Imports {
			for _, b := range banned {
				if strings.HasPrefix(imp, b) {
					t.Errorf("%s imports %s", pkg.Name, imp)
				}
			}
		}
	}
}

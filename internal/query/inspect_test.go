package query

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Inspect visits depth-first, left to right, calls f(nil) after a node's
// children, and skips the children of a node for which f returns false.
func TestInspect(t *testing.T) {
	n, err := ParseExpr(`a + "h1" - (b and not c@-1) & role = "x"`)
	require.NoError(t, err)
	var order []string
	Inspect(n, func(n Node) bool {
		if n == nil {
			order = append(order, ")")
			return true
		}
		order = append(order, nodeKind(n))
		_, isAt := n.(*At)
		return !isAt
	})
	assert.Equal(t, "Binary Binary Binary SetRef ) HostList ) ) Binary SetRef ) Not At ) ) ) Compare ) )", strings.Join(order, " "))
	assert.Nil(t, Children(&SetRef{Name: "a"}))
	assert.Len(t, Children(n), 2)
}

// A 3,000-term chain is inspected without trouble: one call per node.
func TestInspectLongChain(t *testing.T) {
	terms := make([]string, 3000)
	for i := range terms {
		terms[i] = "s"
	}
	n, err := ParseExpr(strings.Join(terms, " + "))
	require.NoError(t, err)
	visits := 0
	Inspect(n, func(n Node) bool {
		if n != nil {
			visits++
		}
		return true
	})
	assert.Equal(t, 2*3000-1, visits)
}

func nodeKind(n Node) string {
	switch n.(type) {
	case *Binary:
		return "Binary"
	case *SetRef:
		return "SetRef"
	case *HostList:
		return "HostList"
	case *Not:
		return "Not"
	case *At:
		return "At"
	case *Compare:
		return "Compare"
	}
	return "?"
}

package server

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loadDocument is Document as a client reads it, validated by
// kin-openapi (the OpenAPI 3 rules: required fields, parameter schemas,
// $refs, unique operationIds).
func loadDocument(t *testing.T) *openapi3.T {
	t.Helper()
	b, err := json.Marshal(Document("test"))
	require.NoError(t, err)
	doc, err := openapi3.NewLoader().LoadFromData(b)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	return doc
}

// TestOpenAPIDocument: the document is valid OpenAPI 3 and says of
// every operation of the table what the handler does: its method and
// path, each parameter where the handler reads it with its type, enum and
// whether it is required, the role, and an Error schema naming every kind.
func TestOpenAPIDocument(t *testing.T) {
	doc := loadDocument(t)
	for _, op := range Ops {
		o := doc.Paths.Find(op.Path).GetOperation(op.Method)
		require.NotNil(t, o, "%s %s is not in the document", op.Method, op.Path)
		assert.Equal(t, op.ID, o.OperationID)
		assert.Equal(t, op.Role.String(), o.Extensions["x-fleetq-role"])
		format := o.Parameters.GetByInAndName("query", "format")
		require.NotNil(t, format, op.ID)
		assert.ElementsMatch(t, Formats, format.Schema.Value.Enum)
		for _, p := range op.Params {
			var s *openapi3.Schema
			if p.In == "body" {
				require.NotNil(t, o.RequestBody, "%s: %s is in the body", op.ID, p.Name)
				body := o.RequestBody.Value.Content.Get("application/json").Schema.Value
				s = body.Properties[p.Name].Value
				assert.Equal(t, p.Required, slices.Contains(body.Required, p.Name), "%s: %s required", op.ID, p.Name)
			} else {
				prm := o.Parameters.GetByInAndName(p.In, p.Name)
				require.NotNil(t, prm, "%s: %s in %s", op.ID, p.Name, p.In)
				assert.Equal(t, p.Required || p.In == "path", prm.Required, "%s: %s required", op.ID, p.Name)
				s = prm.Schema.Value
			}
			require.NotNil(t, s, "%s: %s has no schema", op.ID, p.Name)
			assert.True(t, s.Type.Is(p.Type), "%s: %s is %s, the document says %v", op.ID, p.Name, p.Type, s.Type)
			assert.Len(t, s.Enum, len(p.Enum), "%s: %s enum", op.ID, p.Name)
		}
		for _, st := range append([]int{http.StatusOK}, errorStatuses(op)...) {
			assert.NotNil(t, o.Responses.Value(strconv.Itoa(st)), "%s: status %d", op.ID, st)
		}
	}
	kinds := doc.Components.Schemas["Error"].Value.Properties["kind"].Value.Enum
	assert.Len(t, kinds, len(Statuses))
	for k := range Statuses {
		assert.Contains(t, kinds, k)
	}
	assert.Equal(t, "bearer", doc.Components.SecuritySchemes["bearer"].Value.Scheme)
	assert.Empty(t, *doc.Paths.Find(OpenAPIPath).Get.Security, "the document itself is public")
}
